-- The biggest staging relation (tens of millions of rows at a million customers), so a
-- table, built incrementally: a nightly run re-decides only the events its new bronze
-- files touch, instead of re-running latest-export-wins over all of bronze.
--   * a bronze file version is (_file_sha256, _loaded_at): a replaced export, a re-read
--     file and a file rewritten by an erasure (dagster_project/privacy/erasure.py) are new versions;
--   * keys re-decided: every event_id in a file version loaded since the last run (new
--     events, newer or re-dropped exports of known ones), and every event_id this table
--     attributes to a file version that is gone from bronze;
--   * each re-decided key takes the winner among ALL its bronze rows (an old export
--     arriving late does not beat a newer one already here), then delete+insert by key;
--   * the post-hook deletes the rows of gone file versions whose key has no row left.
-- `dbt build --full-refresh` rebuilds it from scratch (same result: tests/test_incremental.py).
-- On Spark a plain table (delete+insert needs Delta there; the Spark build is a full one).
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="event_id",
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('wechat_mp_events') }}",
) }}

-- One row per Mini Program tracking event (events can arrive twice: deduplicated on
-- event_id, the latest export wins).
with

source as {{ inline_cte() }} (

    {{ rows_to_redecide(source('bronze', 'wechat_mp_events'), 'event_id') }}

),

renamed as {{ inline_cte() }} (

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

keys_with_several_rows as (

    {{ keys_with_several_rows('renamed', ['event_id']) }}

),

deduplicated as (

    {{ latest_export_rows('renamed', ['event_id'], 'keys_with_several_rows') }}

)

select * from deduplicated
