-- One row per buyer: historical LTV windows (net revenue of valid orders paid within N
-- days of the first valid order, the first included: paid_at < first_order_at + N days)
-- and the predictive columns of the BG/NBD + Gamma-Gamma model (dagster_project.clv.fitting,
-- parameters in clv_model_params).
{%- set windows = [30, 90, 180, 365] %}
with

buyers as (

    select * from {{ ref('int_customers__orders') }}

),

valid_orders as (

    select person_id, paid_at, net_amount
    from {{ ref('fct_orders') }}
    where is_valid and person_id is not null

),

windows as (

    select
        buyers.person_id,
        {%- for n in windows %}
        sum(valid_orders.net_amount) filter (
            where valid_orders.paid_at < buyers.first_order_at + interval {{ n }} day
        ) as ltv_{{ n }}d,
        {%- endfor %}
        sum(valid_orders.net_amount) as ltv_to_date

    from buyers
    inner join valid_orders on buyers.person_id = valid_orders.person_id
    group by buyers.person_id

),

inputs as (

    select * from {{ ref('int_customers__clv_inputs') }}

),

predictions as (

    select * from {{ ref('int_customers__clv_predictions') }}

),

final as (

    select
        buyers.person_id,
        buyers.first_order_at,
        {%- for n in windows %}
        {{ mart_money('windows.ltv_' ~ n ~ 'd') }} as ltv_{{ n }}d,
        {%- endfor %}
        {{ mart_money('windows.ltv_to_date') }} as ltv_to_date,
        predictions.p_alive,
        predictions.expected_purchases_365d,
        predictions.expected_avg_order_value,
        cast(predictions.predicted_clv_365d as decimal(18, 2)) as predicted_clv_365d,
        buyers.days_since_first_order,
        inputs.frequency as clv_frequency,
        inputs.recency as clv_recency_days,
        inputs.T as clv_age_days,  -- noqa: CP02
        inputs.monetary_value as clv_monetary_value

    from buyers
    inner join windows on buyers.person_id = windows.person_id
    left join inputs on buyers.person_id = inputs.person_id
    left join predictions on buyers.person_id = predictions.person_id

)

select * from final
