-- The edges stitching uses after the analysts' overrides: the stitching edges less the
-- links a never_link row cut, plus the links an always_link row added
-- (int_identity__override_edges; cut pairs are stored as (smaller key, larger key)).
{{ config(materialized='view') }}

with

cuts as (

    select left_key, right_key from {{ ref('int_identity__override_edges') }}
    where change = 'cut'

)

select stitch.left_key, stitch.right_key
from {{ ref('int_identity__stitch_edges') }} as stitch
left join cuts
    on least(stitch.left_key, stitch.right_key) = cuts.left_key
    and greatest(stitch.left_key, stitch.right_key) = cuts.right_key
where cuts.left_key is null

union

select left_key, right_key from {{ ref('int_identity__override_edges') }}
where change = 'added'
