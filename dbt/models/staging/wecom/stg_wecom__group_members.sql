-- One row per (WeCom group x member), from the group's latest exported row only.
with

member_history as (

    select * from {{ ref('stg_wecom__group_member_history') }}

),

latest_groups as (

    select _source_file, _row_number from {{ ref('stg_wecom__groups') }}

),

latest_members as (

    select member_history.*
    from member_history
    semi join latest_groups
        on member_history._source_file = latest_groups._source_file
        and member_history._row_number = latest_groups._row_number
    where member_history.userid is not null
    -- a member listed twice in one member_list: keep the first entry
    qualify row_number() over (
        partition by member_history.chat_id, member_history.userid
        order by member_history.member_index
    ) = 1

)

select * from latest_members
