-- One row per buyer: the BG/NBD + Gamma-Gamma summary of their purchases (marts.md,
-- fct_customer_ltv): a purchase is a distinct Beijing day with valid orders, time is in
-- whole days, and only what was paid by as_of_date is known to the model.
--   frequency      repeat purchases = purchase days after the first
--   recency        last purchase day - first purchase day (0 without repeats)
--   T              as_of_date - first purchase day
--   monetary_value mean net revenue of the repeat purchase days (null without repeats)
with

purchase_days as (

    select
        person_id,
        paid_date,
        sum(net_amount) as day_net_amount,
        min(paid_date) over (partition by person_id) as first_purchase_date

    from {{ ref('fct_orders') }}
    where is_valid
        and person_id is not null
        and paid_date <= {{ mart_as_of_date() }}
    group by person_id, paid_date

),

summary as (

    select
        person_id,
        count(*) - 1 as frequency,
        {{ dbt.datediff('min(paid_date)', 'max(paid_date)', 'day') }} as recency,
        -- T: the BG/NBD name of a buyer's age, which the CLV fit reads (hence upper case)
        {{ dbt.datediff('min(paid_date)', mart_as_of_date(), 'day') }} as T,  -- noqa: CP02
        -- the exact decimal sum, then one division: an average of doubles depends on the order
        -- the engine adds them in, and the Gamma-Gamma fit moved beyond rounding with it
        cast(sum(day_net_amount) filter (where paid_date > first_purchase_date) as double)
        / count(*) filter (where paid_date > first_purchase_date) as monetary_value

    from purchase_days
    group by person_id

)

select
    person_id,
    frequency::integer as frequency,
    recency::integer as recency,
    T::integer as T,  -- noqa: CP02
    monetary_value

from summary
