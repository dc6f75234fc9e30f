-- One row per (identifier_type, identifier_value) ever exported, orders included, with its
-- person. Phones and Tmall buyer names are pseudonymised (keyed HMAC-SHA256): the serving
-- file never holds them in plain text. An identifier a guard blocks (a junk number, a
-- phone shared by a family or recycled to a new owner, a staff phone) belongs to no person:
-- it is listed with a null person_id (why: audit.identity_blocked_identifiers), so an
-- identifier still in the exports never disappears from this table.
with

identifiers as (

    select person_id, identifier_type, identifier_value, first_seen_at, last_seen_at
    from {{ ref('int_identity__persons') }}

    union all

    select cast(null as {{ dbt.type_string() }}), identifier_type, identifier_value, first_seen_at, last_seen_at
    from {{ ref('int_identity__identifiers') }}
    where is_blocked

)

select
    person_id,
    identifier_type,
    case
        when identifier_type in ('phone', 'tmall_buyer') then {{ pseudonymize('identifier_value') }}
        else identifier_value
    end as identifier_value,
    first_seen_at,
    last_seen_at

from identifiers
