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
