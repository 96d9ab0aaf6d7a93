-- The revision flags of fct_us_county_daily and the rows of fct_downward_revisions describe
-- the same events: a county-day is flagged for a series exactly when the revisions mart lists
-- that location, date and US file. Returns the days found on one side only.

with

flagged as (

    select
        location_key,
        report_date,
        'time_series_covid19_confirmed_US.csv' as source_file

    from {{ ref('fct_us_county_daily') }}
    where is_confirmed_revised_down

    union all

    select
        location_key,
        report_date,
        'time_series_covid19_deaths_US.csv' as source_file

    from {{ ref('fct_us_county_daily') }}
    where is_deaths_revised_down

),

listed as (

    select
        location_key,
        report_date,
        source_file

    from {{ ref('fct_downward_revisions') }}
    where
        source_file in (
            'time_series_covid19_confirmed_US.csv',
            'time_series_covid19_deaths_US.csv'
        )

),

compared as (

    select
        coalesce(flagged.location_key, listed.location_key) as location_key,
        coalesce(flagged.report_date, listed.report_date) as report_date,
        coalesce(flagged.source_file, listed.source_file) as source_file,
        flagged.location_key is not null as is_flagged,
        listed.location_key is not null as is_listed

    from flagged
    full outer join listed
        on
            flagged.location_key = listed.location_key
            and flagged.report_date = listed.report_date
            and flagged.source_file = listed.source_file

)

select * from compared
where not (is_flagged and is_listed)
