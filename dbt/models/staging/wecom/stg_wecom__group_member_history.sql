-- One row per (exported group version x member_list entry): every group join ever
-- exported (identity evidence: external_userid <-> unionid; first group join).
--
-- Read by several models and tests, and unnesting JSON costs: a table, built incrementally
-- by bronze file version like stg_wecom__contact_follow_history.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    incremental_strategy="delete+insert",
    unique_key=["_file_sha256", "_loaded_at"],
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('wecom_groups') }}",
) }}
{%- set since = file_versions_not_yet_read(['wecom_groups'], keyed_by_source=false) %}
with

groups as (

    select * from {{ ref('stg_wecom__group_history') }}
    where {{ since }}

),

unnested as (

    select
        chat_id,
        -- invalid JSON text gives no rows instead of failing the whole view
        {{ unnest_json_array('member_list', 'member', 'member_index') }},
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
        {{ json_text('member', '$.userid') }} as userid,
        try_cast({{ json_text('member', '$.type') }} as bigint) as member_type,
        case
            when try_cast({{ json_text('member', '$.type') }} as bigint) = 2
                then {{ json_text('member', '$.userid') }}
        end as external_userid,
        {{ json_text('member', '$.unionid') }} as unionid,
        {{ json_text('member', '$.invitor.userid') }} as invitor_userid,

        ----------  the join
        try_cast({{ json_text('member', '$.join_scene') }} as bigint) as join_scene,
        case
            when try_cast({{ json_text('member', '$.join_time') }} as bigint) > 0
                then {{ epoch_to_timestamp("try_cast(" ~ json_text('member', '$.join_time') ~ " as bigint)") }}
        end as join_time,
        {{ json_text('member', '$.join_time') }} as join_time_raw,

        {{ json_array_index('member_index') }},

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256

    from unnested

)

select * from renamed
