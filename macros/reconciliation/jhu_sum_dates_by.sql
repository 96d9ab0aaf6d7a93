{#-
    A JHU time-series file summed per value of one id column, one row per group and date
    header: ({{ group_alias }}, name_column, value_column). For the reconciliation tests, which
    check a mart against totals computed from the raw file on a path of their own.

    relation     : the CTE or relation holding the file as read (every cell text)
    group_column : the source header to group by, e.g. 'Province_State' (cleaned: blank is NULL)
    group_alias  : its output name
    name_column  : output column holding the date header text, e.g. '3/9/23'
    value_column : output column holding the group's sum that date (BIGINT; NULL when no row of
                   the group has a count that date)

    Dispatched. DuckDB sums the wide file first and unpivots the few dozen summed rows: one pass
    over the file instead of unpivoting every cell (tens of millions at k=10 of `jhu bench`) and
    grouping them again. Elsewhere the file is unpivoted with jhu_unpivot_dates, then summed.
-#}
{% macro jhu_sum_dates_by(
    relation,
    group_column,
    group_alias,
    name_column='report_date_text',
    value_column='cumulative_count'
) -%}
    {{ return(adapter.dispatch('jhu_sum_dates_by', 'jhu_covid')(
        relation, group_column, group_alias, name_column, value_column
    )) }}
{%- endmacro %}

{% macro duckdb__jhu_sum_dates_by(
    relation, group_column, group_alias, name_column, value_column
) -%}
    select
        {{ group_alias }},
        {{ name_column }},
        cast({{ value_column }} as bigint) as {{ value_column }}
    from (
        select
            {{ jhu_blank_to_null('"' ~ group_column ~ '"') }} as {{ group_alias }},
            sum(cast(columns('^\d{1,2}/\d{1,2}/\d{2}$') as bigint))
        from {{ relation }}
        group by {{ group_alias }}
    )
    unpivot include nulls (
        {{ value_column }} for {{ name_column }} in (columns('^\d{1,2}/\d{1,2}/\d{2}$'))
    )
{%- endmacro %}

{% macro default__jhu_sum_dates_by(
    relation, group_column, group_alias, name_column, value_column
) -%}
    select
        {{ jhu_blank_to_null(group_alias) }} as {{ group_alias }},
        {{ name_column }},
        sum({{ jhu_whole_number('cell_text') }}) as {{ value_column }}
    from (
        {{ jhu_unpivot_dates(relation, {group_column: group_alias}, name_column, 'cell_text') }}
    ) as cells
    group by {{ jhu_blank_to_null(group_alias) }}, {{ name_column }}
{%- endmacro %}
