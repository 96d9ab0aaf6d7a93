{#-
    A JHU time-series file (one column per day, header `M/D/YY`) as one row per location with
    its series as lists: `dates_column` the dates of the date headers in the file's column
    order, `counts_column` the cells under them in the same order, as BIGINT (an empty cell is
    NULL). Element i of both belongs together. The US county chain keeps a location's series as
    lists through the join and the day's changes and makes rows once, in the mart
    (macros/marts/jhu_series.sql says why); the global files, small, are unpivoted to rows in
    staging (`jhu_unpivot_dates`).

    relation      : the CTE or relation holding the file as read (every cell text)
    id_columns    : the id columns to keep, {source header: snake_case alias}, quoted the
                    engine's way by each implementation
    dates_column  : output column, the list of dates
    counts_column : output column, the list of counts
    headers_from  : where the header names are read (default: relation). The staging models
                    pass the source itself: DuckDB stores a CTE that is read twice whole in
                    memory (the whole file as text, 1.7 GB for one US file at k=100 of
                    `jhu bench`), where a second read of the source stops after one row.

    Only headers that are exactly a date are taken (the loader refuses duplicated ones).
    Engine-specific, so dispatched per adapter.
-#}
{% macro jhu_date_series(relation, id_columns, dates_column, counts_column, headers_from=none) -%}
    {{ return(adapter.dispatch('jhu_date_series', 'jhu_covid')(
        relation, id_columns, dates_column, counts_column, headers_from or relation
    )) }}
{%- endmacro %}

{#- DuckDB: COLUMNS with a regex unpacked into a list literal takes the date cells in column
    order without listing 1,143 columns; the header names come from `alias()` over the same
    columns of one row, a scalar subquery evaluated once. -#}
{% macro duckdb__jhu_date_series(
    relation, id_columns, dates_column, counts_column, headers_from
) -%}
    {%- set date_headers = "columns('^\\d{1,2}/\\d{1,2}/\\d{2}$')" -%}
    select
        {%- for column, alias in id_columns.items() %}
        "{{ column }}" as {{ alias }},
        {%- endfor %}
        (
            select list_transform([*columns(*)], lambda header: {{ jhu_parse_date('header') }})
            from (select alias({{ date_headers }}) from {{ headers_from }} limit 1) as headers
        ) as {{ dates_column }},
        list_transform(
            [*{{ date_headers }}], lambda cell: {{ jhu_whole_number('cell') }}
        ) as {{ counts_column }}
    from {{ relation }}
{%- endmacro %}

{#- Spark: each row becomes a map from header to cell text (through JSON, keeping NULL fields,
    in column order), as in `spark__jhu_unpivot_dates`; its date entries, in that order, give
    both lists. The entries, not a lookup per date header: `cells[header]` scans the map's
    keys, so the lookups were quadratic in the columns (the table took 4x as long on the
    JHU files). `headers_from` is not needed: the headers are each row's map keys. -#}
{% macro spark__jhu_date_series(
    relation, id_columns, dates_column, counts_column, headers_from
) -%}
    select
        {%- for alias in id_columns.values() %}
        {{ alias }},
        {%- endfor %}
        transform(date_cells, cell -> {{ jhu_parse_date('cell.key') }}) as {{ dates_column }},
        transform(
            date_cells, cell -> {{ jhu_whole_number('cell.value') }}
        ) as {{ counts_column }}
    from (
        select
            *,
            filter(
                map_entries(cells), cell -> cell.key rlike '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$'
            ) as date_cells
        from (
            select
                {%- for column, alias in id_columns.items() %}
                {{ adapter.quote(column) }} as {{ alias }},
                {%- endfor %}
                from_json(
                    to_json(struct(*), map('ignoreNullFields', 'false')),
                    'map<string, string>'
                ) as cells
            from {{ relation }}
        ) as rows_as_maps
    ) as with_date_cells
{%- endmacro %}

{% macro default__jhu_date_series(
    relation, id_columns, dates_column, counts_column, headers_from
) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_date_series: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_date_series in macros/staging/jhu_date_series.sql"
    ) }}
{%- endmacro %}
