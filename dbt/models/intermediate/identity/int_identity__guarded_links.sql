-- Every link between two identifiers, with the guard that stops it (null = kept).
with

-- read twice (the device owners, the guards): inlined, as DuckDB would otherwise copy all
-- 8M links before either reads them (6.2 s, 3.7 s inlined: the 1M bench landing)
links as {{ inline_cte() }} (

    select * from {{ ref('int_identity__links') }}
    where left_value is not null and right_value is not null

),

reasons as (

    select * from {{ ref('int_identity__blocked_identifiers') }}

),

device_first_openid as (

    -- A device seen with several openids (a family's tablet, a store's demo phone) stays
    -- with the openid seen on it first, its owner before anyone else logged in, and links
    -- no other openid. So a device never leaves its person when it becomes shared, and the
    -- choice does not change as later exports arrive.
    select right_value as device, left_value as openid
    from (
        select
            right_value,
            left_value,
            row_number() over (partition by right_value order by min(first_seen_at), left_value) as position
        from links
        where evidence = 'device'
        group by right_value, left_value
    ) as ranked
    where position = 1

)

select
    links.*,
    coalesce(
        left_block.reason,
        right_block.reason,
        case when links.evidence = 'device' and links.left_value <> device_first_openid.openid
            then 'shared device: it stays with the openid seen on it first' end
    ) as guard_reason

from links
left join reasons as left_block
    on links.left_type = left_block.identifier_type and links.left_value = left_block.identifier_value
left join reasons as right_block
    on links.right_type = right_block.identifier_type and links.right_value = right_block.identifier_value
left join device_first_openid
    on links.evidence = 'device' and links.right_value = device_first_openid.device
