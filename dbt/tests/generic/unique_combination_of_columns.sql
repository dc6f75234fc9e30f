{#- A composite record key is unique (no dbt_utils: no network for `dbt deps`).
    Rows whose key columns are all null are ignored (not_null tests cover them). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_records

from {{ model }}
where not ({% for column in combination_of_columns %}{{ column }} is null{% if not loop.last %} and {% endif %}{% endfor %})
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
