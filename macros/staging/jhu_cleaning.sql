{#- Small engine-neutral cleaning expressions shared by the staging models. -#}

{#- An empty or blank cell is unknown: NULL (DuckDB already reads an empty cell as NULL;
    this also covers cells holding only spaces and engines that read '' as a string). -#}
{% macro jhu_blank_to_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- A whole-number cell (UID, code3, Population, a daily count) as an integer type; an empty
    cell is NULL. Not trimmed: DuckDB's and Spark's casts already ignore surrounding spaces,
    and the loader admits a count cell only as a whole number or empty. Trimming each cell
    first was a quarter of the cost of the US staging views, which cast 36 M cells per file at
    k=10 of `jhu bench` (3.8 s -> 2.9 s for the UID alone, measured). -#}
{% macro jhu_whole_number(column, data_type='bigint') -%}
    cast(nullif({{ column }}, '') as {{ data_type }})
{%- endmacro %}

{#-
    FIPS as a zero-padded string. JHU publishes it as a float in the time series ('1001.0'),
    as an integer in the lookup ('1001', '1'), or not at all (NULL). County-level rows
    (Admin2 set) and the cruise-ship rows (88888, 99999) get 5 characters ('01001');
    state and territory rows get the 2-character state code ('01', '60').
-#}
{% macro jhu_clean_fips(fips_column, county_column) -%}
    case
        when {{ jhu_blank_to_null(fips_column) }} is null then null
        when {{ jhu_blank_to_null(county_column) }} is null and cast(cast({{ fips_column }} as double) as bigint) < 100
            then lpad(cast(cast(cast({{ fips_column }} as double) as bigint) as string), 2, '0')
        else lpad(cast(cast(cast({{ fips_column }} as double) as bigint) as string), 5, '0')
    end
{%- endmacro %}

{#- Latitude/longitude 0,0 is JHU's placeholder for "no coordinates" (Unassigned rows, ships):
    NULL, like an empty cell. -#}
{% macro jhu_coordinate(column, other_column) -%}
    case
        when
            cast({{ jhu_blank_to_null(column) }} as double) = 0
            and cast({{ jhu_blank_to_null(other_column) }} as double) = 0
            then null
        else cast({{ jhu_blank_to_null(column) }} as double)
    end
{%- endmacro %}
