{#-
  Connected components in portable SQL: every node starts with its own key as label and
  repeatedly takes the smallest label among itself and its neighbours, with pointer
  jumping (a label's own label) so long chains converge in few rounds. The rounds are
  unrolled (identity_label_propagation_max_iterations); the data test
  components_converged fails if an edge still joins two labels.
  Returns (node_key, component_key = smallest node key of the component), exactly like
  dagster_project.identity_graph.component_keys.
-#}
{% macro label_propagation(nodes_relation, edges_relation) -%}
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
