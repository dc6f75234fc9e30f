-- Every identity link ever exported, one row per (left, right, source, evidence) with
-- first/last seen. History, not latest state: a link a later export no longer shows is
-- still evidence (marts.md, Identity). Guards are applied downstream
-- (int_identity__guarded_links); this model only collects, from int_identity__file_links
-- (the links of each bronze file version, built incrementally). Every link keeps the export files it
-- came from (first_source_file, last_source_file): `siyu explain` shows them.
--
-- Incremental by link: every column is a min, max, sum or count over the link's file rows,
-- so a night sums only the file versions it was not built from and folds those sums into
-- the held rows (a MERGE: a link already here takes the least/greatest/sum of both, set
-- below; least and greatest skip nulls as min and max do; a new link is inserted) instead
-- of summing 10^7 file rows again. The versions it was built from are recorded after each build
-- (int_identity__links__file_versions, macros/file_versions.sql). When one of them is gone
-- (a replaced export, a file an erasure rewrote) a link's sum cannot be undone: the
-- pre-hook empties the table and every link is summed again (at a million customers 35 s;
-- merging a whole re-sum into the held rows instead took 100 s).
-- A side may be null (an identifier seen alone), hence the null-safe match of the MERGE.
-- (dbt's merge wants a unique_key: evidence, never null; the match is the whole key.)
-- On Spark a plain table, like the other incremental models.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    incremental_strategy="merge",
    unique_key="evidence",
    incremental_predicates=identity_link_key_matches("DBT_INTERNAL_SOURCE", "DBT_INTERNAL_DEST"),
    merge_update_set_expressions={
        "first_seen_at": "least(DBT_INTERNAL_DEST.first_seen_at, DBT_INTERNAL_SOURCE.first_seen_at)",
        "last_seen_at": "greatest(DBT_INTERNAL_DEST.last_seen_at, DBT_INTERNAL_SOURCE.last_seen_at)",
        "sightings": "DBT_INTERNAL_DEST.sightings + DBT_INTERNAL_SOURCE.sightings",
        "first_source_file": "least(DBT_INTERNAL_DEST.first_source_file, DBT_INTERNAL_SOURCE.first_source_file)",
        "last_source_file": "greatest(DBT_INTERNAL_DEST.last_source_file, DBT_INTERNAL_SOURCE.last_source_file)",
        "source_files": "DBT_INTERNAL_DEST.source_files + DBT_INTERNAL_SOURCE.source_files",
    },
    on_schema_change="fail",
    pre_hook="{{ empty_unless_folding(ref('int_identity__file_links')) }}",
    post_hook="{{ record_file_versions(ref('int_identity__file_links')) }}",
) }}
{%- set since = file_versions_since_last_build(ref('int_identity__file_links')) %}

with

file_rows as (

    -- the alias serves the incremental filter below
    select * from {{ ref('int_identity__file_links') }} as file_links  -- noqa: AL05
    {%- if since is not none %}
    -- exactly the versions not folded in yet: the filter prunes by _loaded_at, the anti
    -- join drops the versions at or after it that the table already holds
    where {{ since }}
        and not exists (
            select 1 from {{ file_versions_record() }} as folded
            where folded.source = file_links.source
                and folded._file_sha256 = file_links._file_sha256
                and folded._loaded_at = file_links._loaded_at
        )
    {%- endif %}

),

summed as (

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

    from file_rows
    group by left_type, left_value, right_type, right_value, source, evidence

)

select * from summed
