-- A table: the subnational mart and the revisions mart both read it, and its tests too.
{{ config(materialized='table') }}

with

reports as (

    select * from {{ ref('stg_jhu__daily_reports_global') }}

),

-- One row per country, province/state and report date: the sum of the file's rows for it (a US
-- state's counties, `Unassigned` and `Out of XX` rows included). A sum skips empty cells and is
-- NULL only when every row is empty.
aggregated as (

    select
        country_region,
        province_state,
        report_date,
        cast(sum(cumulative_confirmed) as bigint) as cumulative_confirmed,
        cast(sum(cumulative_deaths) as bigint) as cumulative_deaths,
        cast(sum(cumulative_recovered) as bigint) as cumulative_recovered,
        cast(sum(active) as bigint) as active,
        count(*) as report_rows

    from reports
    group by country_region, province_state, report_date

)

select * from aggregated
