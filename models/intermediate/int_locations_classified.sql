-- Materialized as a table: this small model is read by dim_location and by every fact's
-- intermediate model; as a view it would re-parse the lookup CSV each time.
{{ config(materialized='table') }}

with

locations as (

    select * from {{ ref('stg_jhu__uid_lookup') }}

),

country_names as (

    select * from {{ ref('country_names') }}

),

continents as (

    select * from {{ ref('iso3_continents') }}

),

classified as (

    select
        locations.location_key,
        locations.iso2,
        locations.iso3,
        locations.code3,
        locations.fips,
        locations.county_name,
        locations.province_state,
        locations.country_region,
        country_names.country_name,
        locations.latitude,
        locations.longitude,
        locations.population,
        locations.combined_key,
        case
            when locations.county_name is not null then 'county'
            when locations.province_state is not null then 'province_state'
            else 'country'
        end as location_level,
        -- What the row counts: a place, or one of JHU's non-geographic or bookkeeping entities
        -- (see the entity_type doc block in models/docs/locations.md).
        case
            when
                locations.country_region in ('Diamond Princess', 'MS Zaandam')
                or locations.province_state in ('Diamond Princess', 'Grand Princess')
                then 'cruise_ship'
            when locations.country_region in ('Summer Olympics 2020', 'Winter Olympics 2022')
                then 'event'
            when locations.country_region = 'Antarctica' then 'research_stations'
            when locations.county_name like 'Out of %' then 'out_of_state'
            when
                locations.county_name = 'Unassigned'
                or locations.province_state = 'Unknown'
                then 'unassigned'
            when locations.province_state = 'Repatriated Travellers' then 'repatriated'
            when locations.province_state = 'Recovered' then 'recovered_aggregate'
            when
                locations.province_state in (
                    'US Military', 'Federal Bureau of Prisons', 'Veteran Hospitals'
                )
                or locations.county_name in (
                    'Michigan Department of Corrections (MDOC)',
                    'Federal Correctional Institution (FCI)'
                )
                then 'institution'
            else 'place'
        end as entity_type,
        continents.continent

    from locations
    left join country_names
        on locations.country_region = country_names.country_region
    left join continents
        on locations.iso3 = continents.iso3

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
        -- Ships and events are on no continent, even when filed under Canada or the US.
        case when entity_type not in ('cruise_ship', 'event') then continent end as continent,
        latitude,
        longitude,
        population,
        combined_key,
        location_level,
        entity_type

    from classified

)

select * from final
