-- Identifier values that join nothing, with why: the identity_blocklist seed, junk numbers
-- and phones shared by several identities of one kind. Shared-value guards count distinct
-- strong identities, never rows: a loyal buyer's phone legitimately sits on hundreds of
-- orders. A device seen with several openids is not blocked: it stays with the openid seen
-- on it first (int_identity__guarded_links).
with

links as (

    select * from {{ ref('int_identity__links') }}
    where left_value is not null and right_value is not null

),

sides as (

    select left_type as identifier_type, left_value as identifier_value, right_type as other_type,
        right_value as other_value, evidence
    from links
    union all
    select right_type, right_value, left_type, left_value, evidence
    from links

),

blocked_values as (

    select identifier_type, identifier_value, reason
    from {{ ref('identity_blocklist') }}

    union all

    select distinct identifier_type, identifier_value, 'junk phone number'
    from sides
    where identifier_type = 'phone' and {{ is_junk_phone('identifier_value') }}

    union all

    -- A phone identifies one account of each kind: one WeChat account verifies it, one CRM
    -- member registers it, staff type it on one contact. On two or more it is shared (a
    -- family's number, a number the carrier recycled to a new owner, a staff or shop phone)
    -- and joins none of them. Counted per kind, distinct identities, never rows.
    select identifier_type, identifier_value,
        'phone on ' || count(distinct other_value) || ' ' || other_type || 's (shared, recycled or staff number)'
    from sides
    where identifier_type = 'phone'
      and other_type in ('mp_openid', 'crm_member_id', 'wecom_external_userid')
    group by identifier_type, identifier_value, other_type
    having count(distinct other_value) > 1

),

reasons as (

    select identifier_type, identifier_value, {{ join_distinct_sorted('reason', "'; '") }} as reason
    from blocked_values
    group by identifier_type, identifier_value

)

select * from reasons
