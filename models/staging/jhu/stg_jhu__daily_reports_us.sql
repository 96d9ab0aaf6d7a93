-- A table, not a view as the other staging models: every read of the folder re-parses every
-- file (1,062), and the state mart and its tests read it.
{{ config(materialized='table') }}

with

-- Each output name and its header in the two US header versions (sources/jhu_files.py,
-- DAILY_US); version 2 (from 09-21-2022) dropped `Date`, `People_Tested`, `Mortality_Rate`.
source as (

    {{ jhu_daily_reports('daily_reports_us', {
        'province_state': ['Province_State'],
        'country_region': ['Country_Region'],
        'last_update': ['Last_Update'],
        'lat': ['Lat'],
        'long': ['Long_'],
        'confirmed': ['Confirmed'],
        'deaths': ['Deaths'],
        'recovered': ['Recovered'],
        'active': ['Active'],
        'fips': ['FIPS'],
        'incident_rate': ['Incident_Rate'],
        'total_test_results': ['Total_Test_Results'],
        'people_hospitalized': ['People_Hospitalized'],
        'case_fatality_ratio': ['Case_Fatality_Ratio'],
        'uid': ['UID'],
        'iso3': ['ISO3'],
        'testing_rate': ['Testing_Rate'],
        'hospitalization_rate': ['Hospitalization_Rate'],
        'people_tested': ['People_Tested'],
        'mortality_rate': ['Mortality_Rate']
    }) }}

),

renamed as (

    select
        {{ jhu_report_file_date('report_file') }} as report_date,
        {{ jhu_blank_to_null('province_state') }} as state_name,
        {{ jhu_blank_to_null('country_region') }} as country_region,
        {{ jhu_daily_count('uid') }} as location_key,
        {{ jhu_blank_to_null('iso3') }} as iso3,
        -- state rows: the 2-character state code ('01'); ships 88888, 99999 keep 5
        {{ jhu_clean_fips('fips', 'null') }} as state_fips,
        {{ jhu_parse_last_update('last_update') }} as last_update,
        {{ jhu_coordinate('lat', 'long') }} as latitude,
        {{ jhu_coordinate('long', 'lat') }} as longitude,
        {{ jhu_daily_count('confirmed') }} as cumulative_confirmed,
        {{ jhu_daily_count('deaths') }} as cumulative_deaths,
        {{ jhu_daily_count('recovered') }} as cumulative_recovered,
        {{ jhu_daily_count('active') }} as active,
        -- Total_Test_Results (in every file; non-empty 04-12-2020 .. 09-20-2022) counts test
        -- results, People_Tested (in v1 files only; non-empty to 11-08-2020) people tested:
        -- a person tested twice is one person and two results. Kept apart, never merged.
        {{ jhu_daily_count('total_test_results') }} as cumulative_test_results,
        {{ jhu_daily_count('people_tested') }} as cumulative_people_tested,
        {{ jhu_daily_count('people_hospitalized') }} as cumulative_hospitalized,
        cast(nullif(trim(incident_rate), '') as double) as incident_rate,
        cast(nullif(trim(testing_rate), '') as double) as testing_rate,
        cast(nullif(trim(hospitalization_rate), '') as double) as hospitalization_rate,
        cast(nullif(trim(case_fatality_ratio), '') as double) as case_fatality_ratio,
        cast(nullif(trim(mortality_rate), '') as double) as mortality_rate,
        report_file

    from source

)

select * from renamed
