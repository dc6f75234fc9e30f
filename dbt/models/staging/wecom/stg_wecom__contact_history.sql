-- Every exported version of every WeCom external contact (not deduplicated): identity
-- evidence (external_userid <-> unionid, and every staff add in follow_user).
with

source as (

    select * from {{ source('bronze', 'wecom_contacts') }}

),

renamed as (

    select
        ----------  ids
        external_userid,
        unionid,

        ----------  attributes
        name,
        contact_type,
        gender,
        follow_user,

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
