{#- pre_hook of int_identity__persons: keep the previous run's person ids (node -> person)
    in int_identity__persons_previous, so marts.person_id_merges can record retired ids and
    the identity-health check can measure churn. An empty table on the first run.
    Drop-then-create rather than `create or replace`: Spark's Hive tables cannot be replaced. -#}
{% macro snapshot_previous_persons() -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- set previous = api.Relation.create(database=this.database, schema=this.schema,
                                           identifier='int_identity__persons_previous', type='table') -%}
    {%- do adapter.drop_relation(previous) -%}
    {%- if existing -%}
        create table {{ previous }} as
        select person_id, node_key, first_seen_at from {{ this }}
    {%- else -%}
        create table {{ previous }} as
        select cast(null as string) as person_id, cast(null as string) as node_key,
            cast(null as {{ type_instant() }}) as first_seen_at
        where false
    {%- endif -%}
{%- endmacro %}
