-- Business check: monthly GMV, net revenue and order counts add up to the valid orders of
-- fct_orders (every valid order is paid in some month of the KPI spine). Returns a row on mismatch.
-- asset check of agg_kpis_monthly in Dagster (a singular test with several parents needs the hint)
{{ config(meta={'dagster': {'ref': {'name': 'agg_kpis_monthly'}}}) }}
with

kpis as (
    select sum(orders) as orders, sum(gmv) as gmv, sum(net_revenue) as net_revenue
    from {{ ref('agg_kpis_monthly') }}
),

orders as (
    select count(*) as orders, sum(paid_amount) as gmv, sum(net_amount) as net_revenue
    from {{ ref('fct_orders') }}
    where is_valid and paid_month <= {{ mart_as_of_month() }}
)

select *
from kpis, orders
where kpis.orders <> orders.orders
    or coalesce(kpis.gmv, 0) <> coalesce(orders.gmv, 0)
    or coalesce(kpis.net_revenue, 0) <> coalesce(orders.net_revenue, 0)
