-- Receiver phones of orders, judged against the components of the unconditional edges.
-- A receiver phone is the receiver's, not always the buyer's (gifts), so it joins only
-- when the files say it is the buyer's and never merges two people who are otherwise
-- clearly distinct.
--
-- A component is a *known person* when it holds a person-level identity: a WeChat/WeCom
-- id, a CRM member, or a phone tied to one of those. Orders, Tmall buyer names and phones
-- seen only on orders are platform-level: they say who bought, not who the person is.
-- In this order, a receiver phone of another component
--   1. that differs from the order's own buyer phone (Youzan shows both; a
--      masked buyer phone still shows which numbers it is not)              -> drop (gift)
--   2. of a buyer whose component already holds a phone of its own           -> drop (gift)
--   3. that is not the buyer's usual receiver phone: usual is the phone the
--      buyer's orders went to strictly most often (among those left by 1-2,
--      blocked numbers included: they join nothing but still count); on a
--      tie, the one the buyer shipped to first                              -> else drop
--   4. between two known persons: only a usual phone won outright (no tie)
--      on two or more orders; one order to a known person is a gift         -> else drop
--   5. that is the usual receiver phone of two or more known buyers          -> drop
--   otherwise                                                               -> join
-- Gifts are recognised by what the rows say (another buyer phone, a known own phone, a
-- known receiver), not by how rare they are; the one count, "more than once", says that a
-- single order is a single event and never merges two known persons.
with

guarded as (

    select * from {{ ref('int_identity__guarded_links') }}
    where guard_reason is null

),

receiver_links as (

    select
        left_type || ':' || left_value as order_node,
        right_type || ':' || right_value as phone_node,
        min(first_seen_at) as first_seen_at

    from guarded
    where evidence = 'phone_receiver'
    group by left_type, left_value, right_type, right_value

),

buyer_phones as (

    select distinct
        left_type || ':' || left_value as order_node,
        right_type || ':' || right_value as phone_node

    from guarded
    where evidence = 'phone_buyer'

),

masked_buyer_phones as (

    -- a masked buyer phone (137****4091) still tells which numbers it is not
    select distinct
        'order:' || {{ order_key("'youzan'", 'order_id') }} as order_node,
        replace(trim(buyer_phone), '*', '_') as digits_pattern

    from {{ source('bronze', 'youzan_orders') }}
    where buyer_phone_is_masked and length(trim(buyer_phone)) = 11

),

orders_with_buyer_phone as (

    select order_node from buyer_phones
    union
    select order_node from masked_buyer_phones

),

receivers_matching_buyer as (

    select order_node, phone_node from buyer_phones
    union
    select receiver_links.order_node, receiver_links.phone_node
    from receiver_links
    inner join masked_buyer_phones
        on receiver_links.order_node = masked_buyer_phones.order_node
        and receiver_links.phone_node like 'phone:+86%'
        and substr(receiver_links.phone_node, 10) like masked_buyer_phones.digits_pattern

),

blocked_receivers as (

    -- receiver phones a guard blocked (shared, junk, staff numbers): they join nothing, but
    -- they are still where the buyer's orders went, so they compete for "usual"
    select
        left_type || ':' || left_value as order_node,
        right_type || ':' || right_value as phone_node,
        min(first_seen_at) as first_seen_at

    from {{ ref('int_identity__guarded_links') }}
    where evidence = 'phone_receiver' and guard_reason is not null
      and left_value is not null and right_value is not null
    group by left_type, left_value, right_type, right_value

),

components as (

    select node_key, component_key from {{ ref('int_identity__strong_components') }}

),

components_with_phone as (

    select distinct component_key from components where node_key like 'phone:%'

),

edge_ends as (

    select left_key as node_key, right_key as other_key from {{ ref('int_identity__strong_edges') }}
    union all
    select right_key, left_key from {{ ref('int_identity__strong_edges') }}

),

person_level_phones as (

    select distinct edge_ends.node_key
    from edge_ends
    where edge_ends.node_key like 'phone:%'
      and edge_ends.other_key not like 'order:%'

),

known as (

    select components.component_key, max(
        case
            when nodes.identifier_type not in ('order', 'phone', 'tmall_buyer') then 1
            when person_level_phones.node_key is not null then 1
            else 0
        end
    ) = 1 as is_known
    from components
    inner join {{ ref('int_identity__nodes') }} as nodes on components.node_key = nodes.node_key
    left join person_level_phones on components.node_key = person_level_phones.node_key
    group by components.component_key

),

