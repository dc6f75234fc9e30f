-- One row per referred person: someone whose first known touch is a Mini Program event
-- carrying share_from of another person's openid. Shares clicked by people who already
-- existed are not referrals: their first touch was earlier.
with

first_touches as (

    select * from {{ ref('int_persons__first_touch') }}
    where referred_by_person_id is not null

),

buyers as (

    select person_id, first_order_at
    from {{ ref('int_customers__orders') }}

),

final as (

    select
        first_touches.person_id as invitee_person_id,
        first_touches.referred_by_person_id as inviter_person_id,
        first_touches.aware_at as referred_at,
        buyers.first_order_at as invitee_first_order_at

    from first_touches
    left join buyers on first_touches.person_id = buyers.person_id

)

select * from final
