-- One row per buyer (a person with at least one valid order): the person-level order
-- facts every mart shares, so "first order", "repeat order" and "valid orders in the last
-- 365 days" are derived once.
with

valid_orders as (

    select * from {{ ref('fct_orders') }}
    where is_valid and person_id is not null

),

summary as (

    select
        person_id,
        -- marts.md: first_order_at is always the paid_at of the first valid order
        min(paid_at) filter (where valid_order_seq = 1) as first_order_at,
        min(paid_at) filter (where valid_order_seq = 2) as repeat_order_at,
        max(paid_at) as last_order_at,
        count(*) as valid_orders,
        sum(net_amount)::decimal(18, 2) as net_revenue,
        sum(paid_amount)::decimal(18, 2) as gross_revenue,
        count(*) filter (
            where {{ mart_days_since('paid_at') }} <= {{ var('mart_lifecycle_loyal_window_days') }}
        ) as valid_orders_in_loyal_window,
        count(distinct paid_date) as purchase_days

    from valid_orders
    group by person_id

),

final as (

    select
        *,
        {{ mart_beijing_month('first_order_at') }} as cohort_month,
        {{ mart_days_since('first_order_at') }} as days_since_first_order,
        {{ mart_days_since('last_order_at') }} as days_since_last_order

    from summary

)

select * from final
