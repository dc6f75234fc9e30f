-- Business check: monthly referred_new_persons add up to fct_referrals. Returns a row on mismatch.
-- asset check of agg_kpis_monthly in Dagster (a singular test with several parents needs the hint)
{{ config(meta={'dagster': {'ref': {'name': 'agg_kpis_monthly'}}}) }}
select *
from
    (select coalesce(sum(referred_new_persons), 0) as monthly from {{ ref('agg_kpis_monthly') }}) as kpis,
    (select count(*) as referrals from {{ ref('fct_referrals') }}
     where {{ mart_beijing_month('referred_at') }} <= {{ mart_as_of_month() }}) as referrals
where kpis.monthly <> referrals.referrals
