-- Every identity link of every bronze file version: one row per (left, right, source,
-- evidence, file version) with first/last seen and how often the file carries it.
-- int_identity__links sums these over the files.
--
-- A file's links depend on that file alone (Mini Program events are read from bronze, not
-- from the deduplicated staging table: every export of an event is evidence), so the model
-- is incremental by file version, the unit bronze changes in:
--   * a night reads only the bronze file versions loaded since the last build
--     (macros/file_versions.sql: a constant filter on `_loaded_at`, which DuckDB checks
--     against each Parquet file's statistics, so files already here are not read);
--   * the post-hook deletes the rows of file versions gone from bronze (a replaced or
--     re-read export's old version, a file rewritten by an erasure).
-- The bronze sources read below, which are also the `source` of their links, are listed
-- in macros/identity_link_sources.sql.
-- `dbt build --full-refresh` rebuilds it from scratch (same rows:
-- tests/test_incremental_nights.py). On Spark a plain table, like the other incremental models.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    incremental_strategy="delete+insert",
    unique_key=["source", "_file_sha256", "_loaded_at"],
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_source_versions(identity_link_sources()) }}",
) }}
{%- set since = file_versions_not_yet_read(identity_link_sources()) %}

-- evidence:
--   account          WeChat ids tied by the platform (unionid <-> openid/external_userid/member)
--   order_buyer      an order and its buyer account (Tmall buyer name, MP purchase openid)
--   phone_verified   Mini Program phone authorisation (user-confirmed)
--   phone_member     CRM member phone
--   phone_buyer      Youzan buyer phone (the account's own phone)
--   phone_staff      WeCom remark_mobiles typed by staff (unverified)
--   device           Mini Program anonymous_id seen with an openid (shared devices exist)
--   order_device     MP purchase without openid: the order and the device
--   phone_receiver   an order's receiver phone (gifts: joins only when corroborated)
with

oa_users as (
    select
        'oa_openid' as left_type, openid as left_value, 'wx_unionid' as right_type, unionid as right_value,
        'wechat_oa_users' as source, 'account' as evidence,
        coalesce(subscribe_time, {{ export_date_ts('_export_date') }}) as seen_at,
        _source_file as source_file
    from {{ ref('stg_wechat_oa__user_history') }}
    where {{ since }}
),

mp_users as (
    select 'mp_openid', openid, 'wx_unionid', unionid, 'wechat_mp_users', 'account',
        coalesce(register_time, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wechat_mp__user_history') }}
    where {{ since }}
    union all
    select 'mp_openid', openid, 'phone', phone_number_normalized, 'wechat_mp_users', 'phone_verified',
        coalesce(register_time, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wechat_mp__user_history') }}
    where {{ since }}
),

mp_events as (
    select 'mp_openid', openid, 'mp_anonymous_id', anonymous_id, 'wechat_mp_events', 'device', event_time, _source_file
    from {{ source('bronze', 'wechat_mp_events') }}
    where {{ since }}
    union all
    select 'order', {{ order_key("'miniprogram'", 'order_id') }}, 'mp_openid', openid, 'wechat_mp_events', 'order_buyer', event_time, _source_file
    from {{ source('bronze', 'wechat_mp_events') }}
    where {{ since }} and event = 'purchase'
    union all
    select 'order', {{ order_key("'miniprogram'", 'order_id') }}, 'mp_anonymous_id', anonymous_id, 'wechat_mp_events', 'order_device', event_time, _source_file
    from {{ source('bronze', 'wechat_mp_events') }}
    where {{ since }} and event = 'purchase' and openid is null
),

wecom_contacts as (
    select 'wecom_external_userid', external_userid, 'wx_unionid', unionid, 'wecom_contacts', 'account',
        {{ export_date_ts('_export_date') }},
        _source_file
    from {{ ref('stg_wecom__contact_history') }}
    where {{ since }}
),

wecom_remark_phones as (
    select 'wecom_external_userid', external_userid, 'phone', phone, 'wecom_contacts', 'phone_staff',
        coalesce(createtime, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wecom__contact_follow_history') }}, {{ unnest_lateral('remark_mobiles') }} as mobiles(phone)
    where {{ since }}
),

wecom_group_members as (
    select 'wecom_external_userid', external_userid, 'wx_unionid', unionid, 'wecom_groups', 'account',
        coalesce(join_time, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wecom__group_member_history') }}
    where {{ since }}
),

crm_members as (
    select 'crm_member_id', member_id, 'wx_unionid', unionid, 'crm_members', 'account',
        coalesce(registered_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_crm__member_history') }}
    where {{ since }}
    union all
    select 'crm_member_id', member_id, 'phone', phone_normalized, 'crm_members', 'phone_member',
        coalesce(registered_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_crm__member_history') }}
    where {{ since }}
),

-- Order sources straight from bronze: every export of an order is evidence.
tmall as (
    select 'order', {{ order_key("'tmall'", 'order_id') }}, 'tmall_buyer', buyer_nick, 'tmall_orders', 'order_buyer',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'tmall_orders') }}
    where {{ since }}
    union all
    select 'order', {{ order_key("'tmall'", 'order_id') }}, 'phone', receiver_phone_normalized, 'tmall_orders', 'phone_receiver',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'tmall_orders') }}
    where {{ since }}
),

jd as (
    select 'order', {{ order_key("'jd'", 'order_id') }}, 'phone', customer_phone_normalized, 'jd_orders', 'phone_receiver',
        coalesce(ordered_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'jd_orders') }}
    where {{ since }}
),

