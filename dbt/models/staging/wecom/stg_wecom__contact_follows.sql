-- One row per (WeCom contact x staff member who added them), from the contact's latest
-- exported row only (the latest row wins as a whole, its follow_user list included).
with

follow_history as (

    select * from {{ ref('stg_wecom__contact_follow_history') }}

),

latest_contacts as (

    select _source_file, _row_number from {{ ref('stg_wecom__contacts') }}

),

latest_follows as (

    select follow_history.*
    from follow_history
    semi join latest_contacts
        on follow_history._source_file = latest_contacts._source_file
        and follow_history._row_number = latest_contacts._row_number
    where follow_history.userid is not null
    -- a staff member listed twice in one follow_user list: keep the first entry
    qualify row_number() over (
        partition by follow_history.external_userid, follow_history.userid
        order by follow_history.follow_index
    ) = 1

)

select * from latest_follows
