-- One row per (exported group version x member_list entry): every group join ever
-- exported (identity evidence: external_userid <-> unionid; first group join).
with

groups as (

    select
        *,
        -- invalid JSON text gives no rows instead of failing the whole view
        case when json_valid(member_list) then member_list end as member_list_json

    from {{ ref('stg_wecom__group_history') }}

),

unnested as (

    select
        chat_id,
        unnest(json_extract(member_list_json, '$[*]')) as member,
        generate_subscripts(json_extract(member_list_json, '$[*]'), 1) as member_index,
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256

    from groups

),

renamed as (

    select
        ----------  ids
        chat_id,
        json_extract_string(member, '$.userid') as userid,
        try_cast(json_extract_string(member, '$.type') as bigint) as member_type,
        case
            when try_cast(json_extract_string(member, '$.type') as bigint) = 2
                then json_extract_string(member, '$.userid')
        end as external_userid,
        json_extract_string(member, '$.unionid') as unionid,
        json_extract_string(member, '$.invitor.userid') as invitor_userid,

        ----------  the join
        try_cast(json_extract_string(member, '$.join_scene') as bigint) as join_scene,
        case
            when try_cast(json_extract_string(member, '$.join_time') as bigint) > 0
                then to_timestamp(try_cast(json_extract_string(member, '$.join_time') as bigint))
        end as join_time,
        json_extract_string(member, '$.join_time') as join_time_raw,

        member_index,

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256

    from unnested

)

select * from renamed
