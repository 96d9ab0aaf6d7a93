{#-
    A location's time series kept as one list per series (its dates in one list, each count in
    another, element i of each belonging to date i), so the US county chain joins and computes
    per location and turns the lists into rows once, at the end (`jhu_unnest_series`).

    Why lists: the US files hold 1,143 date columns per location. As rows they are 36 M per file
    at k=10 of `jhu bench`; joining the two files and sorting them for window functions cost
    more than the rest of the build together (docs/performance.md). As lists the join is one
    row per location, the day's change is the list against itself shifted by one, and no row is
    ever sorted.

    Engine-specific (lambda syntax, list functions), so each macro is dispatched; the models
    call only the generic names.
-#}

{#- The series `k` dates later: k NULLs, then the series without its last k values. Element i
    is the value k dates before date i (what `lag(column, k)` gives on rows). -#}
{% macro jhu_series_shift(series, k) -%}
    {{ return(adapter.dispatch('jhu_series_shift', 'jhu_covid')(series, k)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_shift(series, k) -%}
    list_resize(list_concat([{{ (['null'] * k) | join(', ') }}], {{ series }}), len({{ series }}))
{%- endmacro %}

{% macro spark__jhu_series_shift(series, k) -%}
    slice(
        concat(array_repeat(cast(null as bigint), {{ k }}), {{ series }}), 1, size({{ series }})
    )
{%- endmacro %}

{#- The series' first n values, padded with NULLs to n when it is shorter. -#}
{% macro jhu_series_resize(series, n) -%}
    {{ return(adapter.dispatch('jhu_series_resize', 'jhu_covid')(series, n)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_resize(series, n) -%}
    list_resize({{ series }}, {{ n }})
{%- endmacro %}

{% macro spark__jhu_series_resize(series, n) -%}
    slice(concat({{ series }}, array_repeat(null, {{ n }})), 1, {{ n }})
{%- endmacro %}

{#- The number of values of a series. -#}
{% macro jhu_series_length(series) -%}
    {{ return(adapter.dispatch('jhu_series_length', 'jhu_covid')(series)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_length(series) -%}
    len({{ series }})
{%- endmacro %}

{% macro spark__jhu_series_length(series) -%}
    size({{ series }})
{%- endmacro %}

{#- Whether every value of the series is known (no NULL). -#}
{% macro jhu_series_is_complete(series) -%}
    {{ return(adapter.dispatch('jhu_series_is_complete', 'jhu_covid')(series)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_is_complete(series) -%}
    list_count({{ series }}) = len({{ series }})
{%- endmacro %}

{% macro spark__jhu_series_is_complete(series) -%}
    not exists({{ series }}, value -> value is null)
{%- endmacro %}

{#-
    The list of `jhu_mean_daily_change_7d` over a series: element i is (value i - value i-7) / 7
    when the 8 values from i-7 to i are all known, else NULL. Exact for any series; used for
    the few series with an unknown value, where the shift alone cannot tell whether the 8 are
    known (complete series take `jhu_series_shift(series, 7)` instead, see the mart).
-#}
{% macro jhu_series_mean_change_7d(series) -%}
    {{ return(adapter.dispatch('jhu_series_mean_change_7d', 'jhu_covid')(series)) }}
{%- endmacro %}

{#- DuckDB: the series zipped with its 7 shifts, so each element carries its 8 values and the
    lambda captures no list (a captured list is copied per element: measured 50x slower). -#}
{% macro duckdb__jhu_series_mean_change_7d(series) -%}
    list_transform(
        list_zip(
            {{ series }}
            {%- for k in range(1, 8) %},
            {{ duckdb__jhu_series_shift(series, k) }}
            {%- endfor %}
        ),
        lambda w: case
            when {% for k in range(1, 9) %}w[{{ k }}] is not null{% if not loop.last %} and {% endif %}{% endfor %}
                then cast(w[1] - w[8] as double) / 7
        end
    )
{%- endmacro %}

{#- Spark: array indexes in `transform` are 0-based, `slice` is 1-based. -#}
{% macro spark__jhu_series_mean_change_7d(series) -%}
    transform(
        {{ series }},
        (value, i) -> case
            when i >= 7 and not exists(slice({{ series }}, i - 6, 8), known -> known is null)
                then cast(value - {{ series }}[i - 7] as double) / 7
        end
    )
{%- endmacro %}

{#- For each date of `dates`, its 1-based position in `within`, or 0 when `within` lacks it.
    Meant for a file's calendar (one short list), not per location. -#}
{% macro jhu_series_positions(dates, within) -%}
    {{ return(adapter.dispatch('jhu_series_positions', 'jhu_covid')(dates, within)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_positions(dates, within) -%}
    list_transform({{ dates }}, lambda day: coalesce(list_position({{ within }}, day), 0))
{%- endmacro %}

{% macro spark__jhu_series_positions(dates, within) -%}
    transform({{ dates }}, day -> cast(array_position({{ within }}, day) as int))
{%- endmacro %}

{#- The series' values at the given 1-based positions (NULL at position 0, or where the series
    is NULL): a series moved onto another calendar. -#}
{% macro jhu_series_at(series, positions) -%}
    {{ return(adapter.dispatch('jhu_series_at', 'jhu_covid')(series, positions)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_at(series, positions) -%}
    list_select({{ series }}, {{ positions }})
{%- endmacro %}

{#- Spark: element_at is 1-based and raises on index 0, hence the guard; a NULL series stays
    NULL, as in DuckDB's list_select (transform alone would give a list of NULLs). -#}
{% macro spark__jhu_series_at(series, positions) -%}
    case
        when {{ series }} is not null
            then transform(
                {{ positions }},
                position -> case when position > 0 then element_at({{ series }}, position) end
            )
    end
{%- endmacro %}

{#- The distinct dates of two calendars, in order. -#}
{% macro jhu_series_calendar(dates, other_dates) -%}
    {{ return(adapter.dispatch('jhu_series_calendar', 'jhu_covid')(dates, other_dates)) }}
{%- endmacro %}

{% macro duckdb__jhu_series_calendar(dates, other_dates) -%}
    list_sort(list_distinct(list_concat({{ dates }}, {{ other_dates }})))
{%- endmacro %}

{% macro spark__jhu_series_calendar(dates, other_dates) -%}
    array_sort(array_union({{ dates }}, {{ other_dates }}))
{%- endmacro %}

{#-
    The rows: one per element of the lists, side by side. `columns` maps each list (SQL text)
    to the name of its column; the lists of a row must have one length. A select-list item, so
    the model's other columns repeat on each row.
-#}
{% macro jhu_unnest_series(columns) -%}
    {{ return(adapter.dispatch('jhu_unnest_series', 'jhu_covid')(columns)) }}
{%- endmacro %}

{% macro duckdb__jhu_unnest_series(columns) -%}
    {%- for series, name in columns.items() %}
    unnest({{ series }}) as {{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Spark allows one generator per select: the lists are zipped and inlined at once. -#}
{% macro spark__jhu_unnest_series(columns) -%}
    {#- arrays_zip is NULL when one list is: a missing series becomes an empty list, which
        arrays_zip pads with NULLs as DuckDB's unnest pads a NULL list. -#}
    inline(arrays_zip(
        {%- for series in columns.keys() %}
        coalesce({{ series }}, array()){% if not loop.last %},{% endif %}
        {%- endfor %}
    )) as ({{ columns.values() | join(', ') }})
{%- endmacro %}

{% macro default__jhu_series_shift(series, k) -%}
    {{ jhu_series_no_implementation('jhu_series_shift') }}
{%- endmacro %}

{% macro default__jhu_series_resize(series, n) -%}
    {{ jhu_series_no_implementation('jhu_series_resize') }}
{%- endmacro %}

{% macro default__jhu_series_length(series) -%}
    {{ jhu_series_no_implementation('jhu_series_length') }}
{%- endmacro %}

{% macro default__jhu_series_is_complete(series) -%}
    {{ jhu_series_no_implementation('jhu_series_is_complete') }}
{%- endmacro %}

{% macro default__jhu_series_mean_change_7d(series) -%}
    {{ jhu_series_no_implementation('jhu_series_mean_change_7d') }}
{%- endmacro %}

{% macro default__jhu_series_positions(dates, within) -%}
    {{ jhu_series_no_implementation('jhu_series_positions') }}
{%- endmacro %}

{% macro default__jhu_series_at(series, positions) -%}
    {{ jhu_series_no_implementation('jhu_series_at') }}
{%- endmacro %}

{% macro default__jhu_series_calendar(dates, other_dates) -%}
    {{ jhu_series_no_implementation('jhu_series_calendar') }}
{%- endmacro %}

{% macro default__jhu_unnest_series(columns) -%}
    {{ jhu_series_no_implementation('jhu_unnest_series') }}
{%- endmacro %}

{% macro jhu_series_no_implementation(name) -%}
    {{ exceptions.raise_compiler_error(
        name ~ ": no implementation for adapter '" ~ adapter.type() ~ "'; add "
        ~ adapter.type() ~ "__" ~ name ~ " in macros/marts/jhu_series.sql"
    ) }}
{%- endmacro %}
