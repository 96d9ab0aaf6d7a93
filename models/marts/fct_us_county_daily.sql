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
        {{ jhu_daily_change('cumulative_deaths', 'location_key') }} as new_deaths,
        {{ jhu_mean_daily_change_7d('cumulative_confirmed', 'location_key') }}
            as new_confirmed_7d_avg,
        {{ jhu_mean_daily_change_7d('cumulative_deaths', 'location_key') }}
            as new_deaths_7d_avg

    from counties

),

-- The location's attributes and population (the lookup's) are added last, to the finished
-- series, so the window functions above sort narrow rows.
final as (

    select
        changes.location_key,
        locations.fips,
        locations.county_name,
        locations.province_state as state_name,
        changes.report_date,
        locations.population,
        changes.cumulative_confirmed,
        changes.cumulative_deaths,
        changes.new_confirmed,
        changes.new_deaths,
        changes.new_confirmed_7d_avg,
        changes.new_deaths_7d_avg,
        {{ jhu_ratio('changes.cumulative_confirmed', 'locations.population', scale=100000) }}
            as confirmed_per_100k,
        {{ jhu_ratio('changes.cumulative_deaths', 'locations.population', scale=100000) }}
            as deaths_per_100k,
        {{ jhu_ratio('changes.cumulative_deaths', 'changes.cumulative_confirmed') }}
            as case_fatality_ratio,
        {{ jhu_is_revised_down('changes.new_confirmed') }} as is_confirmed_revised_down,
        {{ jhu_is_revised_down('changes.new_deaths') }} as is_deaths_revised_down

    from changes
    left join locations
        on changes.location_key = locations.location_key

)

select * from final
