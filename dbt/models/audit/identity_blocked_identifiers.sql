-- Identifier values that join nothing and belong to no person, with why.
select identifier_type, identifier_value, node_key, first_seen_at, last_seen_at, blocked_reason as reason
from {{ ref('int_identity__identifiers') }}
where is_blocked
