-- Every link between two identifiers, with the guard that stops it (null = kept).
with

links as (

    select * from {{ ref('int_identity__links') }}
    where left_value is not null and right_value is not null

),

reasons as (

    select * from {{ ref('int_identity__blocked_identifiers') }}

)

select
    links.*,
    coalesce(left_block.reason, right_block.reason) as guard_reason

from links
left join reasons as left_block
    on links.left_type = left_block.identifier_type and links.left_value = left_block.identifier_value
left join reasons as right_block
    on links.right_type = right_block.identifier_type and links.right_value = right_block.identifier_value
