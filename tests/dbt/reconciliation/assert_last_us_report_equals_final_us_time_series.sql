-- The US daily report of the last day (03-09-2023) equals the final US row of the global time
-- series on 3/9/23, exactly, for confirmed and deaths (SOURCES.md: 103,802,702 and 1,123,836).
-- JHU reconciled the two products at the end; on most earlier dates they differ. Checked when
-- the lake holds that day's US report (a partial mirror may not); the time series, always
-- loaded, must then hold the date too. Returns the mismatch, or the report without its series.

with

report as (

    select
        report_date,
        sum(cumulative_confirmed) as confirmed,
        sum(cumulative_deaths) as deaths

    from {{ ref('stg_jhu__daily_reports_us') }}
    where report_date = cast('2023-03-09' as date)
    group by report_date

),

series as (

    select
        report_date,
        cumulative_confirmed as confirmed,
        cumulative_deaths as deaths

    from {{ ref('int_country_daily_aggregated') }}
    where country_region = 'US' and report_date = cast('2023-03-09' as date)

)

select
    report.report_date,
    report.confirmed as report_confirmed,
    series.confirmed as series_confirmed,
    report.deaths as report_deaths,
    series.deaths as series_deaths

from report
left join series
    on report.report_date = series.report_date
where
    series.report_date is null
    or report.confirmed != series.confirmed
    or report.deaths != series.deaths