douyin as (
    select 'order', {{ order_key("'douyin'", 'order_id') }}, 'phone', receiver_phone_normalized, 'douyin_orders', 'phone_receiver',
        coalesce(submitted_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'douyin_orders') }}
    where {{ since }}
),

youzan as (
    select 'order', {{ order_key("'youzan'", 'order_id') }}, 'phone', buyer_phone_normalized, 'youzan_orders', 'phone_buyer',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'youzan_orders') }}
    where {{ since }}
    union all
    select 'order', {{ order_key("'youzan'", 'order_id') }}, 'phone', receiver_phone_normalized, 'youzan_orders', 'phone_receiver',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'youzan_orders') }}
    where {{ since }}
),

erp as (
    select 'order', order_key, 'phone', receiver_phone_normalized, 'erp_sales', 'phone_receiver',
        coalesce(traded_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_erp__sales_history') }}
    where {{ since }}
    union all
    -- 客户网名 is the platform buyer name; on Tmall orders it is the Tmall buyer (会员名)
    select 'order', order_key, 'tmall_buyer', buyer_nick, 'erp_sales', 'order_buyer',
        coalesce(traded_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_erp__sales_history') }}
    where {{ since }} and platform = 'tmall'
),

unioned as (
    select * from oa_users
    union all select * from mp_users
    union all select * from mp_events
    union all select * from wecom_contacts
    union all select * from wecom_remark_phones
    union all select * from wecom_group_members
    union all select * from crm_members
    union all select * from tmall
    union all select * from jd
    union all select * from douyin
    union all select * from youzan
    union all select * from erp
),

-- Per export file first: a file repeats a link many times (a device on every event), and
-- only plain aggregates spill to disk (a count(distinct) over ~10^8 event rows ran DuckDB
-- out of memory at a million customers). The file version is joined after the aggregate,
-- not grouped by: bronze holds one version of a file, and a 64-character checksum in the
-- key of ~2 * 10^7 groups ran DuckDB out of memory at a million customers.
per_file as (
    select
        left_type,
        left_value,
        right_type,
        right_value,
        source,
        evidence,
        source_file,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        count(*) as sightings
    from unioned
    where left_value is not null or right_value is not null
    group by all
),

file_versions as (
    {{ bronze_source_versions(identity_link_sources(), where=since) }}
)

select
    per_file.left_type,
    per_file.left_value,
    per_file.right_type,
    per_file.right_value,
    per_file.source,
    per_file.evidence,
    per_file.source_file,
    file_versions._file_sha256,
    file_versions._loaded_at,
    per_file.first_seen_at,
    per_file.last_seen_at,
    per_file.sightings
from per_file
inner join file_versions
    on per_file.source = file_versions.source
    and per_file.source_file = file_versions.source_file
