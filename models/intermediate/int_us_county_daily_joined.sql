-- Materialized as a table: read by fct_us_county_daily, fct_us_state_daily and
-- fct_downward_revisions; as a view each would parse and unpivot both US files again.
-- Kept narrow (keys and counts): the marts that show a location's attributes add them from
-- the lookup, so the strings are not carried through every one of 1.5M rows twice.
{{ config(materialized='table') }}

with

confirmed as (

    select * from {{ ref('stg_jhu__confirmed_us') }}

),

deaths as (

    select * from {{ ref('stg_jhu__deaths_us') }}

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

)

select * from joined
