{#-
    Spark: ISO-8601 week parts. `weekofyear` is the ISO week (weeks start on Monday, week 1
    holds the year's first Thursday) and `extract(yearofweek ...)` the year that week belongs
    to (Spark 3.0+). The Monday a week before is plain date arithmetic on a DATE: dbt's
    `dateadd` on Spark goes through timestamps, which a DATE does not need.
    The week start itself uses the default (dbt.date_trunc('week', ...): Monday on Spark).
-#}
{% macro spark__jhu_previous_week_start(column) -%}
    date_sub({{ column }}, 7)
{%- endmacro %}

{% macro spark__jhu_iso_year(column) -%}
    cast(extract(yearofweek from {{ column }}) as integer)
{%- endmacro %}

{% macro spark__jhu_iso_week(column) -%}
    cast(weekofyear({{ column }}) as integer)
{%- endmacro %}
