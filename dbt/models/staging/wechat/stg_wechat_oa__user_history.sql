-- Every exported version of every Official Account follower (not deduplicated):
-- identity evidence (openid <-> unionid links, every subscribe_time ever seen).
with

source as (

    select * from {{ source('bronze', 'wechat_oa_users') }}

),

renamed as (

    select
        ----------  ids
        openid,
        unionid,

        ----------  attributes
        subscribe,
        subscribe = 1 as is_subscribed,
        subscribe_time,
        subscribe_time_raw,
        subscribe_scene,
        qr_scene,
        qr_scene_str,
        tagid_list,
        remark,

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
