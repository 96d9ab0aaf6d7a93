-- The counties of the US files add up to their states: every state and date of
-- fct_us_state_daily equals the sum of that state's rows (Unassigned and Out of XX included)
-- in the US files, for confirmed and deaths; a state or date on one side only fails too. The
-- sums are taken from the raw files (sources), not from the staging views or marts the mart is
-- built from, so the two paths are independent. The two files can end on different dates, so
-- each is summed on its own. Returns the mismatching rows.

with

confirmed_file as (

    select * from {{ source('jhu', 'confirmed_us') }}

),

deaths_file as (

    select * from {{ source('jhu', 'deaths_us') }}

),

confirmed_by_state as (

    {{ jhu_sum_dates_by('confirmed_file', 'Province_State', 'state_name') }}

),

deaths_by_state as (

    {{ jhu_sum_dates_by('deaths_file', 'Province_State', 'state_name') }}

),

confirmed as (

    select
        state_name,
        {{ jhu_parse_date('report_date_text') }} as report_date,
        cumulative_count as cumulative_confirmed

    from confirmed_by_state

),

deaths as (

    select
        state_name,
        {{ jhu_parse_date('report_date_text') }} as report_date,
        cumulative_count as cumulative_deaths

    from deaths_by_state

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
