-- Every identity link a guard dropped, with the reason: blocked values (junk numbers,
-- shared devices, staff phones, numbers shared by too many identities) and receiver
-- phones that were not corroborated (gifts). What the graph did not join, and why.
select
    left_type,
    left_value,
    right_type,
    right_value,
    source,
    evidence,
    guard_reason as reason,
    first_seen_at,
    last_seen_at

from {{ ref('int_identity__guarded_links') }}
where guard_reason is not null

union all

select
    split_part(order_node, ':', 1),
    substr(order_node, length(split_part(order_node, ':', 1)) + 2),
    split_part(phone_node, ':', 1),
    substr(phone_node, length(split_part(phone_node, ':', 1)) + 2),
    'identity graph',
    'phone_receiver',
    drop_reason,
    null,
    null

from {{ ref('int_identity__receiver_links') }}
where drop_reason is not null
