with

countries as (

    select * from {{ ref('int_country_daily_aggregated') }}

),

changes as (

    select
        *,
        {{ jhu_daily_change('cumulative_confirmed', 'country_region') }} as new_confirmed,
        {{ jhu_daily_change('cumulative_deaths', 'country_region') }} as new_deaths,
        {{ jhu_daily_change('cumulative_recovered', 'country_region') }} as new_recovered,
        {{ jhu_mean_daily_change_7d('cumulative_confirmed', 'country_region') }}
            as new_confirmed_7d_avg,
        {{ jhu_mean_daily_change_7d('cumulative_deaths', 'country_region') }}
            as new_deaths_7d_avg

    from countries

),

final as (

    select
        location_key,
        country_region,
        country_name,
        iso3,
        continent,
        report_date,
        population,
        cumulative_confirmed,
        cumulative_deaths,
        cumulative_recovered,
        new_confirmed,
        new_deaths,
        new_recovered,
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
