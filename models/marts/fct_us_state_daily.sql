with

-- The county mart already carries each row's state (the lookup's, by UID) next to its counts.
counties as (

    select * from {{ ref('fct_us_county_daily') }}

),

locations as (

    select * from {{ ref('int_locations_classified') }}

),

states as (

    select * from locations
    where country_region = 'US' and location_level = 'province_state'

),

-- A state is the sum of its rows in the US files, Unassigned and "Out of XX" rows included.
-- A sum skips unknown (NULL) rows and is NULL only when the series has no row that date.
-- A row whose UID is not in the lookup has no state and is left out.
aggregated as (

    select
        state_name,
        report_date,
        cast(sum(cumulative_confirmed) as bigint) as cumulative_confirmed,
        cast(sum(cumulative_deaths) as bigint) as cumulative_deaths

    from counties
    where state_name is not null
    group by state_name, report_date

),

-- The US daily reports: the tests and hospitalisations the time series do not have, with
-- their own changes (NULL across a missing date). Positivity divides the report's own 7-day
-- change in confirmed by its 7-day change in test results, both from the same files.
us_reports as (

    select * from {{ ref('stg_jhu__daily_reports_us') }}

),

us_report_changes as (

    select
        state_name,
        report_date,
        cumulative_test_results as cumulative_tests,
        {{ jhu_consecutive_daily_change('cumulative_test_results', 'state_name') }} as new_tests,
        {{ jhu_consecutive_mean_change_7d('cumulative_test_results', 'state_name') }}
            as new_tests_7d_avg,
        {{ jhu_consecutive_mean_change_7d('cumulative_confirmed', 'state_name') }}
            as report_new_confirmed_7d_avg,
        testing_rate,
        cumulative_hospitalized,
        hospitalization_rate

    from us_reports

),

changes as (

    select
        *,
        {{ jhu_daily_change('cumulative_confirmed', 'state_name') }} as new_confirmed,
        {{ jhu_daily_change('cumulative_deaths', 'state_name') }} as new_deaths,
        {{ jhu_mean_daily_change_7d('cumulative_confirmed', 'state_name') }}
            as new_confirmed_7d_avg,
        {{ jhu_mean_daily_change_7d('cumulative_deaths', 'state_name') }}
            as new_deaths_7d_avg

    from aggregated

),

final as (

    select
        states.location_key,
        states.fips as state_fips,
        changes.state_name,
        changes.report_date,
        states.population,
        changes.cumulative_confirmed,
        changes.cumulative_deaths,
        changes.new_confirmed,
        changes.new_deaths,
        changes.new_confirmed_7d_avg,
        changes.new_deaths_7d_avg,
        {{ jhu_ratio('changes.cumulative_confirmed', 'states.population', scale=100000) }}
            as confirmed_per_100k,
        {{ jhu_ratio('changes.cumulative_deaths', 'states.population', scale=100000) }}
            as deaths_per_100k,
        {{ jhu_ratio('changes.cumulative_deaths', 'changes.cumulative_confirmed') }}
            as case_fatality_ratio,
        {{ jhu_is_revised_down('changes.new_confirmed') }} as is_confirmed_revised_down,
        {{ jhu_is_revised_down('changes.new_deaths') }} as is_deaths_revised_down,
        us_report_changes.cumulative_tests,
        us_report_changes.new_tests,
        us_report_changes.new_tests_7d_avg,
        -- + 0: a -0.0 (no new case over a negative change in tests) is 0.0, so the export's
        -- bytes depend only on the values (see fct_subnational_daily)
        {{ jhu_ratio(
            'us_report_changes.report_new_confirmed_7d_avg', 'us_report_changes.new_tests_7d_avg'
        ) }} + 0 as test_positivity_7d,
        us_report_changes.testing_rate,
        us_report_changes.cumulative_hospitalized,
        us_report_changes.hospitalization_rate

    from changes
    left join states
        on changes.state_name = states.province_state
    left join us_report_changes
        on
            changes.state_name = us_report_changes.state_name
            and changes.report_date = us_report_changes.report_date

)

select * from final
