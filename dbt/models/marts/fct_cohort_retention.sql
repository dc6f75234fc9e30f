-- One row per (cohort_month, months_since_first_order): how a monthly cohort of first-time
-- buyers keeps buying. Every month from the cohort's first through the month of
-- as_of_date has a row, also when nobody in the cohort bought (retained 0, revenue 0).
with

buyers as (

    select person_id, cohort_month
    from {{ ref('int_customers__orders') }}

),

cohorts as (

    select
        cohort_month,
        count(*) as cohort_size

    from buyers
    group by cohort_month

),

cohort_months as (

    -- the spine: 0 .. months from the cohort month to the month of as_of_date
    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        months.months_since_first_order

    from cohorts,
        lateral (
            select {{ unnest_list(integer_range('0', dbt.datediff('cohorts.cohort_month', mart_as_of_month(), 'month') ~ ' + 1')) }}
                as months_since_first_order
        ) as months

),

activity as (

    select
        buyers.cohort_month,
        {{ dbt.datediff('buyers.cohort_month', 'orders.paid_month', 'month') }} as months_since_first_order,
        count(distinct orders.person_id) as retained_customers,
        sum(orders.net_amount) as net_revenue

    from {{ ref('fct_orders') }} as orders
    inner join buyers on orders.person_id = buyers.person_id
    where orders.is_valid
    group by all

),

joined as (

    select
        cohort_months.cohort_month,
        cohort_months.months_since_first_order::integer as months_since_first_order,
        cohort_months.cohort_size,
        coalesce(activity.retained_customers, 0) as retained_customers,
        {{ mart_money('activity.net_revenue') }} as net_revenue

    from cohort_months
    left join activity
        on cohort_months.cohort_month = activity.cohort_month
        and cohort_months.months_since_first_order = activity.months_since_first_order

),

final as (

    select
        cohort_month,
        months_since_first_order,
        cohort_size,
        retained_customers,
        {{ mart_ratio('retained_customers', 'cohort_size') }} as retention_rate,
        net_revenue,
        {{ mart_ratio(
            'sum(net_revenue) over (partition by cohort_month order by months_since_first_order)',
            'cohort_size'
        ) }} as cumulative_ltv_per_customer

    from joined

)

select * from final
