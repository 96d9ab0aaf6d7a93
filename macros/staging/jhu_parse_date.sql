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
        ~ "'; add " ~ adapter.type() ~ "__jhu_parse_date in macros/staging/jhu_parse_date.sql"
    ) }}
{%- endmacro %}

{#-
    Spark: `M/d/yy` accepts one or two digits for month and day, and reads a two-digit year as
    20YY. With ANSI mode off (dbt-spark forces it off) `to_date` returns NULL for text that is
    not such a date, so that case raises instead, as DuckDB's strptime does: a bad header fails
    loudly rather than silently becoming NULL. A NULL input stays NULL.
-#}
{% macro spark__jhu_parse_date(column) -%}
    case
        when {{ column }} is not null
            then coalesce(
                to_date({{ column }}, 'M/d/yy'),
                raise_error(concat('jhu_parse_date: not a M/D/YY date: ', {{ column }}))
            )
    end
{%- endmacro %}
