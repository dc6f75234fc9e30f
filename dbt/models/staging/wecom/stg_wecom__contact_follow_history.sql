-- A table, not a view: it calls the normalize_phones() function that only dbt connections
-- register, and unnesting the JSON once is cheaper than on every read. Built incrementally
-- by bronze file version, the unit bronze changes in (each row depends on its file alone):
-- a night unnests only the file versions loaded since the last build (a constant filter on
-- `_loaded_at`, macros/file_versions.sql), and the post-hook deletes the rows of versions
-- gone from bronze (a replaced export, a file an erasure rewrote). On Spark a plain table.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    incremental_strategy="delete+insert",
    unique_key=["_file_sha256", "_loaded_at"],
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('wecom_contacts') }}",
) }}
{%- set since = file_versions_not_yet_read(['wecom_contacts'], keyed_by_source=false) %}

-- One row per (exported contact version x follow_user entry): every staff add ever
-- exported, with the staff-typed remark_mobiles normalised (weak phone evidence).
with

contacts as (

    select * from {{ ref('stg_wecom__contact_history') }}
    where {{ since }}

),

unnested as (

    select
        external_userid,
        unionid,
        contact_type,
        -- invalid JSON text gives no rows instead of failing the whole model
        {{ unnest_json_array('follow_user', 'follow', 'follow_index') }},
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256

    from contacts

),

renamed as (

    select
        ----------  ids
        external_userid,
        {{ json_text('follow', '$.userid') }} as userid,
        unionid,
        contact_type,

        ----------  the add
        {{ json_text('follow', '$.remark') }} as remark,
        {{ json_text('follow', '$.description') }} as description,
        try_cast({{ json_text('follow', '$.add_way') }} as bigint) as add_way,
        nullif(trim({{ json_text('follow', '$.state') }}), '') as state,
        {{ json_text('follow', '$.oper_userid') }} as oper_userid,
        {{ json_fragment('follow', '$.tags') }} as tags,

        ----------  phones typed by staff (unverified)
        {{ json_text_list('follow', '$.remark_mobiles') }} as remark_mobiles_raw,

        ----------  timestamps
        {{ json_text('follow', '$.createtime') }} as createtime_raw,

        {{ json_array_index('follow_index') }},

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256

    from unnested

),

typed as (

    select
        external_userid,
        userid,
        unionid,
        contact_type,
        remark,
        description,
        add_way,
        state,
        oper_userid,
        tags,
        remark_mobiles_raw,
        {{ normalize_phone_list('remark_mobiles_raw') }} as remark_mobiles,
        case
            when try_cast(createtime_raw as bigint) > 0
                then {{ epoch_to_timestamp('try_cast(createtime_raw as bigint)') }}
        end as createtime,
        createtime_raw,
        follow_index,
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256

    from renamed

)

select * from typed
