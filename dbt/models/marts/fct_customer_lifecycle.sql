-- One row per person: when they reached each stage of the private-domain funnel
-- (认知 aware -> 兴趣 interest -> 考虑 consider -> 购买 purchase -> 复购 repeat, and 推荐
-- referral), and whether they reached it. A stage is reached when it or any later stage
-- up to repeat happened (a buyer who never browsed still passed interest); referral
-- counts only itself, so a sharer who never bought has not reached purchase.
with

first_touches as (

    select * from {{ ref('int_persons__first_touch') }}

),

mp_events as (

    select * from {{ ref('int_mp_events__persons') }}
    where person_id is not null

),

mp_stages as (

    select
        person_id,
        min(event_time) filter (where event in ('view_item', 'coupon_claim')) as first_interest_event_at,
        min(event_time) filter (where event in ('add_to_cart', 'begin_checkout')) as consider_at

    from mp_events
    group by person_id

),

group_joins as (

    select
        persons.person_id,
        min(members.join_time) as first_group_join_at

    from {{ ref('stg_wecom__group_member_history') }} as members
    inner join {{ ref('int_identity__persons') }} as persons
        on persons.identifier_type = 'wecom_external_userid'
        and members.external_userid = persons.identifier_value
    where members.member_type = 2
    group by persons.person_id

),

buyers as (

    select * from {{ ref('int_customers__orders') }}

),

referrals as (

    select
        inviter_person_id as person_id,
        min(referred_at) as referral_at

    from {{ ref('fct_referrals') }}
    group by inviter_person_id

),

stages as (

    select
        first_touches.person_id,
        first_touches.aware_at,
        first_touches.acquisition_channel,
        first_touches.aware_month as cohort_month,
        -- least() skips nulls in DuckDB: the earlier of the two, or whichever exists
        least(mp_stages.first_interest_event_at, group_joins.first_group_join_at) as interest_at,
        mp_stages.consider_at,
        buyers.first_order_at,
        buyers.repeat_order_at,
        referrals.referral_at

    from first_touches
    left join mp_stages on first_touches.person_id = mp_stages.person_id
    left join group_joins on first_touches.person_id = group_joins.person_id
    left join buyers on first_touches.person_id = buyers.person_id
    left join referrals on first_touches.person_id = referrals.person_id

),

reached as (

    select
        *,
        repeat_order_at is not null as reached_repeat,
        coalesce(first_order_at, repeat_order_at) is not null as reached_purchase,
        coalesce(consider_at, first_order_at, repeat_order_at) is not null as reached_consider,
        coalesce(interest_at, consider_at, first_order_at, repeat_order_at) is not null as reached_interest,
        coalesce(aware_at, interest_at, consider_at, first_order_at, repeat_order_at) is not null as reached_aware,
        referral_at is not null as reached_referral

    from stages

)

select * from reached
