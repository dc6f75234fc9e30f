-- Business check: a buyer's lifetime value to date is their net revenue in dim_customers,
-- and fct_customer_ltv has exactly the buyers. Returns the persons that disagree.
-- asset check of fct_customer_ltv in Dagster (a singular test with several parents needs the hint)
{{ config(meta={'dagster': {'ref': {'name': 'fct_customer_ltv'}}}) }}
select
    coalesce(ltv.person_id, customers.person_id) as person_id,
    ltv.ltv_to_date,
    customers.net_revenue

from {{ ref('fct_customer_ltv') }} as ltv
full outer join (
    select * from {{ ref('dim_customers') }} where valid_orders > 0
) as customers on ltv.person_id = customers.person_id
where ltv.person_id is null
    or customers.person_id is null
    or ltv.ltv_to_date <> customers.net_revenue
