-- A table, not a view: the biggest staging relation (tens of millions of rows at a million
-- customers). As a view, each of its tests and each model reading it re-ran the
-- latest-export-wins window over all of bronze (make bench SCALE=1000000: 4 tests x 15-20 s).
{{ config(materialized="table") }}

-- One row per Mini Program tracking event (events can arrive twice: deduplicated on
-- event_id, the latest export wins).
with

source as (

    select * from {{ source('bronze', 'wechat_mp_events') }}

),

renamed as (

    select
        ----------  ids
        event_id,
        openid,
        anonymous_id,
        share_from,
        item_id,
        order_id,
        case when order_id is not null then 'miniprogram' end as platform,
        {{ order_key("'miniprogram'", 'order_id') }} as order_key,

        ----------  attributes
        event,
        page,
        channel,
        amount,

        ----------  timestamps
        event_time,
        event_time_raw,

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256,
        _extra

    from source

),

deduplicated as (

    select * from renamed
    {{ latest_export_wins(['event_id']) }}

)

select * from deduplicated
