-- Final connected components: portable SQL path (label propagation),
-- selected with --vars '{identity_stitching: sql}'.
{{ config(materialized='table') }}

{{ label_propagation(ref('int_identity__nodes'), ref('int_identity__final_edges')) }}
