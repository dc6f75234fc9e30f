-- Every identity link ever exported, one row per (left, right, source, evidence) with
-- first/last seen. History, not latest state: a link a later export no longer shows is
-- still evidence (marts.md, Identity). Guards are applied downstream
-- (int_identity__guarded_links); this model only collects, from int_identity__file_links
-- (the links of each bronze file version, built incrementally). Every link keeps the export files it
-- came from (first_source_file, last_source_file): `siyu explain` shows them.
select
    left_type,
    left_value,
    right_type,
    right_value,
    source,
    evidence,
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at,
    cast(sum(sightings) as bigint) as sightings,
    -- lineage: <source>/<export date>/<file>, so min/max are the first and latest export
    -- files that carried the link (deterministic on every engine, unlike min_by on ties)
    min(source_file) as first_source_file,
    max(source_file) as last_source_file,
    count(source_file) as source_files

from {{ ref('int_identity__file_links') }}
group by left_type, left_value, right_type, right_value, source, evidence
