with

source as (

    select * from {{ source('jhu', 'confirmed_global') }}

),

unpivoted as (

    {{ jhu_unpivot_dates(
        relation='source',
        id_columns={
            'Province/State': 'province_state',
            'Country/Region': 'country_region',
            'Lat': 'lat',
            'Long': 'long'
        }
    ) }}

),

renamed as (

    select
        {{ jhu_blank_to_null('province_state') }} as province_state,
        {{ jhu_blank_to_null('country_region') }} as country_region,
        {{ jhu_coordinate('lat', 'long') }} as latitude,
        {{ jhu_coordinate('long', 'lat') }} as longitude,
        {{ jhu_parse_date('report_date_text') }} as report_date,
        {{ jhu_whole_number('cumulative_count_text') }} as cumulative_confirmed

    from unpivoted

)

select * from renamed
