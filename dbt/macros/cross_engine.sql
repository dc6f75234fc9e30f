{#-
  The few expressions whose SQL differs between DuckDB (the default engine) and Apache Spark
  (dbt-spark, `python -m dagster_project.dbt_runtime.spark`). Models call these instead of the
  engine's own syntax; dbt's cross-database macros (dbt.datediff, ...) cover the rest.
  Each macro dispatches on the adapter: default__ is DuckDB, spark__ is Spark.
-#}

{#- Beijing wall-clock timestamp of an instant (a UTC timestamptz). -#}
{% macro beijing_wallclock(ts) -%}{{ return(adapter.dispatch('beijing_wallclock')(ts)) }}{%- endmacro %}
{% macro default__beijing_wallclock(ts) -%}timezone('Asia/Shanghai', {{ ts }}){%- endmacro %}
{% macro spark__beijing_wallclock(ts) -%}from_utc_timestamp({{ ts }}, 'Asia/Shanghai'){%- endmacro %}

{#- The instant of Beijing midnight that starts a calendar date. -#}
{% macro beijing_midnight(date_expr) -%}{{ return(adapter.dispatch('beijing_midnight')(date_expr)) }}{%- endmacro %}
{% macro default__beijing_midnight(date_expr) -%}timezone('Asia/Shanghai', cast({{ date_expr }} as timestamp)){%- endmacro %}
{% macro spark__beijing_midnight(date_expr) -%}to_utc_timestamp(cast({{ date_expr }} as timestamp), 'Asia/Shanghai'){%- endmacro %}

{#- An instant plus a whole number of days (24 h each, as in marts.md's windows). -#}
{% macro add_days(ts, days) -%}{{ return(adapter.dispatch('add_days')(ts, days)) }}{%- endmacro %}
{% macro default__add_days(ts, days) -%}({{ ts }} + to_days(cast({{ days }} as integer))){%- endmacro %}
{% macro spark__add_days(ts, days) -%}({{ ts }} + make_dt_interval(cast({{ days }} as integer))){%- endmacro %}

{#- Unix epoch seconds as an instant. -#}
{% macro epoch_to_timestamp(seconds) -%}{{ return(adapter.dispatch('epoch_to_timestamp')(seconds)) }}{%- endmacro %}
{% macro default__epoch_to_timestamp(seconds) -%}to_timestamp({{ seconds }}){%- endmacro %}
{% macro spark__epoch_to_timestamp(seconds) -%}timestamp_seconds({{ seconds }}){%- endmacro %}

{#- The SQL type of an instant (DuckDB timestamptz; Spark's timestamp is already one). -#}
{% macro type_instant() -%}{{ return(adapter.dispatch('type_instant')()) }}{%- endmacro %}
{% macro default__type_instant() -%}timestamptz{%- endmacro %}
{% macro spark__type_instant() -%}timestamp{%- endmacro %}

{#- True when a regular expression matches anywhere in the text. -#}
{% macro regexp_contains(expr, pattern) -%}{{ return(adapter.dispatch('regexp_contains')(expr, pattern)) }}{%- endmacro %}
{% macro default__regexp_contains(expr, pattern) -%}regexp_matches({{ expr }}, {{ pattern }}){%- endmacro %}
{% macro spark__regexp_contains(expr, pattern) -%}({{ expr }} rlike {{ pattern }}){%- endmacro %}

{#- JSON text: a scalar at a path as text, a fragment (object/array) as JSON text, and an
    array of scalars at a path as a list of text. -#}
{% macro json_text(json, path) -%}{{ return(adapter.dispatch('json_text')(json, path)) }}{%- endmacro %}
{% macro default__json_text(json, path) -%}json_extract_string({{ json }}, '{{ path }}'){%- endmacro %}
{% macro spark__json_text(json, path) -%}get_json_object({{ json }}, '{{ path }}'){%- endmacro %}

{% macro json_fragment(json, path) -%}{{ return(adapter.dispatch('json_fragment')(json, path)) }}{%- endmacro %}
{% macro default__json_fragment(json, path) -%}cast(json_extract({{ json }}, '{{ path }}') as varchar){%- endmacro %}
{% macro spark__json_fragment(json, path) -%}get_json_object({{ json }}, '{{ path }}'){%- endmacro %}

{% macro json_text_list(json, path) -%}{{ return(adapter.dispatch('json_text_list')(json, path)) }}{%- endmacro %}
{% macro default__json_text_list(json, path) -%}json_extract_string({{ json }}, '{{ path }}[*]'){%- endmacro %}
{% macro spark__json_text_list(json, path) -%}from_json(get_json_object({{ json }}, '{{ path }}'), 'array<string>'){%- endmacro %}

{#- Select-list generator: one row per element of a JSON array text, as `value_alias` (the
    element's JSON text) and `index_alias` (1-based). Invalid JSON gives no rows. -#}
{% macro unnest_json_array(json, value_alias, index_alias) -%}
    {{ return(adapter.dispatch('unnest_json_array')(json, value_alias, index_alias)) }}
{%- endmacro %}
{% macro default__unnest_json_array(json, value_alias, index_alias) -%}
    unnest(json_extract(case when json_valid({{ json }}) then {{ json }} end, '$[*]')) as {{ value_alias }},
    generate_subscripts(json_extract(case when json_valid({{ json }}) then {{ json }} end, '$[*]'), 1) as {{ index_alias }}
{%- endmacro %}
{% macro spark__unnest_json_array(json, value_alias, index_alias) -%}
    {#- from_json is null for invalid JSON; objects come back as their JSON text -#}
    posexplode(from_json({{ json }}, 'array<string>')) as ({{ index_alias }}_0, {{ value_alias }})
{%- endmacro %}
{#- Spark's posexplode is 0-based and cannot be renamed in the same select: models add
    {{ json_array_index(index_alias) }} in the next CTE. -#}
{% macro json_array_index(index_alias) -%}{{ return(adapter.dispatch('json_array_index')(index_alias)) }}{%- endmacro %}
{% macro default__json_array_index(index_alias) -%}{{ index_alias }}{%- endmacro %}
{% macro spark__json_array_index(index_alias) -%}({{ index_alias }}_0 + 1) as {{ index_alias }}{%- endmacro %}

{#- One row per list element: `unnest` in a select list, and a lateral join in a FROM
    clause (`from t, {{ unnest_lateral('t.items') }} as items(item)`). -#}
{% macro unnest_list(expr) -%}{{ return(adapter.dispatch('unnest_list')(expr)) }}{%- endmacro %}
{% macro default__unnest_list(expr) -%}unnest({{ expr }}){%- endmacro %}
{% macro spark__unnest_list(expr) -%}explode({{ expr }}){%- endmacro %}

{% macro unnest_lateral(expr) -%}{{ return(adapter.dispatch('unnest_lateral')(expr)) }}{%- endmacro %}
{% macro default__unnest_lateral(expr) -%}unnest({{ expr }}){%- endmacro %}
{% macro spark__unnest_lateral(expr) -%}lateral explode({{ expr }}){%- endmacro %}

{#- A list literal of numbers. -#}
{% macro list_of(values) -%}{{ return(adapter.dispatch('list_of')(values)) }}{%- endmacro %}
{% macro default__list_of(values) -%}[{{ values | join(', ') }}]{%- endmacro %}
{% macro spark__list_of(values) -%}array({{ values | join(', ') }}){%- endmacro %}

{#- The list of month starts from first_month to last_month (dates, both included). -#}
{% macro month_starts(first_month, last_month) -%}{{ return(adapter.dispatch('month_starts')(first_month, last_month)) }}{%- endmacro %}
{% macro default__month_starts(first_month, last_month) -%}
    list_transform(generate_series({{ first_month }}, {{ last_month }}, interval 1 month), lambda m: cast(m as date))
{%- endmacro %}
{% macro spark__month_starts(first_month, last_month) -%}sequence({{ first_month }}, {{ last_month }}, interval 1 month){%- endmacro %}

{#- The integers start .. stop - 1 as a list (empty when stop <= start). -#}
{% macro integer_range(start, stop) -%}{{ return(adapter.dispatch('integer_range')(start, stop)) }}{%- endmacro %}
{% macro default__integer_range(start, stop) -%}range({{ start }}, {{ stop }}){%- endmacro %}
{% macro spark__integer_range(start, stop) -%}
    filter(sequence(cast({{ start }} as bigint), greatest(cast({{ start }} as bigint), cast({{ stop }} as bigint) - 1)), i -> i < {{ stop }})
{%- endmacro %}

{#- Every rejects file of bronze ($WAREHOUSE_DIR/bronze/_rejects/<source>/<export date>/):
    DuckDB reads them in place; spark_build registers them as the table bronze.rejects. -#}
{% macro bronze_rejects() -%}{{ return(adapter.dispatch('bronze_rejects')()) }}{%- endmacro %}
{% macro default__bronze_rejects() -%}
    read_parquet('{{ env_var("WAREHOUSE_DIR") }}/bronze/_rejects/*/*/*.parquet', union_by_name = true, hive_partitioning = false)
{%- endmacro %}
{% macro spark__bronze_rejects() -%}bronze.rejects{%- endmacro %}

{#- The distinct non-null values of a text column, sorted and joined by a separator. -#}
{% macro join_distinct_sorted(expr, separator) -%}{{ return(adapter.dispatch('join_distinct_sorted')(expr, separator)) }}{%- endmacro %}
{% macro default__join_distinct_sorted(expr, separator) -%}string_agg(distinct {{ expr }}, {{ separator }} order by {{ expr }}){%- endmacro %}
{% macro spark__join_distinct_sorted(expr, separator) -%}array_join(array_sort(collect_set({{ expr }})), {{ separator }}){%- endmacro %}

{#- Each row of `left_relation` with the earliest `right_relation` time at or after its own
    time, for the same key (null when none): a DuckDB ASOF join; on Spark a join + min. -#}
{% macro next_event_at(left_relation, right_relation, key, left_ts, right_ts, as_column) -%}
    {{ return(adapter.dispatch('next_event_at')(left_relation, right_relation, key, left_ts, right_ts, as_column)) }}
{%- endmacro %}
{% macro default__next_event_at(left_relation, right_relation, key, left_ts, right_ts, as_column) -%}
    select
        l.*,
        r.{{ right_ts }} as {{ as_column }}

    from {{ left_relation }} as l
    asof left join {{ right_relation }} as r
        on l.{{ key }} = r.{{ key }}
        and r.{{ right_ts }} >= l.{{ left_ts }}
{%- endmacro %}
{% macro spark__next_event_at(left_relation, right_relation, key, left_ts, right_ts, as_column) -%}
    {#- identical left rows collapse into one; every caller aggregates them away anyway -#}
    select
        l.*,
        min(r.{{ right_ts }}) as {{ as_column }}

    from {{ left_relation }} as l
    left join {{ right_relation }} as r
        on l.{{ key }} = r.{{ key }}
        and r.{{ right_ts }} >= l.{{ left_ts }}
    group by all
{%- endmacro %}

{#- A CTE read more than once that the engine should inline rather than materialise:
    `name as {{ inline_cte() }} (...)`. DuckDB materialises such CTEs whole by default
    (every column, before any filter); Spark inlines CTEs anyway and has no such keyword. -#}
{% macro inline_cte() -%}{{ return(adapter.dispatch('inline_cte')()) }}{%- endmacro %}
{% macro default__inline_cte() -%}not materialized{%- endmacro %}
{% macro spark__inline_cte() -%}{%- endmacro %}

{#- The value of the row that comes first by `order`, null or not. DuckDB's min_by skips the
    rows whose value is null (it returned the second purchase event's amount when the first
    had none); its arg_min_null and Spark's min_by keep them. -#}
{% macro value_of_first(value, order) -%}{{ return(adapter.dispatch('value_of_first')(value, order)) }}{%- endmacro %}
{% macro default__value_of_first(value, order) -%}arg_min_null({{ value }}, {{ order }}){%- endmacro %}
{% macro spark__value_of_first(value, order) -%}min_by({{ value }}, {{ order }}){%- endmacro %}
