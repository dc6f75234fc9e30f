-- One row per person: first touch, acquisition channel, order summary and the two
-- segmentations (lifecycle and 8-segment RFM). Thresholds: vars mart_lifecycle_* in
-- dbt_project.yml (the `# marts` block), nowhere else.
with

first_touches as (

    select * from {{ ref('int_persons__first_touch') }}

),

buyers as (

    select * from {{ ref('int_customers__orders') }}

),

customers as (

    select
        first_touches.person_id,
        first_touches.aware_at as first_seen_at,
        first_touches.acquisition_channel,
        first_touches.referred_by_person_id,
        buyers.first_order_at,
        buyers.last_order_at,
        coalesce(buyers.valid_orders, 0) as valid_orders,
        coalesce(buyers.net_revenue, 0)::decimal(18, 2) as net_revenue,
        buyers.valid_orders_in_loyal_window,
        -- d of marts.md: whole Beijing days since the last valid order
        buyers.days_since_last_order

    from first_touches
    left join buyers on first_touches.person_id = buyers.person_id

),

lifecycle as (

    select
        *,
        case
            when valid_orders = 0 then 'potential'
            when valid_orders = 1
                and days_since_last_order <= {{ var('mart_lifecycle_new_max_days') }} then 'new'
            when valid_orders_in_loyal_window >= {{ var('mart_lifecycle_loyal_min_orders') }}
                and days_since_last_order <= {{ var('mart_lifecycle_active_max_days') }} then 'loyal'
            when days_since_last_order <= {{ var('mart_lifecycle_active_max_days') }} then 'active'
            when days_since_last_order <= {{ var('mart_lifecycle_dormant_max_days') }} then 'dormant'
            else 'churned'
        end as lifecycle_segment

    from customers

),

buyer_means as (

    -- R, F and M are each compared with their mean over all buyers
    select
        avg(days_since_last_order) as mean_recency_days,
        avg(valid_orders) as mean_valid_orders,
        avg(net_revenue::double) as mean_net_revenue

    from customers
    where valid_orders > 0

),

rfm as (

    select
        lifecycle.*,
        case when lifecycle.valid_orders > 0 then
            lifecycle.days_since_last_order <= buyer_means.mean_recency_days
        end as is_r_high,
        case when lifecycle.valid_orders > 0 then
            lifecycle.valid_orders >= buyer_means.mean_valid_orders
        end as is_f_high,
        case when lifecycle.valid_orders > 0 then
            lifecycle.net_revenue::double >= buyer_means.mean_net_revenue
        end as is_m_high

    from lifecycle
    cross join buyer_means

),

final as (

    select
        person_id,
        first_seen_at,
        acquisition_channel,
        first_order_at,
        last_order_at,
        valid_orders,
        net_revenue,
        lifecycle_segment,
        case
            when valid_orders = 0 then null
            when is_m_high then
                case
                    when is_r_high and is_f_high then '重要价值客户'
                    when is_r_high then '重要发展客户'
                    when is_f_high then '重要保持客户'
                    else '重要挽留客户'
                end
            else
                case
                    when is_r_high and is_f_high then '一般价值客户'
                    when is_r_high then '一般发展客户'
                    when is_f_high then '一般保持客户'
                    else '一般挽留客户'
                end
        end as rfm_segment,
        days_since_last_order as recency_days,
        is_r_high,
        is_f_high,
        is_m_high,
        referred_by_person_id

    from rfm

)

select * from final
