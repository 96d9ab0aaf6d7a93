with

global_series as (

    select * from {{ ref('int_global_series_unioned') }}

),

-- The US daily changes are already in fct_us_county_daily (cumulative minus the previous
-- date's, over both files joined): reading them from there scans one table instead of sorting
-- the 1.5 million US rows (tens of millions at scale) a second time.
us_series as (

    select * from {{ ref('fct_us_county_daily') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}

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

us_drops as (

    select
        'time_series_covid19_confirmed_US.csv' as source_file,
        'confirmed' as series,
        location_key,
        report_date,
        cumulative_confirmed - new_confirmed as previous_cumulative,
        cumulative_confirmed as cumulative

    from us_series
    where new_confirmed < 0

    union all

    select
        'time_series_covid19_deaths_US.csv' as source_file,
        'deaths' as series,
        location_key,
        report_date,
        cumulative_deaths - new_deaths as previous_cumulative,
        cumulative_deaths as cumulative

    from us_series
    where new_deaths < 0

),

-- The US rows' names come from the lookup, added to the few rows that went down.
us_revisions as (

    select
        us_drops.source_file,
        us_drops.series,
        us_drops.location_key,
        locations.combined_key,
        locations.country_region,
        locations.province_state,
        locations.county_name,
        us_drops.report_date,
        us_drops.previous_cumulative,
        us_drops.cumulative

    from us_drops
    left join locations
        on us_drops.location_key = locations.location_key

),

all_changes as (

    select * from global_changes
    where cumulative < previous_cumulative
    union all
    select * from us_revisions

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

)

select * from final
