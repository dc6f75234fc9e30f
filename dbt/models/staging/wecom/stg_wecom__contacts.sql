-- One row per WeCom external contact: the row of the latest export wins as a whole.
with

history as (

    select * from {{ ref('stg_wecom__contact_history') }}

),

latest as (

    select * from history
    {{ latest_export_wins(['external_userid']) }}

)

select * from latest
