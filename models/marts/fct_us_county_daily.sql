-- Written once, straight to Parquet on DuckDB (`parquet_file`, set with the reason in
-- dbt_project.yml); the export publishes that file as it is, so the rows must come in key
-- order: int_us_county_series_joined is stored in location_key order, each location's dates
-- are in order, and every step below keeps the order of the rows it reads.

with

counties as (

    select * from {{ ref('int_us_county_series_joined') }}

),

-- Whether each series has no unknown value: then the shift by seven dates gives the 7-day
-- mean exactly; the few series with one take the exact, slower list instead.
flagged as (

    select
        *,
        {{ jhu_series_is_complete('cumulative_confirmed_series') }} as is_confirmed_complete,
        {{ jhu_series_is_complete('cumulative_deaths_series') }} as is_deaths_complete

    from counties

),

-- Per location, the lists the measures need: each series shifted by one date (the previous
-- date's count) and by seven, and the exact 7-day means of an incomplete series.
shifted as (

    select
        *,
        {{ jhu_series_shift('cumulative_confirmed_series', 1) }} as confirmed_1_back,
        {{ jhu_series_shift('cumulative_deaths_series', 1) }} as deaths_1_back,
        {{ jhu_series_shift('cumulative_confirmed_series', 7) }} as confirmed_7_back,
        {{ jhu_series_shift('cumulative_deaths_series', 7) }} as deaths_7_back,
        case
            when not is_confirmed_complete
                then {{ jhu_series_mean_change_7d('cumulative_confirmed_series') }}
        end as confirmed_7d_avg_exact,
        case
            when not is_deaths_complete
                then {{ jhu_series_mean_change_7d('cumulative_deaths_series') }}
        end as deaths_7d_avg_exact

    from flagged

),

daily as (

    select
        location_key,
        fips,
        county_name,
        state_name,
        population,
        is_confirmed_complete,
        is_deaths_complete,
        {{ jhu_unnest_series({
            'report_dates': 'report_date',
            'cumulative_confirmed_series': 'cumulative_confirmed',
            'cumulative_deaths_series': 'cumulative_deaths',
            'confirmed_1_back': 'confirmed_1_back',
            'deaths_1_back': 'deaths_1_back',
            'confirmed_7_back': 'confirmed_7_back',
            'deaths_7_back': 'deaths_7_back',
            'confirmed_7d_avg_exact': 'confirmed_7d_avg_exact',
            'deaths_7d_avg_exact': 'deaths_7d_avg_exact'
        }) }}

    from shifted

),

changes as (

    select
        *,
        cumulative_confirmed - confirmed_1_back as new_confirmed,
        cumulative_deaths - deaths_1_back as new_deaths,
        case
            when is_confirmed_complete
                then cast(cumulative_confirmed - confirmed_7_back as double) / 7
            else confirmed_7d_avg_exact
        end as new_confirmed_7d_avg,
        case
            when is_deaths_complete then cast(cumulative_deaths - deaths_7_back as double) / 7
            else deaths_7d_avg_exact
        end as new_deaths_7d_avg

    from daily

),

final as (

    select
        location_key,
        fips,
        county_name,
        state_name,
        report_date,
        population,
        cumulative_confirmed,
        cumulative_deaths,
        new_confirmed,
        new_deaths,
        new_confirmed_7d_avg,
        new_deaths_7d_avg,
        {{ jhu_ratio('cumulative_confirmed', 'population', scale=100000) }} as confirmed_per_100k,
        {{ jhu_ratio('cumulative_deaths', 'population', scale=100000) }} as deaths_per_100k,
        {{ jhu_ratio('cumulative_deaths', 'cumulative_confirmed') }} as case_fatality_ratio,
        {{ jhu_is_revised_down('new_confirmed') }} as is_confirmed_revised_down,
        {{ jhu_is_revised_down('new_deaths') }} as is_deaths_revised_down

    from changes

)

select * from final
