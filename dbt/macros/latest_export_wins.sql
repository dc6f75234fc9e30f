{#- The landing contract's "latest export wins" rule: of all bronze rows sharing a record
    key, keep the one of the latest export date (a re-dropped identical file is a tie
    broken deterministically by file then row). Use as the last clause of a select:

        select * from renamed
        {{ latest_export_wins(['order_id']) }}
-#}
{% macro latest_export_wins(partition_by) -%}
    {%- if partition_by is string -%}{%- set partition_by = [partition_by] -%}{%- endif -%}
qualify row_number() over (
    partition by {{ partition_by | join(', ') }}
    order by _export_date desc, _source_file desc, _row_number desc
) = 1
{%- endmacro %}

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
