-- A country's provinces add up to its total in the same daily report: for every country and
-- report date of fct_subnational_daily, the sum of its rows there equals the sum of all its
-- rows in that day's file, computed here from staging (the `Recovered` rows, which hold no
-- confirmed case and no death, aside). Returns the mismatching country-dates, and one row when
-- the mart is empty although the reports hold rows (an empty mart must not pass).

with

file_totals as (

    select
        country_region,
        report_date,
        sum(cumulative_confirmed) as confirmed,
        sum(cumulative_deaths) as deaths

    from {{ ref('stg_jhu__daily_reports_global') }}
    where coalesce(province_state, '') != 'Recovered'
    group by country_region, report_date

),

mart_totals as (

    select
        country_region,
        report_date,
        sum(cumulative_confirmed) as confirmed,
        sum(cumulative_deaths) as deaths

    from {{ ref('fct_subnational_daily') }}
    group by country_region, report_date

)

select
    mart_totals.country_region,
    mart_totals.report_date,
    mart_totals.confirmed as mart_confirmed,
    file_totals.confirmed as file_confirmed,
    mart_totals.deaths as mart_deaths,
    file_totals.deaths as file_deaths

from mart_totals
left join file_totals
    on
        mart_totals.country_region = file_totals.country_region
        and mart_totals.report_date = file_totals.report_date
where
    file_totals.country_region is null
    or mart_totals.confirmed is distinct from file_totals.confirmed
    or mart_totals.deaths is distinct from file_totals.deaths

union all

select
    null as country_region,
    null as report_date,
    null as mart_confirmed,
    null as file_confirmed,
    null as mart_deaths,
    null as file_deaths

where
    not exists (select 1 from {{ ref('fct_subnational_daily') }})
    and exists (select 1 from {{ ref('stg_jhu__daily_reports_global') }})
