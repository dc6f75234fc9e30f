-- One row per (cohort_month of aware_at, acquisition_channel, stage) with at least one
-- person: how many of the month's new persons of a channel reached each funnel stage.
{%- set stages = ['aware', 'interest', 'consider', 'purchase', 'repeat', 'referral'] %}
with

lifecycle as (

    -- a person without any timestamped touch has no cohort month: not counted
    select * from {{ ref('fct_customer_lifecycle') }}
    where cohort_month is not null

),

cohorts as (

    select
        cohort_month,
        acquisition_channel,
        {%- for stage in stages %}
        count(*) filter (where reached_{{ stage }}) as {{ stage }}_persons{{ "," if not loop.last }}
        {%- endfor %}

    from lifecycle
    group by cohort_month, acquisition_channel

),

unpivoted as (

    {%- for stage in stages %}
    select
        cohort_month,
        acquisition_channel,
        '{{ stage }}' as stage,
        {{ loop.index }} as stage_order,
        {{ stage }}_persons as persons,
        {% if loop.first -%}
        null::double as conversion_from_previous,
        {%- else -%}
        {{ mart_ratio(stage ~ '_persons', loop.previtem ~ '_persons') }} as conversion_from_previous,
        {%- endif %}
        {{ mart_ratio(stage ~ '_persons', 'aware_persons') }} as conversion_from_top
    from cohorts
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from unpivoted
where persons > 0
