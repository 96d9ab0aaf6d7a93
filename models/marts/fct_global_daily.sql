with

countries as (

    select * from {{ ref('int_country_daily_aggregated') }}

),

-- The world is the sum of every Country/Region, non-geographic entities (cruise ships,
-- Olympics, Antarctica) included, so it equals the sum of the global files' rows.
world as (

    select
        report_date,
        cast(sum(cumulative_confirmed) as bigint) as cumulative_confirmed,
        cast(sum(cumulative_deaths) as bigint) as cumulative_deaths,
        cast(sum(cumulative_recovered) as bigint) as cumulative_recovered,
        count(case when cumulative_confirmed > 0 then 1 end) as countries_reporting

    from countries
    group by report_date

),

changes as (

    select
        *,
        {{ jhu_daily_change('cumulative_confirmed') }} as new_confirmed,
        {{ jhu_daily_change('cumulative_deaths') }} as new_deaths,
        {{ jhu_daily_change('cumulative_recovered') }} as new_recovered,
        {{ jhu_mean_daily_change_7d('cumulative_confirmed') }} as new_confirmed_7d_avg,
        {{ jhu_mean_daily_change_7d('cumulative_deaths') }} as new_deaths_7d_avg

    from world

),

final as (

    select
        report_date,
        cumulative_confirmed,
        cumulative_deaths,
        cumulative_recovered,
        new_confirmed,
        new_deaths,
        new_recovered,
        new_confirmed_7d_avg,
        new_deaths_7d_avg,
        {{ jhu_ratio('cumulative_deaths', 'cumulative_confirmed') }} as case_fatality_ratio,
        cast(countries_reporting as integer) as countries_reporting

    from changes

)

select * from final
