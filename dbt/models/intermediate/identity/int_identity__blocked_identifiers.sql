-- Identifier values that join nothing, with why. Each guard's threshold lives in
-- dbt_project.yml vars (identity_*) or the identity_blocklist seed. Shared-value guards
-- count distinct strong identities, never rows: a loyal buyer's phone legitimately sits
-- on hundreds of orders.
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

    -- a device used by several people (family tablet, store demo phone) joins nobody
    select identifier_type, identifier_value,
        'device seen with ' || count(distinct other_value) || ' openids'
    from sides
    where identifier_type = 'mp_anonymous_id' and other_type = 'mp_openid'
    group by identifier_type, identifier_value
    having count(distinct other_value) > {{ var('identity_max_openids_per_device') }}

    union all

    -- a number staff typed into many contacts is the shop's or the staff member's own
    select identifier_type, identifier_value,
        'remark_mobiles number on ' || count(distinct other_value) || ' WeCom contacts'
    from sides
    where identifier_type = 'phone' and evidence = 'phone_staff'
    group by identifier_type, identifier_value
    having count(distinct other_value) > {{ var('identity_max_contacts_per_staff_phone') }}

    union all

    select identifier_type, identifier_value,
        'phone shared by ' || count(distinct other_value) || ' ' || other_type || 's'
    from sides
    where identifier_type = 'phone'
      and other_type in ('mp_openid', 'crm_member_id', 'wecom_external_userid')
      and evidence <> 'phone_staff'
    group by identifier_type, identifier_value, other_type
    having count(distinct other_value) > {{ var('identity_max_identities_per_phone') }}

),

reasons as (

    select identifier_type, identifier_value, {{ join_distinct_sorted('reason', "'; '") }} as reason
    from blocked_values
    group by identifier_type, identifier_value

)

select * from reasons
