-- The world is the sum of the countries: on every date, fct_global_daily's cumulative
-- counts equal the sums over fct_country_daily, and both marts have the same dates.
-- Returns the mismatching dates.

with

countries as (

    select
        report_date,
        sum(cumulative_confirmed) as cumulative_confirmed,
        sum(cumulative_deaths) as cumulative_deaths,
        sum(cumulative_recovered) as cumulative_recovered

    from {{ ref('fct_country_daily') }}
    group by report_date

),

world as (

    select * from {{ ref('fct_global_daily') }}

),

compared as (

    select
        coalesce(world.report_date, countries.report_date) as report_date,
        world.cumulative_confirmed as world_confirmed,
        countries.cumulative_confirmed as countries_confirmed,
        world.cumulative_deaths as world_deaths,
        countries.cumulative_deaths as countries_deaths,
        world.cumulative_recovered as world_recovered,
        countries.cumulative_recovered as countries_recovered

    from world
    full outer join countries
        on world.report_date = countries.report_date

)

select * from compared
where
    world_confirmed is distinct from countries_confirmed
    or world_deaths is distinct from countries_deaths
    or world_recovered is distinct from countries_recovered
