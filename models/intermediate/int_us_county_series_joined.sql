-- One row per US location: the lookup's attributes and its confirmed and deaths series as lists
-- on one calendar, the full outer join of the two files' rows done per location. The files can
-- end on different dates and hold different rows (rows were added over time): a location in
-- both files gets every date either file has, a series missing on a date NULL there; a
-- location in one file only gets that file's dates.
-- In location_key order: fct_us_county_daily turns the lists into rows in the order it reads
-- them, so the mart comes out in key order without a sort of its 36 M rows (at k=10). The
-- attributes are joined before the sort, so no join follows it. On DuckDB a Parquet file of
-- small row groups (dbt_project.yml says why), which the mart reads on every thread.

with

confirmed as (

    select * from {{ ref('stg_jhu__confirmed_us') }}

),

deaths as (

    select * from {{ ref('stg_jhu__deaths_us') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}

),

-- Every row of a file has the same dates (its header), so the calendars, and the positions
-- that move a series onto them, are worked out once, from one row of each file. Read from the
-- staging views, not the CTEs above: DuckDB stores a CTE read twice in memory whole (both
-- files' lists, 6 GB at k=100 of `jhu bench`, spilling), and this read stops at one row.
confirmed_file as (

    -- every row holds the same list: any one will do
    select report_dates as confirmed_dates
    from {{ ref('stg_jhu__confirmed_us') }}
    limit 1  -- noqa: AM09

),

deaths_file as (

    select report_dates as deaths_dates
    from {{ ref('stg_jhu__deaths_us') }}
    limit 1  -- noqa: AM09

),

calendars as (

    select
        confirmed_file.confirmed_dates,
        deaths_file.deaths_dates,
        {{ jhu_series_calendar(
            'confirmed_file.confirmed_dates', 'deaths_file.deaths_dates'
        ) }} as both_dates,
        {{ jhu_series_calendar(
            'confirmed_file.confirmed_dates', 'confirmed_file.confirmed_dates'
        ) }} as confirmed_own_dates,
        {{ jhu_series_calendar(
            'deaths_file.deaths_dates', 'deaths_file.deaths_dates'
        ) }} as deaths_own_dates

    from confirmed_file
    cross join deaths_file

),

-- A file "leads" the joined calendar when its dates, in its column order, are that
-- calendar's first ones: upstream's files, which all start on 1/22/20 and run day by day, one
-- ending sooner. Its series then moves onto the calendar by padding NULLs at the end, and a
-- location in that file alone keeps the file's own dates. Any other header (dates out of
-- order, or missing in between) takes the general way, by position.
plan as (

    select
        both_dates,
        {{ jhu_series_length('both_dates') }} as both_length,
        {{ jhu_series_resize('both_dates', jhu_series_length('confirmed_dates')) }}
        = confirmed_dates as confirmed_leads,
        {{ jhu_series_resize('both_dates', jhu_series_length('deaths_dates')) }}
        = deaths_dates as deaths_leads,
        confirmed_own_dates,
        deaths_own_dates,
        {{ jhu_series_positions('both_dates', 'confirmed_dates') }} as confirmed_on_both,
        {{ jhu_series_positions('both_dates', 'deaths_dates') }} as deaths_on_both,
        {{ jhu_series_positions('confirmed_own_dates', 'confirmed_dates') }} as confirmed_on_own,
        {{ jhu_series_positions('deaths_own_dates', 'deaths_dates') }} as deaths_on_own

    from calendars

),

joined as (

    select
        coalesce(confirmed.location_key, deaths.location_key) as location_key,
        confirmed.location_key is not null and deaths.location_key is not null as in_both,
        coalesce(confirmed.report_dates, deaths.report_dates) as own_dates,
        confirmed.cumulative_confirmed_series,
        deaths.cumulative_deaths_series

    from confirmed
    full outer join deaths
        on confirmed.location_key = deaths.location_key

),

-- The plan's one row is joined to every row; its lists are read only in the branch that
-- needs them. Not scalar subqueries: Spark refuses them inside higher-order functions (the
-- `transform` of its `jhu_series_at`). On DuckDB the join measured as fast at k=10.
aligned as (

    select
        joined.location_key,
        case
            when joined.in_both then plan.both_dates
            when joined.cumulative_confirmed_series is not null and plan.confirmed_leads
                then joined.own_dates
            when joined.cumulative_confirmed_series is not null then plan.confirmed_own_dates
            when plan.deaths_leads then joined.own_dates
            else plan.deaths_own_dates
        end as report_dates,
        case
            when joined.in_both and plan.confirmed_leads
                then {{ jhu_series_resize(
                    'joined.cumulative_confirmed_series', 'plan.both_length'
                ) }}
            when joined.in_both
                then {{ jhu_series_at(
                    'joined.cumulative_confirmed_series', 'plan.confirmed_on_both'
                ) }}
            when plan.confirmed_leads then joined.cumulative_confirmed_series
            else {{ jhu_series_at('joined.cumulative_confirmed_series', 'plan.confirmed_on_own') }}
        end as cumulative_confirmed_series,
        case
            when joined.in_both and plan.deaths_leads
                then {{ jhu_series_resize('joined.cumulative_deaths_series', 'plan.both_length') }}
            when joined.in_both
                then {{ jhu_series_at('joined.cumulative_deaths_series', 'plan.deaths_on_both') }}
            when plan.deaths_leads then joined.cumulative_deaths_series
            else {{ jhu_series_at('joined.cumulative_deaths_series', 'plan.deaths_on_own') }}
        end as cumulative_deaths_series

    from joined
    cross join plan

),

final as (

    select
        aligned.location_key,
        locations.fips,
        locations.county_name,
        locations.province_state as state_name,
        locations.population,
        aligned.report_dates,
        aligned.cumulative_confirmed_series,
        aligned.cumulative_deaths_series

    from aligned
    left join locations
        on aligned.location_key = locations.location_key

    order by aligned.location_key

)

select * from final
