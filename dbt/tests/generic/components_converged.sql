{#- Fails for every edge whose two ends carry different component keys: the stitching did
    not converge (label propagation needs more rounds) or an edge was ignored. -#}
{% test components_converged(model, edges) %}

select edges.left_key, edges.right_key, l.component_key as left_component, r.component_key as right_component
from {{ edges }} as edges
inner join {{ model }} as l on edges.left_key = l.node_key
inner join {{ model }} as r on edges.right_key = r.node_key
where l.component_key <> r.component_key

{% endtest %}
