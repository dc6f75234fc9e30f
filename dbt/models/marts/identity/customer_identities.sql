-- One row per (identifier_type, identifier_value), orders included, with its person.
-- Phones and Tmall buyer names are pseudonymised (keyed HMAC-SHA256): the serving file
-- never holds them in plain text. Identifiers a guard blocked (junk numbers, shared
-- devices) belong to no person and are listed in audit.identity_blocked_identifiers.
select
    person_id,
    identifier_type,
    case
        when identifier_type in ('phone', 'tmall_buyer') then {{ pseudonymize('identifier_value') }}
        else identifier_value
    end as identifier_value,
    first_seen_at,
    last_seen_at

from {{ ref('int_identity__persons') }}
