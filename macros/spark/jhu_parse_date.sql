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
