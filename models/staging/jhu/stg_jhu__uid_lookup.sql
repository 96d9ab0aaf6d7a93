with

source as (

    select * from {{ source('jhu', 'uid_lookup') }}

),

renamed as (

    select
        {{ jhu_whole_number('uid') }} as location_key,
        {{ jhu_blank_to_null('iso2') }} as iso2,
        {{ jhu_blank_to_null('iso3') }} as iso3,
        {{ jhu_whole_number('code3', 'integer') }} as code3,
        {{ jhu_clean_fips('fips', 'admin2') }} as fips,
        {{ jhu_blank_to_null('admin2') }} as county_name,
        {{ jhu_blank_to_null('province_state') }} as province_state,
        {{ jhu_blank_to_null('country_region') }} as country_region,
        {{ jhu_coordinate('lat', 'long_') }} as latitude,
        {{ jhu_coordinate('long_', 'lat') }} as longitude,
        {{ jhu_blank_to_null('combined_key') }} as combined_key,
        {{ jhu_whole_number('population') }} as population

    from source

)

select * from renamed
