-- Materialized as a table, though only fct_us_county_daily reads it: the join then finishes
-- and frees its memory before the mart's window functions sort the same rows. As a view, the
-- two in one query ran out of DuckDB's 5 GB memory limit at k=10 of `jhu bench` (36 M rows).
-- Kept narrow (keys and counts): the mart adds a location's attributes from the lookup to the
-- finished series, so the strings are not carried through the join and the window sort.
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
