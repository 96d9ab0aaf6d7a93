-- Provinces add up to their country: every Country/Region and date of fct_country_daily
-- equals the sum of that country's rows in the global files, computed here from staging
-- (independently of the intermediate models), for confirmed and deaths, and for recovered
-- wherever the mart knows it; the mart may not leave recovered unknown where the files' sum is
-- above 0. A country or date on one side only (in any of the three files) fails too, so an
-- empty mart fails. Returns the mismatching rows.

with

confirmed as (

    select
        country_region,
        report_date,
        sum(cumulative_confirmed) as cumulative_confirmed

    from {{ ref('stg_jhu__confirmed_global') }}
    -- the phantom "Recovered" row, which the marts drop on purpose
    where coalesce(province_state, '') != 'Recovered'
    group by country_region, report_date

),

deaths as (

    select
        country_region,
        report_date,
        sum(cumulative_deaths) as cumulative_deaths

    from {{ ref('stg_jhu__deaths_global') }}
    where coalesce(province_state, '') != 'Recovered'
    group by country_region, report_date

),

recovered as (

    select
        country_region,
        report_date,
        sum(cumulative_recovered) as cumulative_recovered

    from {{ ref('stg_jhu__recovered_global') }}
    group by country_region, report_date

),

files as (

    select
        coalesce(
            confirmed.country_region, deaths.country_region, recovered.country_region
        ) as country_region,
        coalesce(confirmed.report_date, deaths.report_date, recovered.report_date) as report_date,
        confirmed.cumulative_confirmed,
        deaths.cumulative_deaths,
        recovered.cumulative_recovered

    from confirmed
    full outer join deaths
        on
            confirmed.country_region = deaths.country_region
            and confirmed.report_date = deaths.report_date
    full outer join recovered
        on
            coalesce(confirmed.country_region, deaths.country_region) = recovered.country_region
            and coalesce(confirmed.report_date, deaths.report_date) = recovered.report_date

),

mart as (

    select * from {{ ref('fct_country_daily') }}

),

compared as (

    select
        coalesce(mart.country_region, files.country_region) as country_region,
        coalesce(mart.report_date, files.report_date) as report_date,
        mart.country_region is not null as in_mart,
        files.country_region is not null as in_files,
        mart.cumulative_confirmed as mart_confirmed,
        files.cumulative_confirmed as files_confirmed,
        mart.cumulative_deaths as mart_deaths,
        files.cumulative_deaths as files_deaths,
        mart.cumulative_recovered as mart_recovered,
        files.cumulative_recovered as files_recovered

    from mart
    full outer join files
        on
            mart.country_region = files.country_region
            and mart.report_date = files.report_date

)

select * from compared
where
    not (in_mart and in_files)
    or mart_confirmed is distinct from files_confirmed
    or mart_deaths is distinct from files_deaths
    or (mart_recovered is not null and mart_recovered is distinct from files_recovered)
    or (mart_recovered is null and files_recovered > 0)
