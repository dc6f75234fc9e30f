-- A table, not a view: it calls the normalize_phone() function that only dbt connections
-- register, and unnesting the JSON once is cheaper than on every read.
{{ config(materialized="table") }}

-- One row per (exported contact version x follow_user entry): every staff add ever
-- exported, with the staff-typed remark_mobiles normalised (weak phone evidence).
with

contacts as (

    select
        *,
        -- invalid JSON text gives no rows instead of failing the whole view
        case when json_valid(follow_user) then follow_user end as follow_user_json

    from {{ ref('stg_wecom__contact_history') }}

),

unnested as (

    select
        external_userid,
        unionid,
        contact_type,
        unnest(json_extract(follow_user_json, '$[*]')) as follow,
        generate_subscripts(json_extract(follow_user_json, '$[*]'), 1) as follow_index,
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
        json_extract_string(follow, '$.userid') as userid,
        unionid,
        contact_type,

        ----------  the add
        json_extract_string(follow, '$.remark') as remark,
        json_extract_string(follow, '$.description') as description,
        try_cast(json_extract_string(follow, '$.add_way') as bigint) as add_way,
        nullif(trim(json_extract_string(follow, '$.state')), '') as state,
        json_extract_string(follow, '$.oper_userid') as oper_userid,
        json_extract(follow, '$.tags') as tags,

        ----------  phones typed by staff (unverified)
        json_extract_string(follow, '$.remark_mobiles[*]') as remark_mobiles_raw,

        ----------  timestamps
        json_extract_string(follow, '$.createtime') as createtime_raw,

        follow_index,

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
        * exclude (remark_mobiles_raw, createtime_raw, follow_index, _source_file, _row_number,
                   _export_date, _loaded_at, _file_sha256),
        remark_mobiles_raw,
        list_sort(list_distinct(list_filter(
            list_transform(remark_mobiles_raw, lambda m: {{ normalize_phone('m') }}),
            lambda p: p is not null
        ))) as remark_mobiles,
        case
            when try_cast(createtime_raw as bigint) > 0
                then to_timestamp(try_cast(createtime_raw as bigint))
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
