{#- Generic data tests of the marts (no dbt_utils: no network for `dbt deps`). -#}

{#- Every row satisfies a boolean SQL expression (rows where it is false or null fail). -#}
{% test mart_expression_is_true(model, expression) %}
select * from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}

{#- A column is >= 0 (nulls pass: not_null covers them). -#}
{% test mart_non_negative(model, column_name) %}
select * from {{ model }}
where {{ column_name }} < 0
{% endtest %}

{#- A rate or probability lies in [0, 1] (nulls pass: a ratio over 0 is null by convention). -#}
{% test mart_between_zero_and_one(model, column_name) %}
select * from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
