-- The world is the sum of the global files' rows: on every date of the files, fct_global_daily's
-- cumulative confirmed and deaths equal the sum of every row of that file (the phantom
-- "Recovered" placeholder row excepted), computed here from the raw files (sources), not from
-- the staging views, intermediate models or country mart the world is built from. A date on
-- one side only fails too, so an empty mart fails. Returns the mismatching dates.

with

confirmed_file as (

    select * from {{ source('jhu', 'confirmed_global') }}

),

deaths_file as (

    select * from {{ source('jhu', 'deaths_global') }}

),

-- summed by Province/State (every country's empty province is one group), so the phantom
-- row can be left out
confirmed_by_province as (

    {{ jhu_sum_dates_by('confirmed_file', 'Province/State', 'province_state') }}

),

deaths_by_province as (

    {{ jhu_sum_dates_by('deaths_file', 'Province/State', 'province_state') }}

),

confirmed as (

    select
        {{ jhu_parse_date('report_date_text') }} as report_date,
        sum(cumulative_count) as cumulative_confirmed

    from confirmed_by_province
    where coalesce(province_state, '') != 'Recovered'
    group by report_date_text

),

deaths as (

    select
        {{ jhu_parse_date('report_date_text') }} as report_date,
        sum(cumulative_count) as cumulative_deaths

    from deaths_by_province
    where coalesce(province_state, '') != 'Recovered'
    group by report_date_text

),

files as (

    select
        coalesce(confirmed.report_date, deaths.report_date) as report_date,
        confirmed.cumulative_confirmed,
        deaths.cumulative_deaths

    from confirmed
    full outer join deaths
        on confirmed.report_date = deaths.report_date

),

world as (

    select * from {{ ref('fct_global_daily') }}

),

compared as (

    select
        coalesce(world.report_date, files.report_date) as report_date,
        world.cumulative_confirmed as world_confirmed,
        files.cumulative_confirmed as files_confirmed,
        world.cumulative_deaths as world_deaths,
        files.cumulative_deaths as files_deaths

    from world
    full outer join files
        on world.report_date = files.report_date

)

select * from compared
where
    world_confirmed is distinct from files_confirmed
    or world_deaths is distinct from files_deaths
