-- Nodes of the identity graph: every identifier that no guard blocked.
{{ config(materialized='view') }}

select node_key, identifier_type, identifier_value, first_seen_at
from {{ ref('int_identity__identifiers') }}
where not is_blocked
