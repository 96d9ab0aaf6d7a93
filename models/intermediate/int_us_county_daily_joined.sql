-- Materialized as a table: read by fct_us_county_daily, fct_us_state_daily and
-- fct_downward_revisions, and the full outer join of two unpivoted files is the costly step.
{{ config(materialized='table') }}

with

confirmed as (

    select * from {{ ref('stg_jhu__confirmed_us') }}

),

deaths as (

    select * from {{ ref('stg_jhu__deaths_us') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}

),

-- The deaths file carries each location's population (0 where unknown, e.g. Unassigned);
-- unknown or absent (a location only in the confirmed file) falls back to the lookup's.
file_populations as (

    select
        location_key,
        max(population) as population

    from deaths
    group by location_key

),

-- The two files can end on different dates and hold different rows (rows were added over
-- time): a full outer join keeps every location and date either has; a series missing on a
-- date is NULL there.
joined as (

    select
        coalesce(confirmed.location_key, deaths.location_key) as location_key,
        coalesce(confirmed.report_date, deaths.report_date) as report_date,
        confirmed.cumulative_confirmed,
        deaths.cumulative_deaths

    from confirmed
    full outer join deaths
        on
            confirmed.location_key = deaths.location_key
            and confirmed.report_date = deaths.report_date

),

described as (

    select
        joined.location_key,
        locations.fips,
        locations.county_name,
        locations.province_state as state_name,
        locations.combined_key,
        coalesce(nullif(file_populations.population, 0), locations.population) as population,
        joined.report_date,
        joined.cumulative_confirmed,
        joined.cumulative_deaths

    from joined
    left join locations
        on joined.location_key = locations.location_key
    left join file_populations
        on joined.location_key = file_populations.location_key

)

select * from described
