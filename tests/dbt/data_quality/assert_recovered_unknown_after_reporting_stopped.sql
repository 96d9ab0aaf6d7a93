-- Recovered is unknown (NULL), not 0, after JHU stopped reporting it: no country and no world
-- total may have a recovered count after the last date whose worldwide sum in the recovered
-- file is above 0 (derived here from staging, not typed), and the world total is known up to
-- that date. Returns the offending rows.

with

world_published as (

    select
        report_date,
        sum(cumulative_recovered) as world_cumulative

    from {{ ref('stg_jhu__recovered_global') }}
    group by report_date

),

reporting_end as (

    select max(report_date) as last_reported_date
    from world_published
    where world_cumulative > 0

),

countries_after_end as (

    select
        'fct_country_daily' as mart,
        countries.country_region,
        countries.report_date,
        countries.cumulative_recovered

    from {{ ref('fct_country_daily') }} as countries
    cross join reporting_end
    where
        countries.report_date > reporting_end.last_reported_date
        and countries.cumulative_recovered is not null

),

world_wrong as (

    select
        'fct_global_daily' as mart,
        'world' as country_region,
        world.report_date,
        world.cumulative_recovered

    from {{ ref('fct_global_daily') }} as world
    cross join reporting_end
    where
        (
            world.report_date > reporting_end.last_reported_date
            and world.cumulative_recovered is not null
        )
        or (
            world.report_date <= reporting_end.last_reported_date
            and world.cumulative_recovered is null
        )

)

select * from countries_after_end
union all
select * from world_wrong
