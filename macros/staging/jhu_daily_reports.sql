{#-
    Read a daily-report family (every file of its folder, through one source) as one relation
    with one set of column names: `columns` maps each output name to the headers that hold it
    in the family's header versions, e.g. {'province_state': ['Province/State',
    'Province_State']}. A header no file has is left out of the coalesce, and an output with no
    header in any file is NULL, so a lake holding only some versions (a partial mirror) builds.
    An empty folder gives no rows. Every output column is text; `report_file` is the file's path.
    Dispatched per adapter; models call this one only.
-#}
{% macro jhu_daily_reports(source_table, columns) -%}
    {{ return(adapter.dispatch('jhu_daily_reports', 'jhu_covid')(source_table, columns)) }}
{%- endmacro %}

{#- DuckDB: the source is a `read_csv` over a glob with union_by_name and filename (see
    _jhu__sources.yml). At run time the glob is listed first (read_csv fails on no files) and the
    united columns are read with DESCRIBE, which only sniffs the files. -#}
{% macro duckdb__jhu_daily_reports(source_table, columns) -%}
    {%- set relation = source('jhu', source_table) -%}
    {%- set node = graph.sources['source.jhu_covid.jhu.' ~ source_table] if execute else none -%}
    {%- set present = [] -%}
    {%- set has_files = [false] -%}
    {%- if execute -%}
        {%- set pattern = node.config.meta['jhu_raw_path'] ~ '/' ~ node.identifier ~ '/*.csv' -%}
        {%- set listed = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
        {%- if listed.columns[0].values()[0] > 0 -%}
            {%- do has_files.append(true) -%}
            {%- set described = run_query('describe select * from ' ~ relation) -%}
            {%- for name in described.columns[0].values() -%}
                {%- do present.append(name) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if has_files[-1] %}
    select
        {%- for output, headers in columns.items() %}
        {%- set found = headers | select('in', present) | list %}
        {%- if found | length == 0 %}
        cast(null as varchar) as {{ output }},
        {%- elif found | length == 1 %}
        "{{ found[0] }}" as {{ output }},
        {%- else %}
        coalesce({% for header in found %}"{{ header }}"{{ ", " if not loop.last }}{% endfor %}) as {{ output }},
        {%- endif %}
        {%- endfor %}
        filename as report_file
    from {{ relation }}
    {%- else %}
    select
        {%- for output in columns %}
        cast(null as varchar) as {{ output }},
        {%- endfor %}
        cast(null as varchar) as report_file
    where false
    {%- endif %}
{%- endmacro %}

{% macro default__jhu_daily_reports(source_table, columns) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_daily_reports: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_daily_reports in macros/staging/jhu_daily_reports.sql"
    ) }}
{%- endmacro %}

{#-
    The report date of a daily report, from its file name (`.../03-09-2023.csv`): a DATE.
    Dispatched per adapter. A name that is not such a date fails loudly (the loader refuses
    such files before they land).
-#}
{% macro jhu_report_file_date(column) -%}
    {{ return(adapter.dispatch('jhu_report_file_date', 'jhu_covid')(column)) }}
{%- endmacro %}

{% macro duckdb__jhu_report_file_date(column) -%}
    cast(strptime(regexp_extract({{ column }}, '(\d{2}-\d{2}-\d{4})\.csv$', 1), '%m-%d-%Y') as date)
{%- endmacro %}

{% macro spark__jhu_report_file_date(column) -%}
    to_date(regexp_extract({{ column }}, '(\\d{2}-\\d{2}-\\d{4})\\.csv$', 1), 'MM-dd-yyyy')
{%- endmacro %}

{% macro default__jhu_report_file_date(column) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_report_file_date: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_report_file_date in macros/staging/jhu_daily_reports.sql"
    ) }}
{%- endmacro %}

{#-
    `Last Update` as a TIMESTAMP, from every format JHU used (sources/jhu_files.py,
    LAST_UPDATE_FORMATS): `M/D/YYYY H:MM`, `M/D/YY H:MM`, `YYYY-MM-DDTHH:MM:SS`,
    `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD HH:MM`. Empty is NULL; any other text fails the build.
    Dispatched per adapter.
-#}
{% macro jhu_parse_last_update(column) -%}
    {{ return(adapter.dispatch('jhu_parse_last_update', 'jhu_covid')(column)) }}
{%- endmacro %}

{#- DuckDB: %m, %d and %H accept one or two digits; %y is 20YY. The two-digit year is tried
    before the four-digit one: %Y would read `1/23/20 17:00` as the year 20, while %y fails on
    `1/22/2020 17:00` (it stops after `20` and finds `20` where the space belongs). -#}
{% macro duckdb__jhu_parse_last_update(column) -%}
    case
        when nullif(trim({{ column }}), '') is not null
            then coalesce(
                try_strptime(trim({{ column }}), [
                    '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M',
                    '%m/%d/%y %H:%M', '%m/%d/%Y %H:%M'
                ]),
                error('jhu_parse_last_update: not a known Last Update format: ' || {{ column }})
            )
    end
{%- endmacro %}

{% macro spark__jhu_parse_last_update(column) -%}
    case
        when nullif(trim({{ column }}), '') is not null
            then coalesce(
                to_timestamp(trim({{ column }}), 'yyyy-MM-dd HH:mm:ss'),
                to_timestamp(trim({{ column }}), "yyyy-MM-dd'T'HH:mm:ss"),
                to_timestamp(trim({{ column }}), 'yyyy-MM-dd HH:mm'),
                to_timestamp(trim({{ column }}), 'M/d/yyyy H:mm'),
                to_timestamp(trim({{ column }}), 'M/d/yy H:mm'),
                raise_error(concat('jhu_parse_last_update: not a known Last Update format: ', {{ column }}))
            )
    end
{%- endmacro %}

{% macro default__jhu_parse_last_update(column) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_parse_last_update: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_parse_last_update in macros/staging/jhu_daily_reports.sql"
    ) }}
{%- endmacro %}

{#- A country name as the daily reports' early files wrote it, in the time series' spelling:
    `Mainland China` is `China`, and the few other names JHU replaced by 03-11-2020
    (../shared/jhu/SOURCES.md, "Country names"). Engine-neutral. -#}
{% macro jhu_daily_country(column) -%}
    case trim({{ column }})
        when 'Mainland China' then 'China'
        when 'South Korea' then 'Korea, South'
        when 'Republic of Korea' then 'Korea, South'
        when 'Taiwan' then 'Taiwan*'
        when 'Iran (Islamic Republic of)' then 'Iran'
        when 'Russian Federation' then 'Russia'
        when 'Republic of Moldova' then 'Moldova'
        when 'Viet Nam' then 'Vietnam'
        when 'Czech Republic' then 'Czechia'
        when 'Republic of Ireland' then 'Ireland'
        when 'Ivory Coast' then 'Cote d''Ivoire'
        when 'Vatican City' then 'Holy See'
        else nullif(trim({{ column }}), '')
    end
{%- endmacro %}

{#- A count as JHU wrote it in the daily reports (`12`, `155764.0`, empty) as BIGINT: read as a
    double and cast, which is exact because the loader admits only whole values. -#}
{% macro jhu_daily_count(column) -%}
    cast(cast(nullif(trim({{ column }}), '') as double) as bigint)
{%- endmacro %}
