with

daily as (

    select * from {{ ref('fct_country_daily') }}

),

weekly as (

    select
        location_key,
        country_region,
        country_name,
        iso3,
        {{ jhu_week_start('report_date') }} as week_start_date,
        count(*) as days_in_week,
        cast(sum(new_confirmed) as bigint) as new_confirmed,
        cast(sum(new_deaths) as bigint) as new_deaths

    from daily
    group by
        location_key,
        country_region,
        country_name,
        iso3,
        {{ jhu_week_start('report_date') }}

),

with_previous_week as (

    select
        *,
        lag(week_start_date) over (
            partition by country_region order by week_start_date
        ) as previous_week_start_date,
        lag(new_confirmed) over (
            partition by country_region order by week_start_date
        ) as lagged_new_confirmed,
        lag(new_deaths) over (
            partition by country_region order by week_start_date
        ) as lagged_new_deaths

    from weekly

),

-- The previous week counts only when it is the calendar week just before (a gap in the
-- dates leaves no previous week rather than comparing with an older one).
compared as (

    select
        *,
        case
            when previous_week_start_date = {{ jhu_previous_week_start('week_start_date') }}
                then lagged_new_confirmed
        end as new_confirmed_prev_week,
        case
            when previous_week_start_date = {{ jhu_previous_week_start('week_start_date') }}
                then lagged_new_deaths
        end as new_deaths_prev_week

    from with_previous_week

),

final as (

    select
        location_key,
        country_region,
        country_name,
        iso3,
        {{ jhu_iso_year('week_start_date') }} as iso_year,
        {{ jhu_iso_week('week_start_date') }} as iso_week,
        week_start_date,
        cast(days_in_week as integer) as days_in_week,
        new_confirmed,
        new_deaths,
        new_confirmed_prev_week,
        new_deaths_prev_week,
        new_confirmed - new_confirmed_prev_week as new_confirmed_wow_change,
        new_deaths - new_deaths_prev_week as new_deaths_wow_change,
        {{ jhu_ratio(
            'new_confirmed - new_confirmed_prev_week', 'new_confirmed_prev_week', scale=100
        ) }} as new_confirmed_wow_pct,
        {{ jhu_ratio(
            'new_deaths - new_deaths_prev_week', 'new_deaths_prev_week', scale=100
        ) }} as new_deaths_wow_pct

    from compared

)

select * from final
