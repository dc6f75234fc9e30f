-- Receiver phones of orders, judged against the components of the unconditional edges.
-- A receiver phone is the receiver's, not always the buyer's (gifts), so it joins only
-- when corroborated and never merges two people who are otherwise clearly distinct.
--
-- A component is a *known person* when it holds a person-level identity: a WeChat/WeCom
-- id, a CRM member, or a phone tied to one of those. Orders, Tmall buyer names and phones
-- seen only on orders are platform-level: they say who bought, not who the person is.
--   * the phone is not the most used receiver phone of the order's person -> drop
--     (a buyer's occasional other address: most likely a gift)
--   * order's person and phone's person both known and different, and the buyer sent
--     only one order there                                             -> drop (a gift)
--   * the phone is the usual receiver phone of two or more known buyers -> drop
--   * otherwise                                                        -> join
with

receiver_links as (

    select distinct
        left_type || ':' || left_value as order_node,
        right_type || ':' || right_value as phone_node

    from {{ ref('int_identity__guarded_links') }}
    where guard_reason is null and evidence = 'phone_receiver'

),

components as (

    select node_key, component_key from {{ ref('int_identity__strong_components') }}

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
        order_component.component_key as order_component,
        phone_component.component_key as phone_component,
        order_known.is_known as order_is_known,
        phone_known.is_known as phone_is_known

    from receiver_links
    inner join components as order_component on receiver_links.order_node = order_component.node_key
    inner join components as phone_component on receiver_links.phone_node = phone_component.node_key
    inner join known as order_known on order_component.component_key = order_known.component_key
    inner join known as phone_known on phone_component.component_key = phone_known.component_key

),

phone_use as (

    -- how many orders of a person went to each receiver phone
    select order_component, phone_node, count(distinct order_node) as orders
    from judged
    group by order_component, phone_node

),

usual_phone as (

    select order_component, max(orders) as top_orders
    from phone_use
    group by order_component

),

first_pass as (

    select
        judged.*,
        case
            when judged.order_component = judged.phone_component then null
            when phone_use.orders < usual_phone.top_orders
                then 'not the buyer''s usual receiver phone'
            when judged.order_is_known and judged.phone_is_known and phone_use.orders < 2
                then 'receiver phone belongs to another known person and the buyer used it once (gift)'
        end as first_reason

    from judged
    inner join phone_use
        on judged.order_component = phone_use.order_component and judged.phone_node = phone_use.phone_node
    inner join usual_phone on judged.order_component = usual_phone.order_component

),

attachments as (

    -- the known persons each phone and each buyer would be joined with
    select phone_node, order_component,
        case when order_is_known then order_component end as known_order_person,
        case when phone_is_known then phone_component end as known_phone_person
    from first_pass
    where first_reason is null and order_component <> phone_component

),

known_per_phone as (

    -- a phone that is the usual receiver phone of two known buyers joins neither
    select phone_node, count(distinct known_order_person) as known_persons
    from attachments
    where known_order_person is not null
    group by phone_node

),

known_per_buyer as (

    select order_component, count(distinct known_phone_person) as known_persons
    from attachments
    group by order_component

)

select
    first_pass.order_node,
    first_pass.phone_node,
    first_pass.order_component,
    first_pass.phone_component,
    first_pass.order_is_known,
    first_pass.phone_is_known,
    coalesce(
        first_pass.first_reason,
        case when known_per_phone.known_persons > 1
            then 'receiver phone would join ' || known_per_phone.known_persons || ' known persons' end,
        case when known_per_buyer.known_persons > 1
            then 'buyer''s usual receiver phones belong to ' || known_per_buyer.known_persons || ' known persons' end
    ) as drop_reason

from first_pass
left join known_per_phone on first_pass.phone_node = known_per_phone.phone_node
left join known_per_buyer on first_pass.order_component = known_per_buyer.order_component
