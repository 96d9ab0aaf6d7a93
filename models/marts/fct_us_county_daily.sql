with

counties as (

    select * from {{ ref('int_us_county_daily_joined') }}

),

changes as (

    select
        *,
        {{ jhu_daily_change('cumulative_confirmed', 'location_key') }} as new_confirmed,
        {{ jhu_daily_change('cumulative_deaths', 'location_key') }} as new_deaths

    from counties

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
        {{ jhu_rolling_mean_7d('new_confirmed', 'location_key') }} as new_confirmed_7d_avg,
        {{ jhu_rolling_mean_7d('new_deaths', 'location_key') }} as new_deaths_7d_avg,
        {{ jhu_ratio('cumulative_confirmed', 'population', scale=100000) }} as confirmed_per_100k,
        {{ jhu_ratio('cumulative_deaths', 'population', scale=100000) }} as deaths_per_100k,
        {{ jhu_ratio('cumulative_deaths', 'cumulative_confirmed') }} as case_fatality_ratio,
        {{ jhu_is_revised_down('new_confirmed') }} as is_confirmed_revised_down,
        {{ jhu_is_revised_down('new_deaths') }} as is_deaths_revised_down

    from changes

)

select * from final
