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

{#- DuckDB: the load manifest records each report's header line, so the reports are read by
    header version: per version, the source's glob read with that version's columns given and
    nothing sniffed, its files picked by name (a filter on `filename`, which DuckDB applies to
    the glob's listing: no other file is opened), and its headers mapped to the output names.
    With union_by_name over the glob instead, DuckDB opens every file twice (a schema pass,
    then the data: on S3 a GET each) and sniffs each one; with a list of paths instead of the
    glob, it asks for each file's size (on S3 a HEAD each), which a listing gives. Not
    sniffing is also what keeps every row: a dialect sniffed on the first file read is used
    for all, and DuckDB 1.5 then silently drops the rows of a later file whose lines end in
    CRLF where the first's end in LF (the fixtures' 01-22-2020 and 01-23-2020); unsniffed, it
    reads either ending. The manifest lists every report the lake holds (the loader lands them
    and lists each). When it is missing or an entry has no header (a lake loaded before
    headers were recorded), the glob is read with union_by_name, its united columns found
    with DESCRIBE, which opens every file; the glob is listed first, as read_csv fails on no
    files. -#}
{% macro duckdb__jhu_daily_reports(source_table, columns) -%}
    {%- set relation = source('jhu', source_table) -%}
    {%- set versions = {} -%}
    {%- if execute -%}
        {%- set node = graph.sources['source.jhu_covid.jhu.' ~ source_table] -%}
        {%- set raw_path = node.config.meta['jhu_raw_path'] -%}
        {%- set pattern = raw_path ~ '/' ~ node.identifier ~ '/*.csv' -%}
        {%- set versions = duckdb__jhu_daily_report_versions(raw_path, node.identifier) -%}
        {%- if versions is none -%}
            {%- set versions = {} -%}
            {%- set listed = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
            {%- if listed.columns[0].values()[0] > 0 -%}
                {%- set described = run_query('describe select * from ' ~ relation) -%}
                {%- do versions.update({'': described.columns[0].values() | list}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if versions | length == 0 %}
    select
        {%- for output in columns %}
        cast(null as varchar) as {{ output }},
        {%- endfor %}
        cast(null as varchar) as report_file
    where false
    {%- endif %}
    {%- for header, files in versions.items() %}
    {%- set present = header.split(',') if header else files %}
    {{ 'union all' if not loop.first }}
    select
        {%- for output, headers in columns.items() %}
        {%- set found = headers | select('in', present) | list %}
        {%- if found | length == 0 %}
        cast(null as varchar) as {{ output }},
        {%- elif found | length == 1 %}
        "{{ found[0] }}" as {{ output }},
        {%- else %}
        coalesce({% for name in found %}"{{ name }}"{{ ", " if not loop.last }}{% endfor %}) as {{ output }},
        {%- endif %}
        {%- endfor %}
        filename as report_file
    {%- if header %}
    from read_csv(
        '{{ pattern }}',
        header = true, delim = ',', quote = '"', escape = '"', filename = true, auto_detect = false,
        columns = { {%- for name in present %}'{{ name }}': 'varchar'{{ ", " if not loop.last }}{% endfor -%} }
    )
    where parse_filename(filename) in (
        {%- for file in files %}'{{ file }}'{{ ", " if not loop.last }}{% endfor -%}
    )
    {%- else %}
    from {{ relation }}
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- DuckDB: the reports of a daily-report folder by header version, from the load manifest:
    {header line: [the reports' file names, sorted]}; {} when the manifest lists none; none
    when there is no manifest or an entry has no header (duckdb__jhu_daily_reports then reads
    the glob by name). Called by duckdb__jhu_daily_reports alone: Spark finds each file's
    header among its lines. -#}
{% macro duckdb__jhu_daily_report_versions(raw_path, folder) -%}
    {%- set manifest = raw_path ~ '/_manifest.json' -%}
    {%- set found = run_query("select count(*) from glob('" ~ manifest ~ "')") -%}
    {%- if found.columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set read = run_query("select content from read_text('" ~ manifest ~ "')") -%}
    {%- set files = fromjson(read.columns[0].values()[0]).get('files', {}) -%}
    {%- set versions = {} -%}
    {%- for name in files | sort if name.startswith(folder ~ '/') -%}
        {%- set header = files[name].get('header') -%}
        {%- if not header -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do versions.setdefault(header, []).append(name[folder | length + 1:]) -%}
    {%- endfor -%}
    {{ return(versions) }}
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
