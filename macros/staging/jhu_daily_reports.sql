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
    _jhu__sources.yml). At run time the columns the files have are read from the load manifest,
    which records each report's header line (one small read instead of one per file: on S3 a GET
    per report saved); when the manifest is missing or an entry has no header (a lake loaded
    before headers were recorded), the glob is listed (read_csv fails on no files) and the
    united columns read with DESCRIBE, which opens every file. -#}
{% macro duckdb__jhu_daily_reports(source_table, columns) -%}
    {%- set relation = source('jhu', source_table) -%}
    {%- set node = graph.sources['source.jhu_covid.jhu.' ~ source_table] if execute else none -%}
    {%- set present = [] -%}
    {%- set has_files = [false] -%}
    {%- if execute -%}
        {%- set raw_path = node.config.meta['jhu_raw_path'] -%}
        {%- set headers = [] -%}
        {%- set complete = [false] -%}
        {%- set manifest = raw_path ~ '/_manifest.json' -%}
        {%- set found = run_query("select count(*) from glob('" ~ manifest ~ "')") -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {%- set read = run_query("select content from read_text('" ~ manifest ~ "')") -%}
            {%- set text = read.columns[0].values()[0] -%}
            {%- set files = fromjson(text).get('files', {}) -%}
            {%- set entries = [] -%}
            {%- for name, entry in files.items() if name.startswith(node.identifier ~ '/') -%}
                {%- do entries.append(entry) -%}
                {%- if entry.get('header') -%}
                    {%- do headers.append(entry['header']) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set all_known = entries | length > 0 and headers | length == entries | length -%}
            {%- do complete.append(all_known) -%}
        {%- endif -%}
        {%- if complete[-1] -%}
            {%- do has_files.append(true) -%}
            {%- for header in headers | unique -%}
                {%- for name in header.split(',') if name not in present -%}
                    {%- do present.append(name) -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- else -%}
            {%- set pattern = raw_path ~ '/' ~ node.identifier ~ '/*.csv' -%}
            {%- set listed = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
            {%- if listed.columns[0].values()[0] > 0 -%}
                {%- do has_files.append(true) -%}
                {%- set described = run_query('describe select * from ' ~ relation) -%}
                {%- for name in described.columns[0].values() -%}
                    {%- do present.append(name) -%}
                {%- endfor -%}
            {%- endif -%}
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

{#-
    Spark: the source is a text table over the raw folder's daily reports, one row per line with
    the file's path in `_metadata.file_path` (jhu_register_sources); the lines of this family's
    folder are kept. A CSV table cannot be used: Spark gives
    every file the first file's columns, by position, and the header versions differ. Each file's
    header is its line whose first field is a header's first column (`Province/State`, `FIPS`,
    `Province_State`: no data row starts so); every other line is parsed with `from_csv` into up
    to 24 text fields (the widest version has 21) and paired with the header's names in a map, so each
    output takes the first of its headers the file has, by name, as DuckDB's union_by_name does.
    A UTF-8 byte order mark before the header is dropped; CRLF lines are split by the reader.
-#}
{% macro spark__jhu_daily_reports(source_table, columns) -%}
    {%- set width = 24 -%}
    {%- set relation = source('jhu', source_table) -%}
    {%- set identifier = graph.sources['source.jhu_covid.jhu.' ~ source_table].identifier
        if execute else source_table -%}
    {%- set folder_filter = "_metadata.file_path like '%/" ~ identifier ~ "/%'" -%}
    select
        {%- for output, headers in columns.items() %}
        coalesce({% for header in headers %}fields['{{ header }}']{{ ", " if not loop.last }}{% endfor %}, cast(null as string)) as {{ output }},
        {%- endfor %}
        report_file
    from (
        select
            body.report_file,
            map_from_arrays(
                header.names,
                slice(
                    array({% for i in range(width) %}body.cells.c{{ i }}{{ ", " if not loop.last }}{% endfor %}),
                    1,
                    size(header.names)
                )
            ) as fields
        from (
            select
                _metadata.file_path as report_file,
                from_csv(
                    value,
                    '{% for i in range(width) %}c{{ i }} string{{ ", " if not loop.last }}{% endfor %}',
                    map('sep', ',', 'quote', '"', 'escape', '"', 'mode', 'PERMISSIVE')
                ) as cells,
                value
            from {{ relation }}
            where {{ folder_filter }}
        ) as body
        inner join (
            select
                _metadata.file_path as report_file,
                split(regexp_replace(value, '^\\x{FEFF}', ''), ',') as names
            from {{ relation }}
            where
                {{ folder_filter }}
                and regexp_replace(value, '^\\x{FEFF}', '') rlike '^(Province/State|FIPS|Province_State),'
        ) as header
            on body.report_file = header.report_file
        where
            not regexp_replace(body.value, '^\\x{FEFF}', '') rlike '^(Province/State|FIPS|Province_State),'
            and trim(body.value) != ''
    ) as parsed
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

{#- Spark: the format is picked by the value's shape before parsing, so no pattern meets a
    value it was not written for (Spark's parser would raise on `1/22/2020` read as `M/d/yy`
    where the legacy parser succeeds); a value of a known shape that does not parse, or of no
    known shape, raises. -#}
{% macro spark__jhu_parse_last_update(column) -%}
    {%- set value = 'trim(' ~ column ~ ')' -%}
    case
        when nullif({{ value }}, '') is null then null
        else coalesce(
            case
                when {{ value }} rlike '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'
                    then to_timestamp({{ value }}, "yyyy-MM-dd'T'HH:mm:ss")
                when {{ value }} rlike '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}$'
                    then to_timestamp({{ value }}, 'yyyy-MM-dd H:mm:ss')
                when {{ value }} rlike '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{1,2}:[0-9]{2}$'
                    then to_timestamp({{ value }}, 'yyyy-MM-dd H:mm')
                when {{ value }} rlike '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}$'
                    then to_timestamp({{ value }}, 'M/d/yyyy H:mm')
                when {{ value }} rlike '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2} [0-9]{1,2}:[0-9]{2}$'
                    then to_timestamp({{ value }}, 'M/d/yy H:mm')
            end,
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
