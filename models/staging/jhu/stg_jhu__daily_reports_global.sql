-- A table, not a view as the other staging models: every read of the folder re-parses every
-- file (1,143 at full size), and three models and their tests read it.
{{ config(materialized='table') }}

with

-- Each output name and the headers that hold it in the five header versions
-- (sources/jhu_files.py, DAILY_GLOBAL): v1-2 wrote `Province/State`, `Last Update`,
-- `Latitude`; v3 renamed them and added FIPS, Admin2, Active, Combined_Key; v4 added
-- `Incidence_Rate`, `Case-Fatality_Ratio`, which v5 renamed `Incident_Rate`,
-- `Case_Fatality_Ratio` (the same measures: cases per 100,000, deaths per 100 cases).
source as (

    {{ jhu_daily_reports('daily_reports_global', {
        'fips': ['FIPS'],
        'admin2': ['Admin2'],
        'province_state': ['Province_State', 'Province/State'],
        'country_region': ['Country_Region', 'Country/Region'],
        'last_update': ['Last_Update', 'Last Update'],
        'lat': ['Lat', 'Latitude'],
        'long': ['Long_', 'Longitude'],
        'confirmed': ['Confirmed'],
        'deaths': ['Deaths'],
        'recovered': ['Recovered'],
        'active': ['Active'],
        'combined_key': ['Combined_Key'],
        'incident_rate': ['Incident_Rate', 'Incidence_Rate'],
        'case_fatality_ratio': ['Case_Fatality_Ratio', 'Case-Fatality_Ratio']
    }) }}

),

renamed as (

    select
        {{ jhu_report_file_date('report_file') }} as report_date,
        {{ jhu_daily_country('country_region') }} as country_region,
        {{ jhu_blank_to_null('province_state') }} as province_state,
        {{ jhu_blank_to_null('admin2') }} as county_name,
        {{ jhu_clean_fips('fips', 'admin2') }} as fips,
        {{ jhu_blank_to_null('combined_key') }} as combined_key,
        {{ jhu_parse_last_update('last_update') }} as last_update,
        {{ jhu_coordinate('lat', 'long') }} as latitude,
        {{ jhu_coordinate('long', 'lat') }} as longitude,
        {{ jhu_daily_count('confirmed') }} as cumulative_confirmed,
        {{ jhu_daily_count('deaths') }} as cumulative_deaths,
        {{ jhu_daily_count('recovered') }} as cumulative_recovered,
        {{ jhu_daily_count('active') }} as active,
        cast(nullif(trim(incident_rate), '') as double) as incident_rate,
        cast(nullif(trim(case_fatality_ratio), '') as double) as case_fatality_ratio,
        report_file

    from source

),

-- One row per file row. The one row JHU published twice with every field equal (Hubei, Mainland
-- China, on 01-23-2020) is kept once; rows that differ in any field are all kept.
deduplicated as (

    select distinct * from renamed

)

select * from deduplicated
