with

global_series as (

    select * from {{ ref('int_global_series_unioned') }}

),

us_series as (

    select * from {{ ref('int_us_county_daily_joined') }}

),

global_changes as (

    select
        source_file,
        series,
        location_key,
        combined_key,
        country_region,
        province_state,
        cast(null as string) as county_name,
        report_date,
        lag(cumulative) over (
            partition by source_file, combined_key order by report_date
        ) as previous_cumulative,
        cumulative

    from global_series

),

us_confirmed_changes as (

    select
        'time_series_covid19_confirmed_US.csv' as source_file,
        'confirmed' as series,
        location_key,
        combined_key,
        'US' as country_region,
        state_name as province_state,
        county_name,
        report_date,
        lag(cumulative_confirmed) over (
            partition by location_key order by report_date
        ) as previous_cumulative,
        cumulative_confirmed as cumulative

    from us_series

),

us_deaths_changes as (

    select
        'time_series_covid19_deaths_US.csv' as source_file,
        'deaths' as series,
        location_key,
        combined_key,
        'US' as country_region,
        state_name as province_state,
        county_name,
        report_date,
        lag(cumulative_deaths) over (
            partition by location_key order by report_date
        ) as previous_cumulative,
        cumulative_deaths as cumulative

    from us_series

),

all_changes as (

    select * from global_changes
    union all
    select * from us_confirmed_changes
    union all
    select * from us_deaths_changes

),

-- A revision is a cumulative count below the one on the location's previous date in the
-- same file. Unknown counts (empty cells, recovered after reporting stopped) compare to
-- nothing, so the end of recovered reporting is not listed as a revision.
final as (

    select
        source_file,
        series,
        location_key,
        combined_key,
        country_region,
        province_state,
        county_name,
        report_date,
        previous_cumulative,
        cumulative,
        cumulative - previous_cumulative as revision_amount

    from all_changes
    where cumulative < previous_cumulative

)

select * from final
