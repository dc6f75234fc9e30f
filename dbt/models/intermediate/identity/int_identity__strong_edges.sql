-- Edges that join unconditionally: every kept link except receiver phones, which join
-- only when corroborated (int_identity__receiver_links).
{{ config(materialized='view') }}

select distinct
    left_type || ':' || left_value as left_key,
    right_type || ':' || right_value as right_key

from {{ ref('int_identity__guarded_links') }}
where guard_reason is null and evidence <> 'phone_receiver'
