{#-
    Whole days from the date `start` to the date `end` (positive when `end` is later); NULL
    when either is NULL. Dispatched per adapter: the argument order of `datediff` differs.
-#}
{% macro jhu_days_between(start, end) -%}
    {{ return(adapter.dispatch('jhu_days_between', 'jhu_covid')(start, end)) }}
{%- endmacro %}

{% macro duckdb__jhu_days_between(start, end) -%}
    datediff('day', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__jhu_days_between(start, end) -%}
    datediff({{ end }}, {{ start }})
{%- endmacro %}

{% macro default__jhu_days_between(start, end) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_days_between: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_days_between in macros/marts/jhu_days_between.sql"
    ) }}
{%- endmacro %}
