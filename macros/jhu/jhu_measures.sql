{#-
    The measures every daily mart derives from JHU's cumulative counts, written once so the
    marts agree on them. Engine-neutral SQL (window functions). `partition_by` is the column
    list (a string) that identifies a location, or none for a single series (the world).
-#}

{#- The day's change: today's cumulative minus the cumulative on the location's previous date.
    NULL on a location's first date or when either count is unknown; kept when negative
    (a downward revision), never clipped. -#}
{% macro jhu_daily_change(column, partition_by=none, order_by='report_date') -%}
    {{ column }} - lag({{ column }}) over (
        {% if partition_by %}partition by {{ partition_by }} {% endif %}order by {{ order_by }}
    )
{%- endmacro %}

{#- Mean of `column` over the 7 dates ending on this one; NULL unless all 7 values are known
    (so the first 7 dates of a location, whose first change is NULL, have no average). -#}
{% macro jhu_rolling_mean_7d(column, partition_by=none, order_by='report_date') -%}
    {%- set window -%}
        over (
            {% if partition_by %}partition by {{ partition_by }} {% endif %}order by {{ order_by }}
            rows between 6 preceding and current row
        )
    {%- endset -%}
    case
        when count({{ column }}) {{ window }} = 7
            then avg(cast({{ column }} as double)) {{ window }}
    end
{%- endmacro %}

{#- numerator / denominator as DOUBLE, times `scale`; NULL when the denominator is 0 or NULL. -#}
{% macro jhu_ratio(numerator, denominator, scale=1) -%}
    cast({{ numerator }} as double) {% if scale != 1 %}* {{ scale }} {% endif %}/ nullif({{ denominator }}, 0)
{%- endmacro %}

{#- A cumulative count went down from the previous date (a revision): true or false, false
    when the change is unknown. -#}
{% macro jhu_is_revised_down(change_column) -%}
    coalesce({{ change_column }} < 0, false)
{%- endmacro %}
