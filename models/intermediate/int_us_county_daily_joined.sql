-- Materialized as a table: read by fct_us_county_daily, fct_us_state_daily and
-- fct_downward_revisions; as a view each would parse and unpivot both US files again.
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
        -- The lookup's population, as for states and countries, so county rates add up with
        -- state rates. The deaths file's Population column mostly repeats it (0 where JHU has
        -- none; older file versions lag it, e.g. Puerto Rico's municipalities in April 2021).
        locations.population,
        joined.report_date,
        joined.cumulative_confirmed,
        joined.cumulative_deaths

    from joined
    left join locations
        on joined.location_key = locations.location_key

)

select * from described
