{#-
  Connected components in portable SQL: every node starts with its own key as label and
  repeatedly takes the smallest label among itself and its neighbours, with pointer
  jumping (a label's own label) so long chains converge in few rounds. The rounds are
  unrolled (identity_label_propagation_max_iterations); the data test
  components_converged fails if an edge still joins two labels.
  Returns (node_key, component_key = smallest node key of the component), exactly like
  dagster_project.identity.graph.component_keys.
-#}
{% macro label_propagation(nodes_relation, edges_relation) -%}
    {{ return(adapter.dispatch('label_propagation')(nodes_relation, edges_relation)) }}
{%- endmacro %}

{% macro default__label_propagation(nodes_relation, edges_relation) -%}
{%- set rounds = var('identity_label_propagation_max_iterations') | int -%}
with

edges as (
    select left_key as a, right_key as b from {{ edges_relation }}
    union
    select right_key, left_key from {{ edges_relation }}
),

nodes as (
    select distinct node_key from {{ nodes_relation }}
),

-- only edges between nodes (blocked identifiers are not nodes)
live_edges as (
    select edges.a, edges.b
    from edges
    inner join nodes as na on edges.a = na.node_key
    inner join nodes as nb on edges.b = nb.node_key
),

labels_0 as (
    select node_key, node_key as label from nodes
)
{%- for i in range(1, rounds + 1) %},

neighbour_min_{{ i }} as (
    select live_edges.a as node_key, min(labels.label) as label
    from live_edges
    inner join labels_{{ i - 1 }} as labels on live_edges.b = labels.node_key
    group by live_edges.a
),

step_{{ i }} as (
    select labels.node_key, least(labels.label, coalesce(neighbour.label, labels.label)) as label
    from labels_{{ i - 1 }} as labels
    left join neighbour_min_{{ i }} as neighbour on labels.node_key = neighbour.node_key
),

labels_{{ i }} as (
    -- pointer jumping: adopt the label of my label
    select step.node_key, least(step.label, coalesce(jump.label, step.label)) as label
    from step_{{ i }} as step
    left join step_{{ i }} as jump on step.label = jump.node_key
)
{%- endfor %}

select node_key, label as component_key
from labels_{{ rounds }}
{%- endmacro %}


{#-
  Spark: the same rounds, each materialised as a table before the next one runs. Spark
  inlines CTEs, so the unrolled query above (each round reading the previous one twice)
  would grow exponentially with the rounds. Stops as soon as a round changes no label.
  The round tables (<model>__lp_edges, <model>__lp_<i>) are dropped as they are superseded;
  the last one stays until the next run.
-#}
{% macro spark__label_propagation(nodes_relation, edges_relation) -%}
{%- set rounds = var('identity_label_propagation_max_iterations') | int -%}
{%- if not execute -%}
    select cast(null as string) as node_key, cast(null as string) as component_key
{%- else -%}
    {%- set prefix = this.schema ~ '.' ~ this.identifier ~ '__lp' -%}
    {%- do run_query('drop table if exists ' ~ prefix ~ '_edges') -%}
    {%- do run_query('create table ' ~ prefix ~ '_edges as
        with nodes as (select distinct node_key from ' ~ nodes_relation ~ '),
        edges as (
            select left_key as a, right_key as b from ' ~ edges_relation ~ '
            union
            select right_key, left_key from ' ~ edges_relation ~ '
        )
        select edges.a, edges.b from edges
        inner join nodes as na on edges.a = na.node_key
        inner join nodes as nb on edges.b = nb.node_key') -%}
    {%- do run_query('drop table if exists ' ~ prefix ~ '_0') -%}
    {%- do run_query('create table ' ~ prefix ~ '_0 as
        select distinct node_key, node_key as label from ' ~ nodes_relation) -%}
    {%- set ns = namespace(last=0, converged=false) -%}
    {%- for i in range(1, rounds + 1) if not ns.converged -%}
        {%- set previous = prefix ~ '_' ~ (i - 1) -%}
        {%- set current = prefix ~ '_' ~ i -%}
        {%- do run_query('drop table if exists ' ~ current) -%}
        {%- do run_query('create table ' ~ current ~ ' as
            with neighbour_min as (
                select e.a as node_key, min(labels.label) as label
                from ' ~ prefix ~ '_edges as e
                inner join ' ~ previous ~ ' as labels on e.b = labels.node_key
                group by e.a
            ),
            step as (
                select labels.node_key, least(labels.label, coalesce(neighbour.label, labels.label)) as label
                from ' ~ previous ~ ' as labels
                left join neighbour_min as neighbour on labels.node_key = neighbour.node_key
            )
            select step.node_key, least(step.label, coalesce(jump.label, step.label)) as label
            from step
            left join step as jump on step.label = jump.node_key') -%}
        {%- set changed = run_query('select count(*) from ' ~ current ~ ' as c inner join ' ~ previous
            ~ ' as p on c.node_key = p.node_key where c.label <> p.label').columns[0].values()[0] -%}
        {%- do run_query('drop table if exists ' ~ previous) -%}
        {%- set ns.last = i -%}
        {%- set ns.converged = (changed == 0) -%}
    {%- endfor -%}
    {%- do run_query('drop table if exists ' ~ prefix ~ '_edges') -%}
    select node_key, label as component_key from {{ prefix }}_{{ ns.last }}
{%- endif -%}
{%- endmacro %}
