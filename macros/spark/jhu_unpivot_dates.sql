{#-
    Spark: one row per location and date header, without listing the date columns.

    Spark SQL's UNPIVOT needs the value columns spelled out, and `relation` may be a CTE (and, in
    a dbt unit test, a fixture with only a few date columns), so nothing can be introspected at
    compile time. Instead each row becomes a map from column name to cell text (through JSON,
    keeping NULL fields, so an empty cell stays a NULL row as with DuckDB's INCLUDE NULLS),
    which is exploded into (header, cell) pairs; the pairs whose header is a date are kept.
    This works on Spark 3.0+ (Databricks, EMR) and measured faster than a 1,143-column UNPIVOT.

    id_columns is a mapping {source header: alias}, as for DuckDB. Every cell is text (the raw
    CSV tables are read without schema inference), so the map's values are the cells as written.
-#}
{% macro spark__jhu_unpivot_dates(relation, id_columns, name_column, value_column) -%}
    select
        {%- for alias in id_columns.values() %}
        {{ alias }},
        {%- endfor %}
        {{ name_column }},
        {{ value_column }}
    from (
        select
            {%- for column, alias in id_columns.items() %}
            {{ adapter.quote(column) }} as {{ alias }},
            {%- endfor %}
            explode(
                from_json(
                    to_json(struct(*), map('ignoreNullFields', 'false')),
                    'map<string, string>'
                )
            ) as ({{ name_column }}, {{ value_column }})
        from {{ relation }}
    ) as cells
    where {{ name_column }} rlike '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$'
{%- endmacro %}
