{#-
  Calendar helpers of the marts (marts.md, Conventions): business time is Asia/Shanghai,
  a day/month/week is a Beijing calendar day/month/week, and every "days since" figure
  is as_of_date - beijing_date(ts). One macro per notion so no model re-derives them.
-#}

{#- The run's logical date as a DATE: var as_of_date ('YYYY-MM-DD'; unit tests and
    `--vars` set it), else env SIYU_AS_OF_DATE (the orchestrator's: a var on the command
    line would make every build parse the whole project anew, an env var only the files
    that read it); neither means today in Beijing (a manual run), not today in UTC, which
    would still be yesterday before 08:00 Beijing time. -#}
{% macro mart_as_of_date() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is none -%}{%- set as_of = env_var('SIYU_AS_OF_DATE', '') -%}{%- endif -%}
    {%- if as_of is none or (as_of | string | trim) in ('', 'None', 'null') -%}
        cast({{ beijing_wallclock('current_timestamp') }} as date)
    {%- else -%}
        date '{{ as_of | string | trim }}'
    {%- endif -%}
{%- endmacro %}

{#- Beijing calendar date of a TIMESTAMPTZ (independent of the session time zone). -#}
{% macro mart_beijing_date(ts) -%}
    cast({{ beijing_wallclock(ts) }} as date)
{%- endmacro %}

{#- First day of the Beijing month of a TIMESTAMPTZ, as a DATE (cohort_month, month). -#}
{% macro mart_beijing_month(ts) -%}
    cast(date_trunc('month', {{ mart_beijing_date(ts) }}) as date)
{%- endmacro %}

{#- Monday of the Beijing (ISO) week of a TIMESTAMPTZ, as a DATE. -#}
{% macro mart_beijing_week(ts) -%}
    cast(date_trunc('week', {{ mart_beijing_date(ts) }}) as date)
{%- endmacro %}

{#- First day of the month of as_of_date. -#}
{% macro mart_as_of_month() -%}
    cast(date_trunc('month', {{ mart_as_of_date() }}) as date)
{%- endmacro %}

{#- Whole Beijing days from the event to as_of_date: as_of_date - beijing_date(ts). -#}
{% macro mart_days_since(ts) -%}
    {{ dbt.datediff(mart_beijing_date(ts), mart_as_of_date(), 'day') }}
{%- endmacro %}

{#- A ratio as DOUBLE; null when the denominator is 0 or null (marts.md, Conventions). -#}
{% macro mart_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}

{#- Money as DECIMAL(18,2); sums over nothing are 0, never null. -#}
{% macro mart_money(expr) -%}
    cast(coalesce({{ expr }}, 0) as decimal(18, 2))
{%- endmacro %}
