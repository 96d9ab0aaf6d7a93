with

locations as (

    select * from {{ ref('int_locations_classified') }}

),

final as (

    select
        location_key,
        iso2,
        iso3,
        code3,
        fips,
        county_name,
        province_state,
        country_region,
        country_name,
        continent,
        latitude,
        longitude,
        population,
        combined_key,
        location_level,
        entity_type

    from locations

)

select * from final
