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

{#- The record keys a night re-decides in an incremental latest-export-wins model (each from
    ALL its upstream rows afterwards, so an old export arriving late does not beat a newer
    one already here): every key of an upstream file version loaded after the latest one
    this table holds (every key while it is empty), and every key this table attributes to
    a file version gone from the upstream (a replaced or re-read export's old version, a
    file rewritten by an erasure). Pair it with the post-hook delete_rows_of_vanished_versions. -#}
{% macro keys_to_redecide(upstream, key) -%}
    select upstream.{{ key }}
    from {{ upstream }} as upstream
    where upstream._loaded_at > (
        select coalesce(max(_loaded_at), cast('1970-01-01 00:00:00+00' as {{ type_instant() }}))
        from {{ this }}
    )
    union
    select current.{{ key }}
    from {{ this }} as current
    where not exists (
        select 1
        from (select distinct _file_sha256, _loaded_at from {{ upstream }}) as upstream_files
        where upstream_files._file_sha256 = current._file_sha256
            and upstream_files._loaded_at = current._loaded_at
    )
{%- endmacro %}
