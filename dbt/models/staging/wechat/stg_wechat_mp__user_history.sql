-- Every exported version of every Mini Program user (not deduplicated): identity
-- evidence (openid <-> unionid <-> authorised phone, the strongest phone source).
with

source as (

    select * from {{ source('bronze', 'wechat_mp_users') }}

),

renamed as (

    select
        ----------  ids
        openid,
        unionid,

        ----------  phone authorisation (phone_info)
        phone_number,
        phone_number_normalized,
        phone_number_is_masked,
        pure_phone_number,
        country_code,

        ----------  timestamps
        register_time,
        register_time_raw,

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
