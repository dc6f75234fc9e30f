-- One row per platform order (order_key = '<platform>:<platform order id>'), with what each
-- system says about it. The rules that turn these figures into paid / refunded / net /
-- valid live in fct_orders only; this model just lines the systems up.
--
-- Record of truth (landing.md: "the platform's record wins; the ERP fills in what no
-- platform export carries"): a platform export (Tmall, JD, Douyin, Youzan) or a
-- mini-program purchase event is the order's record as a whole; the ERP sales lines are
-- the record only for orders none of them carries (mini-program orders whose purchase
-- event never reached the tracker, offline orders, and platform orders whose export rows
-- were rejected). Staging already keeps the latest export of every record.
--
-- Built after int_identity__links, never beside it: at a million customers the two together
-- ran DuckDB out of memory (one 4 GB limit for both dbt threads; their aggregates over
-- every order and link hold more than they can spill). Nearly every night rebuilds both.
-- depends_on: {{ ref('int_identity__links') }}
with

tmall as (

    select
        order_key,
        platform,
        order_id as platform_order_id,
        created_at as ordered_at,
        paid_at,
        paid_amount,
        -- 退款金额 (null when the latest export of the order has no such column)
        refund_amount as platform_refund_amount

    from {{ ref('stg_tmall__orders') }}

),

jd as (

    -- one row per order line: the order is paid the sum of its lines' 订单金额
    select
        order_key,
        any_value(platform) as platform,
        order_id as platform_order_id,
        min(ordered_at) as ordered_at,
        min(paid_at) as paid_at,
        sum(line_amount) as paid_amount,
        -- the JD export carries no refund figure: the ERP's refunds decide
        cast(null as decimal(18, 2)) as platform_refund_amount

    from {{ ref('stg_jd__order_lines') }}
    group by order_key, order_id

),

douyin as (

    -- one row per sub-order: paid = sum of 订单应付金额; the platform's refund figure is
    -- the 订单应付金额 of the sub-orders whose 售后状态 is 退款成功
    select
        order_key,
        any_value(platform) as platform,
        order_id as platform_order_id,
        min(submitted_at) as ordered_at,
        min(paid_at) as paid_at,
        sum(payable_amount) as paid_amount,
        coalesce(sum(payable_amount) filter (where is_refunded), 0) as platform_refund_amount

    from {{ ref('stg_douyin__sub_orders') }}
    group by order_key, order_id

),

youzan as (

    select
        order_key,
        platform,
        order_id as platform_order_id,
        created_at as ordered_at,
        paid_at,
        paid_amount,
        refunded_amount as platform_refund_amount

    from {{ ref('stg_youzan__orders') }}

),

mp_purchases as (

    -- a purchase event is the order's record: ordered_at = paid_at = event_time. An order
    -- id tracked twice under different event ids keeps its first event, its missing amount too.
    select
        order_key,
        'miniprogram' as platform,
        {{ value_of_first('order_id', '(event_time, event_id)') }} as platform_order_id,
        min(event_time) as ordered_at,
        min(event_time) as paid_at,
        {{ value_of_first('amount', '(event_time, event_id)') }} as paid_amount,
        cast(null as decimal(18, 2)) as platform_refund_amount

    from {{ ref('stg_wechat_mp__events') }}
    where event = 'purchase' and order_key is not null
    group by order_key

),

platform_records as (

    -- every platform CTE above lists the same columns in the same order
    select * from tmall
    union all
    select * from jd
    union all
    select * from douyin
    union all
    select * from youzan
    union all
    select * from mp_purchases

),

erp_orders as (

    -- the ERP's view of an order: its sales-out lines (latest state of each line)
    select
        order_key,
        any_value(platform) as platform,
        platform_order_id,
        min(traded_at) as ordered_at,
        min(paid_at) as paid_at,
        sum(allocated_total) as paid_amount

    from {{ ref('stg_erp__sales_lines') }}
    where order_key is not null
    group by order_key, platform_order_id

),

erp_refunds as (

    -- completed 退款/退货 rows only (stg_erp__refunds.is_completed_refund), joined to their
    -- order by (订单来源, 原始单号), i.e. order_key
    select
        order_key,
        sum(refund_amount) as erp_refund_amount,
        count(*) as erp_refunds

    from {{ ref('stg_erp__refunds') }}
    where is_completed_refund and order_key is not null
    group by order_key

),

unified as (

    select
        coalesce(platform_records.order_key, erp_orders.order_key) as order_key,
        coalesce(platform_records.platform, erp_orders.platform) as platform,
        coalesce(platform_records.platform_order_id, erp_orders.platform_order_id) as platform_order_id,

        case
            when platform_records.order_key is not null then 'platform'
            else 'erp'
        end as record_source,
        platform_records.order_key is not null as has_platform_record,
        erp_orders.order_key is not null as has_erp_lines,

        -- the record of truth wins as a whole (no field-by-field mixing)
        case when platform_records.order_key is not null
            then platform_records.ordered_at else erp_orders.ordered_at end as ordered_at,
        case when platform_records.order_key is not null
            then platform_records.paid_at else erp_orders.paid_at end as paid_at,
        case
            when platform_records.order_key is null then erp_orders.paid_amount
            -- a purchase event without an amount: the ERP's 分摊后总价 sum (marts.md)
            when platform_records.platform = 'miniprogram'
                then coalesce(platform_records.paid_amount, erp_orders.paid_amount)
            else platform_records.paid_amount
        end as recorded_paid_amount,

        platform_records.platform_refund_amount,
        erp_refunds.erp_refund_amount,
        coalesce(erp_refunds.erp_refunds, 0) as erp_refunds,

        erp_orders.paid_amount as erp_paid_amount

    from platform_records
    full outer join erp_orders on platform_records.order_key = erp_orders.order_key
    left join erp_refunds
        on coalesce(platform_records.order_key, erp_orders.order_key) = erp_refunds.order_key

)

select * from unified
