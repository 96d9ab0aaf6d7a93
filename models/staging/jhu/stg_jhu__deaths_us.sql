with

source as (

    select * from {{ source('jhu', 'deaths_us') }}

),

series as (

    {{ jhu_date_series(
        relation='source',
        id_columns={
            'UID': 'uid',
            'iso2': 'iso2',
            'iso3': 'iso3',
            'code3': 'code3',
            'FIPS': 'fips',
            'Admin2': 'admin2',
            'Province_State': 'province_state',
            'Country_Region': 'country_region',
            'Lat': 'lat',
            'Long_': 'long',
            'Combined_Key': 'combined_key',
            'Population': 'population'
        },
        dates_column='report_dates',
        counts_column='counts',
        headers_from=source('jhu', 'deaths_us')
    ) }}

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
        {{ jhu_coordinate('lat', 'long') }} as latitude,
        {{ jhu_coordinate('long', 'lat') }} as longitude,
        {{ jhu_blank_to_null('combined_key') }} as combined_key,
        {{ jhu_whole_number('population') }} as population,
        report_dates,
        counts as cumulative_deaths_series

    from series

)

select * from renamed
