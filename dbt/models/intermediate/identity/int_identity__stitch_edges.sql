-- All edges the final stitching uses: the unconditional ones and the receiver phones
-- that int_identity__receiver_links accepted.
{{ config(materialized='view') }}

select left_key, right_key from {{ ref('int_identity__strong_edges') }}
union
select order_node, phone_node from {{ ref('int_identity__receiver_links') }}
where drop_reason is null
