-- Business check: the aware stage of agg_funnel_monthly counts every person with an aware_at
-- once, and the referral stage every inviter once. Returns a row on mismatch.
-- asset check of agg_funnel_monthly in Dagster (a singular test with several parents needs the hint)
{{ config(meta={'dagster': {'ref': {'name': 'agg_funnel_monthly'}}}) }}
with

funnel as (
    select
        sum(persons) filter (where stage = 'aware') as aware,
        coalesce(sum(persons) filter (where stage = 'referral'), 0) as referral
    from {{ ref('agg_funnel_monthly') }}
),

persons as (
    select count(*) filter (where first_seen_at is not null) as aware
    from {{ ref('dim_customers') }}
),

inviters as (
    select count(distinct inviter_person_id) as referral
    from {{ ref('fct_referrals') }}
)

select *
from funnel, persons, inviters
where coalesce(funnel.aware, 0) <> persons.aware or funnel.referral <> inviters.referral
