{#- Helpers of the models that keep a person_id per row incrementally (int_mp_events__persons).
    Such a model records, after each build, the identifier -> person mapping it used
    (<model>__mapped_identifiers, written by a post-hook in the same transaction as the
    rows); the next build re-maps only the rows that carry an identifier whose person
    differs from that record (a merge, a split, an identifier that appeared, was blocked
    or was erased). The record belongs to the model, not to the identity graph's own
    snapshot (int_identity__persons_previous), so a run that failed half-way can never
    make the two disagree. -#}

{#- The relation of the mapping record of this model, or none when it does not exist
    (first build, a table built before the record existed): then everything is re-mapped. -#}
{% macro mapped_identifiers_relation() -%}
    {%- do return(adapter.get_relation(this.database, this.schema, this.identifier ~ '__mapped_identifiers')) -%}
{%- endmacro %}

{#- post_hook: replace the record by the mapping this build used. -#}
{% macro record_mapped_identifiers(identifiers_sql) -%}
    {%- set record = api.Relation.create(database=this.database, schema=this.schema,
                                         identifier=this.identifier ~ '__mapped_identifiers', type='table') -%}
    {%- do adapter.drop_relation(record) -%}
    create table {{ record }} as {{ identifiers_sql }}
{%- endmacro %}

{#- (identifier_type, identifier_value) whose person now differs from the record, in
    either direction (new, changed or gone). -#}
{% macro changed_identifiers(identifiers_cte, record) -%}
    select
        coalesce(now.identifier_type, before.identifier_type) as identifier_type,
        coalesce(now.identifier_value, before.identifier_value) as identifier_value
    from {{ identifiers_cte }} as now
    full outer join {{ record }} as before
        on now.identifier_type = before.identifier_type
        and now.identifier_value = before.identifier_value
    where now.person_id is distinct from before.person_id
{%- endmacro %}
