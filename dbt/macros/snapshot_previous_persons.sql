{#- pre_hook of int_identity__persons: keep the previous run's person ids (node -> person)
    in int_identity__persons_previous, so marts.person_id_merges can record retired ids and
    the identity-health check can measure churn. An empty table on the first run. -#}
{% macro snapshot_previous_persons() -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- set previous = this.schema ~ '.int_identity__persons_previous' -%}
    {%- if existing -%}
        create or replace table {{ previous }} as
        select person_id, node_key, first_seen_at from {{ this }}
    {%- else -%}
        create or replace table {{ previous }} as
        select cast(null as varchar) as person_id, cast(null as varchar) as node_key,
            cast(null as timestamptz) as first_seen_at
        where false
    {%- endif -%}
{%- endmacro %}
