-- One row per WeCom customer group: the row of the latest export wins as a whole.
with

history as (

    select * from {{ ref('stg_wecom__group_history') }}

),

latest as (

    select * from history
    {{ latest_export_wins(['chat_id']) }}

)

select * from latest
