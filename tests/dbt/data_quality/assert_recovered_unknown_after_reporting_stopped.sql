-- Recovered is unknown (NULL), not 0, after JHU stopped reporting it (models/docs/): after
-- the last date whose worldwide sum in the recovered file is above 0, and for a country after
-- its own last date above 0 (the US from December 2020). Both dates are derived here from the
-- raw file (sources), not from the staging view or intermediate model the marts read. The
-- check cannot pass vacuously: it fails when the file has no date above 0, when the world
-- mart lacks a date of the file or a known total up to the end, and when a country above 0 on
-- the last reported date has no recovered count there. Returns the offending rows.

with

recovered_file as (

    select * from {{ source('jhu', 'recovered_global') }}

),

by_country_text as (

    {{ jhu_sum_dates_by('recovered_file', 'Country/Region', 'country_region') }}

),

by_country as (

    select
        country_region,
        {{ jhu_parse_date('report_date_text') }} as report_date,
        cumulative_count

    from by_country_text

),

world_published as (

    select
        report_date,
        sum(cumulative_count) as world_cumulative

    from by_country
    group by report_date

),

reporting_end as (

    select max(report_date) as last_reported_date
    from world_published
    where world_cumulative > 0

),

country_ends as (

    select
        country_region,
        max(report_date) as last_positive_date

    from by_country
    where cumulative_count > 0
    group by country_region

),

countries as (

    select * from {{ ref('fct_country_daily') }}

),

world as (

    select * from {{ ref('fct_global_daily') }}

),

no_reporting_end as (

    select
        'recovered file' as mart,
        'no date with a worldwide recovered sum above 0' as country_region,
        cast(null as date) as report_date,
        cast(null as bigint) as cumulative_recovered

    from reporting_end
    where last_reported_date is null

),

countries_after_end as (

    select
        'fct_country_daily' as mart,
        countries.country_region,
        countries.report_date,
        countries.cumulative_recovered

    from countries
    cross join reporting_end
    left join country_ends
        on countries.country_region = country_ends.country_region
    where
        countries.cumulative_recovered is not null
        and (
            countries.report_date > reporting_end.last_reported_date
            or countries.report_date > country_ends.last_positive_date
        )

),

countries_unknown_at_end as (

    select
        'fct_country_daily' as mart,
        by_country.country_region,
        by_country.report_date,
        countries.cumulative_recovered

    from by_country
    inner join reporting_end
        on by_country.report_date = reporting_end.last_reported_date
    left join countries
        on
            by_country.country_region = countries.country_region
            and by_country.report_date = countries.report_date
    where
        by_country.cumulative_count > 0
        and countries.cumulative_recovered is null

),

world_wrong as (

    select
        'fct_global_daily' as mart,
        'world' as country_region,
        coalesce(world.report_date, world_published.report_date) as report_date,
        world.cumulative_recovered

    from world
    full outer join world_published
        on world.report_date = world_published.report_date
    cross join reporting_end
    where
        world.report_date is null
        or world_published.report_date is null
        or (
            world.report_date > reporting_end.last_reported_date
            and world.cumulative_recovered is not null
        )
        or (
            world.report_date <= reporting_end.last_reported_date
            and world.cumulative_recovered is null
        )

)

select * from no_reporting_end
union all
select * from countries_after_end
union all
select * from countries_unknown_at_end
union all
select * from world_wrong
