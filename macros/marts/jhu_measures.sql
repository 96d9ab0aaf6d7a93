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

{#-
    Mean of the daily change over the 7 dates ending on this one, from the cumulative column:
    the 7 changes telescope, so their mean is (cumulative - cumulative 7 dates back) / 7.
    NULL unless all 7 changes are known, i.e. unless the 8 cumulative counts from 7 dates back
    to this one all exist and are known (so a location's first 7 dates have no average).
    Same result as averaging the 7 changes, in one window pass instead of two (measured about
    a third cheaper on the US county series).
-#}
{% macro jhu_mean_daily_change_7d(cumulative_column, partition_by=none, order_by='report_date') -%}
    {%- set partition -%}
        {% if partition_by %}partition by {{ partition_by }} {% endif %}order by {{ order_by }}
    {%- endset -%}
    case
        when count({{ cumulative_column }}) over (
            {{ partition }}
            rows between 7 preceding and current row
        ) = 8
            then cast(
                {{ cumulative_column }} - lag({{ cumulative_column }}, 7) over ({{ partition }})
                as double
            ) / 7
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

{#- The day's change where the location's previous row is the previous calendar day; NULL when
    that day is missing (a gap in a partial mirror of the daily reports), never a multi-day
    jump. Kept when negative. -#}
{% macro jhu_consecutive_daily_change(column, partition_by, order_by='report_date') -%}
    case
        when {{ jhu_days_between(
            'lag(' ~ order_by ~ ') over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ')',
            order_by) }} = 1
            then {{ column }} - lag({{ column }}) over (
                partition by {{ partition_by }} order by {{ order_by }}
            )
    end
{%- endmacro %}

{#- Mean daily change over the 7 calendar days ending on this one: NULL unless the location has
    a known count on each of the 8 days from 7 days back to this one (so a gap in the dates
    gives NULL, not an average over a longer span). -#}
{% macro jhu_consecutive_mean_change_7d(column, partition_by, order_by='report_date') -%}
    {%- set window -%}
        partition by {{ partition_by }} order by {{ order_by }}
    {%- endset -%}
    case
        when
            {{ jhu_days_between('lag(' ~ order_by ~ ', 7) over (' ~ window ~ ')', order_by) }} = 7
            and count({{ column }}) over ({{ window }} rows between 7 preceding and current row) = 8
            then cast({{ column }} - lag({{ column }}, 7) over ({{ window }}) as double) / 7
    end
{%- endmacro %}
