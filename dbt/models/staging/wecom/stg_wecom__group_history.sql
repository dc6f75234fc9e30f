-- Every exported version of every WeCom customer group (not deduplicated).
with

source as (

    select * from {{ source('bronze', 'wecom_groups') }}

),

renamed as (

    select
        ----------  ids
        chat_id,
        owner,

        ----------  attributes
        group_name,
        member_list,

        ----------  timestamps
        create_time,
        create_time_raw,

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256,
        _extra

    from source

)

select * from renamed