judged as (

    select
        receiver_links.order_node,
        receiver_links.phone_node,
        receiver_links.first_seen_at,
        order_component.component_key as order_component,
        phone_component.component_key as phone_component,
        order_known.is_known as order_is_known,
        phone_known.is_known as phone_is_known,
        case
            when order_component.component_key = phone_component.component_key then null
            when orders_with_buyer_phone.order_node is not null and receivers_matching_buyer.phone_node is null
                then 'receiver phone differs from the order''s buyer phone (gift)'
            when components_with_phone.component_key is not null
                then 'the buyer''s own phone is known: another receiver phone is someone else''s (gift)'
        end as first_reason

    from receiver_links
    inner join components as order_component on receiver_links.order_node = order_component.node_key
    inner join components as phone_component on receiver_links.phone_node = phone_component.node_key
    inner join known as order_known on order_component.component_key = order_known.component_key
    inner join known as phone_known on phone_component.component_key = phone_known.component_key
    left join orders_with_buyer_phone on receiver_links.order_node = orders_with_buyer_phone.order_node
    left join receivers_matching_buyer
        on receiver_links.order_node = receivers_matching_buyer.order_node
        and receiver_links.phone_node = receivers_matching_buyer.phone_node
    left join components_with_phone on order_component.component_key = components_with_phone.component_key

),

candidates as (

    select * from judged
    where first_reason is null and order_component <> phone_component

),

contest as (

    select order_component, phone_node, order_node, first_seen_at from candidates
    union all
    select components.component_key, blocked_receivers.phone_node, blocked_receivers.order_node,
        blocked_receivers.first_seen_at
    from blocked_receivers
    inner join components on blocked_receivers.order_node = components.node_key

),

phone_use as (

    -- how many orders of a buyer went to each receiver phone still in the contest, and since when
    select order_component, phone_node, count(distinct order_node) as orders, min(first_seen_at) as first_used
    from contest
    group by order_component, phone_node

),

most_used as (

    select * from (
        select phone_use.*, max(orders) over (partition by order_component) as top_orders
        from phone_use
    ) as counted
    where orders = top_orders

),

most_used_counted as (

    select most_used.*, count(*) over (partition by order_component) as tied_phones
    from most_used

),

usual as (

    -- the most used phone; on a tie the first used (an account's first delivery is most
    -- often to its owner); still tied (same first time) -> none is usual
    select order_component, phone_node
    from (
        select
            order_component,
            phone_node,
            row_number() over (partition by order_component order by first_used, phone_node) as position,
            count(*) over (partition by order_component, first_used) as same_start
        from most_used
    ) as ranked
    where position = 1 and same_start = 1

),

second_pass as (

    select
        candidates.order_node,
        candidates.phone_node,
        candidates.order_component,
        candidates.order_is_known,
        case
            when most_used.phone_node is null then 'not the buyer''s usual receiver phone'
            when usual.phone_node is null then 'ties with the buyer''s usual receiver phone (first used is usual)'
            when candidates.order_is_known and candidates.phone_is_known
                and (most_used.orders < 2 or most_used.tied_phones > 1)
                then 'receiver phone belongs to another known person and is not the buyer''s repeated usual phone (gift)'
        end as usual_reason

    from candidates
    left join most_used_counted as most_used
        on candidates.order_component = most_used.order_component and candidates.phone_node = most_used.phone_node
    left join usual
        on candidates.order_component = usual.order_component and candidates.phone_node = usual.phone_node

),

known_per_phone as (

    -- a phone that is the usual receiver phone of two known buyers joins neither
    select phone_node, count(distinct order_component) as known_persons
    from second_pass
    where usual_reason is null and order_is_known
    group by phone_node

)

select
    judged.order_node,
    judged.phone_node,
    judged.order_component,
    judged.phone_component,
    judged.order_is_known,
    judged.phone_is_known,
    coalesce(
        judged.first_reason,
        second_pass.usual_reason,
        case when known_per_phone.known_persons > 1
            then 'receiver phone would join ' || known_per_phone.known_persons || ' known persons' end
    ) as drop_reason

from judged
left join second_pass
    on judged.order_node = second_pass.order_node and judged.phone_node = second_pass.phone_node
left join known_per_phone on judged.phone_node = known_per_phone.phone_node
