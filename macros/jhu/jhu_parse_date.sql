{#-
    Parse a JHU date header, `M/D/YY` without zero padding ('1/22/20', '12/31/20', '3/9/23'),
    into a DATE. Two-digit years are 20YY (the data runs 2020-2023). Dispatched per adapter.
    A header that is not such a date fails the cast loudly instead of becoming NULL.
-#}
{% macro jhu_parse_date(column) -%}
    {{ return(adapter.dispatch('jhu_parse_date', 'jhu_covid')(column)) }}
{%- endmacro %}

{#- DuckDB's %m and %d accept one or two digits. -#}
{% macro duckdb__jhu_parse_date(column) -%}
    cast(strptime({{ column }}, '%m/%d/%y') as date)
{%- endmacro %}

{% macro default__jhu_parse_date(column) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_parse_date: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_parse_date in macros/jhu/jhu_parse_date.sql"
    ) }}
{%- endmacro %}
