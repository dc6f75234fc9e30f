-- One row per (week_start, channel, stage): the in-app conversion funnel of the Mini
-- Program, view_item -> add_to_cart -> begin_checkout -> purchase, counted per person.
-- A person enters the funnel of a Beijing week (Monday) with each view_item of that week;
-- from that view_item, each later step is the person's first such event at or after the
-- previous step, and counts only when it happens within var mart_mp_funnel_window_days
-- of the view_item (taking the earliest next event is what makes "sequential within the
-- window" exact: any chain that fits the window, this one fits too). A person counts once
-- per week, at the furthest step any of their view_items of the week reached.
-- channel: the person's acquisition_channel (see the yml for why not the event channel).
{%- set steps = ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'] %}
with

events as (

    select person_id, event, event_time
    from {{ ref('int_mp_events__persons') }}
    where person_id is not null
        and event in ('{{ steps | join("', '") }}')

),

{% for step in steps %}
{{ step }}_events as (

    select person_id, event_time from events where event = '{{ step }}'

),

{% endfor -%}

starts as (

    select
        person_id,
        event_time as view_item_at,
        {{ mart_beijing_week('event_time') }} as week_start,
        {{ add_days('event_time', var('mart_mp_funnel_window_days')) }} as window_end

    from view_item_events

),

{%- for step in steps[1:] %}
{%- set previous = steps[loop.index - 1] %}

{{ step }}_steps as (

    {{ next_event_at('starts' if loop.first else previous ~ '_steps', step ~ '_events',
                     'person_id', previous ~ '_at', 'event_time', step ~ '_at') }}

),
{%- endfor %}

depths as (

    -- steps reached from one view_item: 1 .. 4
    select
        person_id,
        week_start,
        1
        {%- for step in steps[1:] %}
        + case when {% for s in steps[1:loop.index + 1] %}{{ s }}_at <= window_end{{ " and " if not loop.last }}{% endfor %} then 1 else 0 end
        {%- endfor %} as depth

    from {{ steps[-1] }}_steps

),

person_weeks as (

    select person_id, week_start, max(depth) as depth
    from depths
    group by all

),

channels as (

    select
        person_weeks.*,
        coalesce(first_touches.acquisition_channel, 'unknown') as channel

    from person_weeks
    left join {{ ref('int_persons__first_touch') }} as first_touches
        on person_weeks.person_id = first_touches.person_id

),

counts as (

    select
        week_start,
        channel,
        {%- for step in steps %}
        count(*) filter (where depth >= {{ loop.index }}) as {{ step }}_persons{{ "," if not loop.last }}
        {%- endfor %}

    from channels
    group by all

),

unpivoted as (

    {%- for step in steps %}
    select
        week_start,
        channel,
        '{{ step }}' as stage,
        {{ loop.index }} as stage_order,
        {{ step }}_persons as persons,
        {% if loop.first -%}
        null::double as conversion_from_previous,
        {%- else -%}
        {{ mart_ratio(step ~ '_persons', loop.previtem ~ '_persons') }} as conversion_from_previous,
        {%- endif %}
        {{ mart_ratio(step ~ '_persons', 'view_item_persons') }} as conversion_from_top
    from counts
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from unpivoted
