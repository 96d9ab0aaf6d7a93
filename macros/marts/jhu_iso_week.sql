{#-
    ISO-8601 week parts of a DATE: the week starts on Monday; week 1 is the week holding the
    year's first Thursday, so 2021-01-03 is in ISO year 2020, week 53. Dispatched per adapter.
-#}
{% macro jhu_week_start(column) -%}
    {{ return(adapter.dispatch('jhu_week_start', 'jhu_covid')(column)) }}
{%- endmacro %}

{#- The Monday a week before (for "is this the previous calendar week"). -#}
{% macro jhu_previous_week_start(column) -%}
    {{ return(adapter.dispatch('jhu_previous_week_start', 'jhu_covid')(column)) }}
{%- endmacro %}

{% macro jhu_iso_year(column) -%}
    {{ return(adapter.dispatch('jhu_iso_year', 'jhu_covid')(column)) }}
{%- endmacro %}

{% macro jhu_iso_week(column) -%}
    {{ return(adapter.dispatch('jhu_iso_week', 'jhu_covid')(column)) }}
{%- endmacro %}

{% macro duckdb__jhu_week_start(column) -%}
    cast(date_trunc('week', {{ column }}) as date)
{%- endmacro %}

{% macro duckdb__jhu_previous_week_start(column) -%}
    cast({{ column }} - interval 7 day as date)
{%- endmacro %}

{% macro duckdb__jhu_iso_year(column) -%}
    cast(isoyear({{ column }}) as integer)
{%- endmacro %}

{% macro duckdb__jhu_iso_week(column) -%}
    cast(weekofyear({{ column }}) as integer)
{%- endmacro %}

{#- Elsewhere, dbt's cross-database macros where they exist; ISO year and week have none. -#}
{% macro default__jhu_week_start(column) -%}
    cast({{ dbt.date_trunc('week', column) }} as date)
{%- endmacro %}

{% macro default__jhu_previous_week_start(column) -%}
    cast({{ dbt.dateadd('day', -7, column) }} as date)
{%- endmacro %}

{% macro default__jhu_iso_year(column) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_iso_year: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_iso_year in macros/marts/jhu_iso_week.sql"
    ) }}
{%- endmacro %}

{% macro default__jhu_iso_week(column) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_iso_week: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_iso_week in macros/marts/jhu_iso_week.sql"
    ) }}
{%- endmacro %}

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
