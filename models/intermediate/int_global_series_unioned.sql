-- Materialized as a table: the three global files are unpivoted once here (about a million
-- rows) and read by int_country_daily_aggregated, fct_downward_revisions and the tests.
{{ config(materialized='table') }}

with

confirmed as (

    select
        'time_series_covid19_confirmed_global.csv' as source_file,
        'confirmed' as series,
        province_state,
        country_region,
        report_date,
        cumulative_confirmed as published_cumulative

    from {{ ref('stg_jhu__confirmed_global') }}

),

deaths as (

    select
        'time_series_covid19_deaths_global.csv' as source_file,
        'deaths' as series,
        province_state,
        country_region,
        report_date,
        cumulative_deaths as published_cumulative

    from {{ ref('stg_jhu__deaths_global') }}

),

recovered as (

    select
        'time_series_covid19_recovered_global.csv' as source_file,
        'recovered' as series,
        province_state,
        country_region,
        report_date,
        cumulative_recovered as published_cumulative

    from {{ ref('stg_jhu__recovered_global') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}
    where county_name is null

),

unioned as (

    select * from confirmed
    union all
    select * from deaths
    union all
    select * from recovered

),

-- Some versions of the confirmed and deaths files carry a phantom "Recovered, Canada" row, a
-- placeholder for the recovered count that belongs to the recovered file: dropped.
without_phantom_rows as (

    select * from unioned
    where series = 'recovered' or coalesce(province_state, '') != 'Recovered'

),

-- Recovered stopped being reported: worldwide after the last date whose sum is above 0
-- (8/4/21; zeros and a -1 follow), and for some locations earlier, when their count falls
-- back to 0 for good (the US in December 2020). Both dates are derived here, not typed.
world_recovered as (

    select
        report_date,
        sum(published_cumulative) as world_cumulative

    from without_phantom_rows
    where series = 'recovered'
    group by report_date

),

recovered_reporting_end as (

    select max(report_date) as last_reported_date
    from world_recovered
    where world_cumulative > 0

),

with_reporting_ends as (

    select
        without_phantom_rows.*,
        recovered_reporting_end.last_reported_date as world_last_recovered_date,
        max(
            case
                when without_phantom_rows.published_cumulative > 0
                    then without_phantom_rows.report_date
            end
        ) over (
            partition by
                without_phantom_rows.series,
                without_phantom_rows.province_state,
                without_phantom_rows.country_region
        ) as location_last_positive_date

    from without_phantom_rows
    cross join recovered_reporting_end

),

cleaned as (

    select
        with_reporting_ends.source_file,
        with_reporting_ends.series,
        locations.location_key,
        coalesce(
            locations.combined_key,
            concat_ws(', ', with_reporting_ends.province_state, with_reporting_ends.country_region)
        ) as combined_key,
        with_reporting_ends.province_state,
        with_reporting_ends.country_region,
        with_reporting_ends.report_date,
        with_reporting_ends.published_cumulative,
        case
            when with_reporting_ends.series != 'recovered'
                then with_reporting_ends.published_cumulative
            when with_reporting_ends.report_date > with_reporting_ends.world_last_recovered_date
                then null
            when with_reporting_ends.report_date > with_reporting_ends.location_last_positive_date
                then null
            else with_reporting_ends.published_cumulative
        end as cumulative

    from with_reporting_ends
    left join locations
        on
            coalesce(with_reporting_ends.province_state, '')
            = coalesce(locations.province_state, '')
            and with_reporting_ends.country_region = locations.country_region

)

select * from cleaned
