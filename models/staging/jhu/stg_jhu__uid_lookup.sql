with

source as (

    select * from {{ source('jhu', 'uid_lookup') }}

),

renamed as (

    select
        cast({{ jhu_blank_to_null('uid') }} as bigint) as location_key,
        {{ jhu_blank_to_null('iso2') }} as iso2,
        {{ jhu_blank_to_null('iso3') }} as iso3,
        cast({{ jhu_blank_to_null('code3') }} as integer) as code3,
        {{ jhu_clean_fips('fips', 'admin2') }} as fips,
        {{ jhu_blank_to_null('admin2') }} as county_name,
        {{ jhu_blank_to_null('province_state') }} as province_state,
        {{ jhu_blank_to_null('country_region') }} as country_region,
        {{ jhu_coordinate('lat', 'long_') }} as latitude,
        {{ jhu_coordinate('long_', 'lat') }} as longitude,
        {{ jhu_blank_to_null('combined_key') }} as combined_key,
        cast({{ jhu_blank_to_null('population') }} as bigint) as population

    from source

)

select * from renamed
