-- One row per person: the first known touch (aware_at), the channel that brought them
-- (acquisition_channel) and, when a share brought them, who shared.
-- Equal timestamps go to the higher touch_precedence (int_person_touches).
with

persons as (

    select distinct person_id
    from {{ ref('int_identity__persons') }}

),

first_touches as (

    select * from {{ ref('int_person_touches') }}
    qualify row_number() over (
        partition by person_id
        order by touched_at, touch_precedence, channel, touch_ref
    ) = 1

),

final as (

    select
        persons.person_id,
        first_touches.touched_at as aware_at,
        first_touches.channel as acquisition_channel,
        first_touches.touch_type as first_touch_type,
        first_touches.referred_by_person_id,
        {{ mart_beijing_month('first_touches.touched_at') }} as aware_month

    from persons
    left join first_touches on persons.person_id = first_touches.person_id

)

select * from final
