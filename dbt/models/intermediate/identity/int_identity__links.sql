-- Every identity link ever exported, one row per (left, right, source, evidence) with
-- first/last seen. History, not latest state: a link a later export no longer shows is
-- still evidence (marts.md, Identity). Guards are applied downstream
-- (int_identity__edges); this model only collects. Every link keeps the export files it
-- came from (first_source_file, last_source_file): `siyu explain` shows them.
--
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
),

mp_users as (
    select 'mp_openid', openid, 'wx_unionid', unionid, 'wechat_mp_users', 'account',
        coalesce(register_time, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wechat_mp__user_history') }}
    union all
    select 'mp_openid', openid, 'phone', phone_number_normalized, 'wechat_mp_users', 'phone_verified',
        coalesce(register_time, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wechat_mp__user_history') }}
),

mp_events as (
    select 'mp_openid', openid, 'mp_anonymous_id', anonymous_id, 'wechat_mp_events', 'device', event_time, _source_file
    from {{ ref('stg_wechat_mp__events') }}
    union all
    select 'order', order_key, 'mp_openid', openid, 'wechat_mp_events', 'order_buyer', event_time, _source_file
    from {{ ref('stg_wechat_mp__events') }}
    where event = 'purchase'
    union all
    select 'order', order_key, 'mp_anonymous_id', anonymous_id, 'wechat_mp_events', 'order_device', event_time, _source_file
    from {{ ref('stg_wechat_mp__events') }}
    where event = 'purchase' and openid is null
),

wecom_contacts as (
    select 'wecom_external_userid', external_userid, 'wx_unionid', unionid, 'wecom_contacts', 'account',
        {{ export_date_ts('_export_date') }},
        _source_file
    from {{ ref('stg_wecom__contact_history') }}
),

wecom_remark_phones as (
    select 'wecom_external_userid', external_userid, 'phone', phone, 'wecom_contacts', 'phone_staff',
        coalesce(createtime, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wecom__contact_follow_history') }}, {{ unnest_lateral('remark_mobiles') }} as mobiles(phone)
),

wecom_group_members as (
    select 'wecom_external_userid', external_userid, 'wx_unionid', unionid, 'wecom_groups', 'account',
        coalesce(join_time, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_wecom__group_member_history') }}
),

crm_members as (
    select 'crm_member_id', member_id, 'wx_unionid', unionid, 'crm_members', 'account',
        coalesce(registered_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_crm__member_history') }}
    union all
    select 'crm_member_id', member_id, 'phone', phone_normalized, 'crm_members', 'phone_member',
        coalesce(registered_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_crm__member_history') }}
),

-- Order sources straight from bronze: every export of an order is evidence.
tmall as (
    select 'order', {{ order_key("'tmall'", 'order_id') }}, 'tmall_buyer', buyer_nick, 'tmall_orders', 'order_buyer',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'tmall_orders') }}
    union all
    select 'order', {{ order_key("'tmall'", 'order_id') }}, 'phone', receiver_phone_normalized, 'tmall_orders', 'phone_receiver',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'tmall_orders') }}
),

jd as (
    select 'order', {{ order_key("'jd'", 'order_id') }}, 'phone', customer_phone_normalized, 'jd_orders', 'phone_receiver',
        coalesce(ordered_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'jd_orders') }}
),

douyin as (
    select 'order', {{ order_key("'douyin'", 'order_id') }}, 'phone', receiver_phone_normalized, 'douyin_orders', 'phone_receiver',
        coalesce(submitted_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'douyin_orders') }}
),

youzan as (
    select 'order', {{ order_key("'youzan'", 'order_id') }}, 'phone', buyer_phone_normalized, 'youzan_orders', 'phone_buyer',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'youzan_orders') }}
    union all
    select 'order', {{ order_key("'youzan'", 'order_id') }}, 'phone', receiver_phone_normalized, 'youzan_orders', 'phone_receiver',
        coalesce(created_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ source('bronze', 'youzan_orders') }}
),

erp as (
    select 'order', order_key, 'phone', receiver_phone_normalized, 'erp_sales', 'phone_receiver',
        coalesce(traded_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_erp__sales_history') }}
    union all
    -- 客户网名 is the platform buyer name; on Tmall orders it is the Tmall buyer (会员名)
    select 'order', order_key, 'tmall_buyer', buyer_nick, 'erp_sales', 'order_buyer',
        coalesce(traded_at, {{ export_date_ts('_export_date') }}),
        _source_file
    from {{ ref('stg_erp__sales_history') }}
    where platform = 'tmall'
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
-- out of memory at a million customers).
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
)

select
    left_type,
    left_value,
    right_type,
    right_value,
    source,
    evidence,
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at,
    cast(sum(sightings) as bigint) as sightings,
    -- lineage: <source>/<export date>/<file>, so min/max are the first and latest export
    -- files that carried the link (deterministic on every engine, unlike min_by on ties)
    min(source_file) as first_source_file,
    max(source_file) as last_source_file,
    count(source_file) as source_files

from per_file
group by left_type, left_value, right_type, right_value, source, evidence
