-- One row per CRM member: the row of the latest export wins as a whole.
with

history as (

    select * from {{ ref('stg_crm__member_history') }}

),

latest as (

    select * from history
    {{ latest_export_wins(['member_id']) }}

)

select * from latest
