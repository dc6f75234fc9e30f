{#- Incremental models keep their rows per bronze file version, (_file_sha256, _loaded_at):
    a replaced or re-read export, and a file rewritten by an erasure
    (dagster_project/privacy/erasure.py), are new versions; the old one is gone from bronze. -#}

{#- post_hook of an incremental latest-export-wins model: rows whose bronze file version
    (_file_sha256, _loaded_at) is gone (a replaced or re-read export's old version, a file
    rewritten by an erasure, retention) and that the incremental run did not re-decide
    (their key has no bronze row left) leave the table. -#}
{% macro delete_rows_of_vanished_files(source_name) -%}
    {{ delete_rows_of_vanished_versions(source('bronze', source_name)) }}
{%- endmacro %}

{#- The same against any relation carrying the lineage columns (a model downstream of an
    incremental staging model keeps only the rows whose file version is still upstream). -#}
{% macro delete_rows_of_vanished_versions(upstream) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as current
    where not exists (
        select 1
        from (select distinct _file_sha256, _loaded_at from {{ upstream }}) as upstream_files
        where upstream_files._file_sha256 = current._file_sha256
            and upstream_files._loaded_at = current._loaded_at
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- (source, source_file, _file_sha256, _loaded_at) of every file version in these sources'
    bronze (bronze holds one version of a file), or of those a filter on them keeps. -#}
{% macro bronze_source_versions(source_names, where="true") -%}
    {%- for name in source_names %}
    select distinct '{{ name }}' as source, _source_file as source_file, _file_sha256, _loaded_at
    from {{ source('bronze', name) }} where {{ where }}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- post_hook of a model keeping a `source` column (a bronze source name) beside the lineage
    columns: its rows whose file version is gone from that source's bronze leave the table. -#}
{% macro delete_rows_of_vanished_source_versions(source_names) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as current
    where not exists (
        select 1
        from ({{ bronze_source_versions(source_names) }}) as upstream_files
        where upstream_files.source = current.source
            and upstream_files._file_sha256 = current._file_sha256
            and upstream_files._loaded_at = current._loaded_at
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The rows an incremental model keyed by (source, file version) must (re)read: a filter
    on `_loaded_at` from the oldest bronze file version of these sources that the model does
    not hold yet (every row on a first or full build; none when it holds them all). It is a
    constant, not a subquery, so DuckDB skips every Parquet file (and row group) whose
    statistics say it is older: a night reads what landed since the last build. Versions at
    or after that instant that the model already holds are read again; its delete+insert by
    version replaces them with the same rows. The oldest missing version, not the newest
    held one, so that a file version stamped no later than the last build is still read.
    A model of one source's rows (a staging history table, keyed by file version alone)
    has no `source` column: keyed_by_source=false. -#}
{% macro file_versions_not_yet_read(source_names, keyed_by_source=true) -%}
    {%- if not (is_incremental() and execute) -%}{{- return("true") -}}{%- endif -%}
    {%- set oldest_missing -%}
        select cast(min(upstream_files._loaded_at) as varchar)
        from ({{ bronze_source_versions(source_names) }}) as upstream_files
        where not exists (
            select 1
            from (
                select distinct {{ "source" if keyed_by_source else "'" ~ source_names[0] ~ "' as source" }},
                    _file_sha256, _loaded_at
                from {{ this }}
            ) as held
            where held.source = upstream_files.source
                and held._file_sha256 = upstream_files._file_sha256
                and held._loaded_at = upstream_files._loaded_at
        )
    {%- endset -%}
    {%- set oldest = run_query(oldest_missing).columns[0].values()[0] -%}
    {%- if oldest is none -%}{{- return("false") -}}{%- endif -%}
    {{- return("_loaded_at >= cast('" ~ oldest ~ "' as " ~ type_instant() ~ ")") -}}
{%- endmacro %}

{#- A model derived from a model keyed by (source, file version), such as
    int_identity__file_links, that re-derives only what the upstream's new file versions
    touch records after each build the versions it was built from
    (<model>__file_versions: source and version, no identifier). -#}
{% macro file_versions_record() -%}
    {%- do return(api.Relation.create(database=this.database, schema=this.schema,
                                      identifier=this.identifier ~ '__file_versions', type='table')) -%}
{%- endmacro %}

{#- post_hook: replace the record by the versions this build read, naming the build (dbt's
    invocation id), so that another model can tell whether this one's rows and its own come
    from the same build (recorded_build_of). -#}
{% macro record_file_versions(upstream) -%}
    {%- set record = file_versions_record() -%}
    {%- do adapter.drop_relation(record) -%}
    create table {{ record }} as
    select distinct source, _file_sha256, _loaded_at, '{{ invocation_id }}' as built_by from {{ upstream }}
{%- endmacro %}

{#- The build (dbt invocation id) whose rows the model named model_name holds, from its
    record: none without a record, with an empty one, or with one written before records
    named their build. -#}
{% macro recorded_build_of(model_name) -%}
    {%- if not execute -%}{{- return(none) -}}{%- endif -%}
    {%- set record = adapter.get_relation(this.database, this.schema, model_name ~ '__file_versions') -%}
    {%- if record is none -%}{{- return(none) -}}{%- endif -%}
    {%- if 'built_by' not in adapter.get_columns_in_relation(record) | map(attribute='name') | list -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(run_query('select min(built_by) from ' ~ record).columns[0].values()[0]) -}}
{%- endmacro %}

{#- What the upstream holds that this model was not built from: none when the model must be
    derived whole (a first or full build, no record, or a version it was built from is gone:
    a replaced export, a file an erasure rewrote, whose rows' contribution cannot be
    subtracted), else a constant filter on the upstream's rows that keeps at least those of
    its new versions ("false" when there are none). -#}
{% macro file_versions_since_last_build(upstream) -%}
    {%- if not (is_incremental() and execute) -%}{{- return(none) -}}{%- endif -%}
    {{- return(file_versions_since_build_of(upstream, this.identifier)) -}}
{%- endmacro %}

{#- The same for the model named model_name, from its record (none without one). -#}
{% macro file_versions_since_build_of(upstream, model_name) -%}
    {%- if not execute -%}{{- return(none) -}}{%- endif -%}
    {%- set record = adapter.get_relation(this.database, this.schema, model_name ~ '__file_versions') -%}
    {%- if record is none -%}{{- return(none) -}}{%- endif -%}
    {%- set query -%}
        with
        upstream_versions as (select distinct source, _file_sha256, _loaded_at from {{ upstream }}),
        recorded as (select source, _file_sha256, _loaded_at from {{ record }})
        select
            (select count(*) from recorded anti join upstream_versions
                using (source, _file_sha256, _loaded_at)) as vanished,
            (select cast(min(_loaded_at) as varchar) from upstream_versions anti join recorded
                using (source, _file_sha256, _loaded_at)) as oldest_new
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row[0] > 0 -%}{{- return(none) -}}{%- endif -%}
    {%- if row[1] is none -%}{{- return("false") -}}{%- endif -%}
    {{- return("_loaded_at >= cast('" ~ row[1] ~ "' as " ~ type_instant() ~ ")") -}}
{%- endmacro %}

{#- pre_hook of an incremental model that folds its upstream's new file versions into its
    rows (int_identity__links): when it must be derived whole instead, its rows go first,
    so the build inserts them all again (inside the build's transaction: a failed build
    keeps them). -#}
{% macro empty_unless_folding(upstream) -%}
    {%- if is_incremental() and file_versions_since_last_build(upstream) is none -%}
    delete from {{ this }}
    {%- endif -%}
{%- endmacro %}
