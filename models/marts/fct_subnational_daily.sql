with

provinces as (

    select * from {{ ref('int_daily_reports_by_province') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}

),

-- The countries a report breaks down that day: any row with a province other than `Recovered`
-- (a national recovered total JHU filed as a province of US and Canada, not a place).
broken_down as (

    select distinct
        country_region,
        report_date

    from provinces
    where province_state is not null and province_state != 'Recovered'

),

subnational as (

    select provinces.*
    from provinces
    inner join broken_down
        on
            provinces.country_region = broken_down.country_region
            and provinces.report_date = broken_down.report_date
    where provinces.province_state is null or provinces.province_state != 'Recovered'

),

{%- set place = 'country_region, province_state' %}

changes as (

    select
        *,
        {{ jhu_consecutive_daily_change('cumulative_confirmed', place) }} as new_confirmed,
        {{ jhu_consecutive_daily_change('cumulative_deaths', place) }} as new_deaths,
        {{ jhu_consecutive_daily_change('cumulative_recovered', place) }} as new_recovered,
        {{ jhu_consecutive_mean_change_7d('cumulative_confirmed', place) }}
            as new_confirmed_7d_avg,
        {{ jhu_consecutive_mean_change_7d('cumulative_deaths', place) }} as new_deaths_7d_avg

    from subnational

),

countries as (

    select * from locations
    where location_level = 'country'

),

province_locations as (

    select * from locations
    where location_level = 'province_state'

),

final as (

    select
        changes.country_region,
        changes.province_state,
        changes.report_date,
        countries.country_name,
        countries.iso3,
        countries.continent,
        province_locations.location_key,
        province_locations.population,
        changes.cumulative_confirmed,
        changes.cumulative_deaths,
        changes.cumulative_recovered,
        changes.active,
        changes.new_confirmed,
        changes.new_deaths,
        changes.new_recovered,
        changes.new_confirmed_7d_avg,
        changes.new_deaths_7d_avg,
        {{ jhu_ratio(
            'changes.cumulative_confirmed', 'province_locations.population', scale=100000
        ) }} as confirmed_per_100k,
        {{ jhu_ratio(
            'changes.cumulative_deaths', 'province_locations.population', scale=100000
        ) }} as deaths_per_100k,
        -- + 0 turns a -0.0 (no deaths over a negative count: Unknown, Colombia, 11-02-2020)
        -- into 0.0: DuckDB gave either sign from one build to the next, and the export's
        -- bytes must depend only on the values.
        {{ jhu_ratio('changes.cumulative_deaths', 'changes.cumulative_confirmed') }} + 0
            as case_fatality_ratio,
        {{ jhu_is_revised_down('changes.new_confirmed') }} as is_confirmed_revised_down,
        {{ jhu_is_revised_down('changes.new_deaths') }} as is_deaths_revised_down,
        changes.report_rows

    from changes
    left join countries
        on changes.country_region = countries.country_region
    left join province_locations
        on
            changes.country_region = province_locations.country_region
            and changes.province_state = province_locations.province_state

)

select * from final
