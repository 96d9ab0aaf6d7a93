-- Materialized as a table: read by fct_country_daily and fct_global_daily.
{{ config(materialized='table') }}

with

series as (

    select * from {{ ref('int_global_series_unioned') }}

),

countries as (

    select * from {{ ref('int_locations_classified') }}
    where location_level = 'country'

),

-- A country is JHU's Country/Region with its provinces summed in, as JHU's dashboard counts
-- it. Each series is summed on its own, so Canada's recovered (one country-level row) sits
-- beside its confirmed and deaths (by province). A sum skips unknown (NULL) provinces and is
-- NULL only when every row of the country is unknown.
aggregated as (

    select
        country_region,
        report_date,
        cast(
            sum(case when series = 'confirmed' then cumulative end) as bigint
        ) as cumulative_confirmed,
        cast(
            sum(case when series = 'deaths' then cumulative end) as bigint
        ) as cumulative_deaths,
        cast(
            sum(case when series = 'recovered' then cumulative end) as bigint
        ) as cumulative_recovered

    from series
    group by country_region, report_date

),

joined as (

    select
        countries.location_key,
        aggregated.country_region,
        countries.country_name,
        countries.iso3,
        countries.continent,
        countries.population,
        aggregated.report_date,
        aggregated.cumulative_confirmed,
        aggregated.cumulative_deaths,
        aggregated.cumulative_recovered

    from aggregated
    left join countries
        on aggregated.country_region = countries.country_region

)

select * from joined
