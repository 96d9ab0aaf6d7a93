with

reports as (

    select * from {{ ref('int_daily_reports_by_province') }}

),

final_series as (

    select * from {{ ref('int_country_daily_aggregated') }}

),

-- What the day's report published for the country: the sum of all its rows in that file.
published as (

    select
        country_region,
        report_date,
        cast(sum(cumulative_confirmed) as bigint) as published_confirmed,
        cast(sum(cumulative_deaths) as bigint) as published_deaths

    from reports
    group by country_region, report_date

),

-- Only the country-dates both products cover (an inner join): a name only the early reports
-- used (`Hong Kong` as a country, `Others`) has no time series to compare with.
compared as (

    select
        published.country_region,
        final_series.iso3,
        published.report_date,
        published.published_confirmed,
        published.published_deaths,
        final_series.cumulative_confirmed as final_confirmed,
        final_series.cumulative_deaths as final_deaths

    from published
    inner join final_series
        on
            published.country_region = final_series.country_region
            and published.report_date = final_series.report_date

),

final as (

    select
        country_region,
        iso3,
        report_date,
        published_confirmed,
        published_deaths,
        final_confirmed,
        final_deaths,
        final_confirmed - published_confirmed as confirmed_revision,
        final_deaths - published_deaths as deaths_revision,
        coalesce(
            final_confirmed != published_confirmed or final_deaths != published_deaths, false
        ) as is_revised

    from compared

)

select * from final
