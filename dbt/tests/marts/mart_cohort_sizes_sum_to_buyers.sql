-- Business check: every buyer is in exactly one cohort, so the cohort sizes add up to the
-- buyers of dim_customers and to the new buyers of agg_kpis_monthly. Returns a row on mismatch.
-- asset check of fct_cohort_retention in Dagster (a singular test with several parents needs the hint)
{{ config(meta={'dagster': {'ref': {'name': 'fct_cohort_retention'}}}) }}
with

cohorts as (
    select sum(cohort_size) as cohort_buyers
    from {{ ref('fct_cohort_retention') }}
    where months_since_first_order = 0
),

customers as (
    select count(*) filter (where valid_orders > 0) as buyers
    from {{ ref('dim_customers') }}
),

kpis as (
    select sum(new_buyers) as new_buyers
    from {{ ref('agg_kpis_monthly') }}
)

select *
from cohorts, customers, kpis
where coalesce(cohort_buyers, 0) <> buyers or coalesce(new_buyers, 0) <> buyers
