-- Every exported version of every CRM member (not deduplicated): identity evidence
-- (member id <-> phone <-> unionid links, every one ever exported).
with

source as (

    select * from {{ source('bronze', 'crm_members') }}

),

renamed as (

    select
        ----------  ids
        member_id,
        unionid,
        phone,
        phone_normalized,
        phone_is_masked,

        ----------  attributes
        name,
        gender,
        birthday,
        email,
        register_channel,
        member_level,
        points,

        ----------  timestamps
        registered_at,
        registered_at_raw,

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
