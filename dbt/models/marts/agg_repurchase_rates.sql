-- One row per (cohort_month, n_days) for N in var mart_repurchase_windows_days (30, 60,
-- 90): of the cohort's first-time buyers whose first valid order is at least N days old
-- (as_of_date - beijing_date(first_order_at) >= N), how many bought again within N days
-- (second valid order paid_at < first_order_at + N days, the window convention of
-- fct_customer_ltv). The monthly 复购率 is agg_kpis_monthly.repurchase_rate.
with

buyers as (

    select * from {{ ref('int_customers__orders') }}

),

windows as (

    select {{ unnest_list(list_of(var('mart_repurchase_windows_days'))) }} as n_days

),

cohort_windows as (

    select
        buyers.cohort_month,
        windows.n_days::integer as n_days,
        count(*) filter (where buyers.days_since_first_order >= windows.n_days) as eligible_buyers,
        count(*) filter (
            where buyers.days_since_first_order >= windows.n_days
            and buyers.repeat_order_at < {{ add_days('buyers.first_order_at', 'windows.n_days') }}
        ) as repurchasers

    from buyers
    cross join windows
    group by all

),

final as (

    select
        cohort_month,
        n_days,
        eligible_buyers,
        repurchasers,
        {{ mart_ratio('repurchasers', 'eligible_buyers') }} as repurchase_rate

    from cohort_windows

)

select * from final
