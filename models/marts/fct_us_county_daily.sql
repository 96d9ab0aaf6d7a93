with

counties as (

    select * from {{ ref('int_us_county_daily_joined') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}

),

changes as (

    select
        *,
        {{ jhu_daily_change('cumulative_confirmed', 'location_key') }} as new_confirmed,
        {{ jhu_daily_change('cumulative_deaths', 'location_key') }} as new_deaths

    from counties

),

averaged as (

    select
        *,
        {{ jhu_rolling_mean_7d('new_confirmed', 'location_key') }} as new_confirmed_7d_avg,
        {{ jhu_rolling_mean_7d('new_deaths', 'location_key') }} as new_deaths_7d_avg

    from changes

),

-- The location's attributes and population (the lookup's) are added last, to the finished
-- series, so the window functions above sort narrow rows.
final as (

    select
        averaged.location_key,
        locations.fips,
        locations.county_name,
        locations.province_state as state_name,
        averaged.report_date,
        locations.population,
        averaged.cumulative_confirmed,
        averaged.cumulative_deaths,
        averaged.new_confirmed,
        averaged.new_deaths,
        averaged.new_confirmed_7d_avg,
        averaged.new_deaths_7d_avg,
        {{ jhu_ratio('averaged.cumulative_confirmed', 'locations.population', scale=100000) }}
            as confirmed_per_100k,
        {{ jhu_ratio('averaged.cumulative_deaths', 'locations.population', scale=100000) }}
            as deaths_per_100k,
        {{ jhu_ratio('averaged.cumulative_deaths', 'averaged.cumulative_confirmed') }}
            as case_fatality_ratio,
        {{ jhu_is_revised_down('averaged.new_confirmed') }} as is_confirmed_revised_down,
        {{ jhu_is_revised_down('averaged.new_deaths') }} as is_deaths_revised_down

    from averaged
    left join locations
        on averaged.location_key = locations.location_key

)

select * from final
