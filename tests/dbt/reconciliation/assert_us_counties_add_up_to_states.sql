-- The counties of the US files add up to their states: every state and date of
-- fct_us_state_daily equals the sum of that state's rows (Unassigned and Out of XX included)
-- in the US files, computed here from staging, for confirmed and deaths; a state or date on
-- one side only fails too. The two files can end on different dates, so each is summed on
-- its own. Returns the mismatching rows.

with

confirmed as (

    select
        province_state as state_name,
        report_date,
        sum(cumulative_confirmed) as cumulative_confirmed

    from {{ ref('stg_jhu__confirmed_us') }}
    group by province_state, report_date

),

deaths as (

    select
        province_state as state_name,
        report_date,
        sum(cumulative_deaths) as cumulative_deaths

    from {{ ref('stg_jhu__deaths_us') }}
    group by province_state, report_date

),

files as (

    select
        coalesce(confirmed.state_name, deaths.state_name) as state_name,
        coalesce(confirmed.report_date, deaths.report_date) as report_date,
        confirmed.cumulative_confirmed,
        deaths.cumulative_deaths

    from confirmed
    full outer join deaths
        on
            confirmed.state_name = deaths.state_name
            and confirmed.report_date = deaths.report_date

),

mart as (

    select * from {{ ref('fct_us_state_daily') }}

),

compared as (

    select
        coalesce(mart.state_name, files.state_name) as state_name,
        coalesce(mart.report_date, files.report_date) as report_date,
        mart.cumulative_confirmed as mart_confirmed,
        files.cumulative_confirmed as files_confirmed,
        mart.cumulative_deaths as mart_deaths,
        files.cumulative_deaths as files_deaths

    from mart
    full outer join files
        on
            mart.state_name = files.state_name
            and mart.report_date = files.report_date

)

select * from compared
where
    mart_confirmed is distinct from files_confirmed
    or mart_deaths is distinct from files_deaths
