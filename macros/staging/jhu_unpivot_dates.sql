{#-
    Turn a JHU time-series file (one column per day, header `M/D/YY`) into one row per location
    and date. Engine-specific, so dispatched per adapter; models call `jhu_unpivot_dates` only.

    relation     : the CTE or relation holding the file as read (every cell text)
    id_columns   : the file's id columns to keep, as a mapping {source header: snake_case alias};
                   each implementation quotes the headers its engine's way ("Province/State" in
                   DuckDB, `Province/State` in Spark), so models never quote engine-specifically
    name_column  : output column holding the date header text, e.g. '3/9/23'
    value_column : output column holding the cell text (NULL for an empty cell)

    Only headers that are exactly a date are unpivoted. A duplicated date header (6/29/20 in
    some upstream versions) is read by DuckDB as `6/29/20_1`, so the first occurrence is kept
    and the copy is ignored; the loader refuses such files before they land anyway.
-#}
{% macro jhu_unpivot_dates(
    relation,
    id_columns,
    name_column='report_date_text',
    value_column='cumulative_count_text'
) -%}
    {{ return(adapter.dispatch('jhu_unpivot_dates', 'jhu_covid')(
        relation, id_columns, name_column, value_column
    )) }}
{%- endmacro %}

{#- DuckDB: UNPIVOT over the columns whose name is a date (COLUMNS with a regex), so the 1,143
    date columns never have to be listed; INCLUDE NULLS keeps empty cells as NULL rows. -#}
{% macro duckdb__jhu_unpivot_dates(relation, id_columns, name_column, value_column) -%}
    select
        {%- for column, alias in id_columns.items() %}
        "{{ column }}" as {{ alias }},
        {%- endfor %}
        {{ name_column }},
        {{ value_column }}
    from {{ relation }}
    unpivot include nulls (
        {{ value_column }} for {{ name_column }} in (columns('^\d{1,2}/\d{1,2}/\d{2}$'))
    )
{%- endmacro %}

{% macro default__jhu_unpivot_dates(relation, id_columns, name_column, value_column) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_unpivot_dates: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_unpivot_dates"
        ~ " in macros/staging/jhu_unpivot_dates.sql"
    ) }}
{%- endmacro %}

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
