{#-
    Make `source('jhu', ...)` resolve on engines that cannot read a CSV in place the way
    dbt-duckdb's `external_location` does. Run by `on-run-start` (dbt_project.yml), so every
    `dbt build|run|test` on any target starts from relations over the lake's current files.
-#}
{% macro jhu_register_sources() -%}
    {{ return(adapter.dispatch('jhu_register_sources', 'jhu_covid')()) }}
{%- endmacro %}

{#- DuckDB (and any adapter reading `external_location`): nothing to register. -#}
{% macro default__jhu_register_sources() -%}
{%- endmacro %}

{#-
    Spark: an external CSV table in the metastore per source table, named as the source renders
    (`<source schema>.<identifier>`) over `<jhu_raw_path>/<identifier>.csv`, the same file and
    the same meta key the DuckDB `external_location` uses. No schema inference: every column is
    text with the file's own header as its name, like DuckDB's `all_varchar`. FAILFAST makes a
    malformed line an error instead of a row of NULLs.

    Dropped and created on every run (Spark's session catalog has no CREATE OR REPLACE for CSV
    tables): the lake path may have changed, and dropping an external table leaves its file.
-#}
{% macro spark__jhu_register_sources() -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.source_name == 'jhu' -%}
            {%- set raw_path = node.meta.get('jhu_raw_path')
                or node.config.meta.get('jhu_raw_path') -%}
            {%- if not raw_path -%}
                {{ exceptions.raise_compiler_error(
                    "source jhu." ~ node.name ~ ": no meta jhu_raw_path (models/staging/jhu/_jhu__sources.yml)"
                ) }}
            {%- endif -%}
            {%- set table = adapter.quote(node.schema) ~ '.' ~ adapter.quote(node.identifier) -%}
            {%- do run_query('create schema if not exists ' ~ adapter.quote(node.schema)) -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- if node.meta.get('jhu_daily_reports') or node.config.meta.get('jhu_daily_reports') -%}
            {#- A daily-report folder: every file's lines as text (the header versions differ, so
                no CSV schema fits them all); spark__jhu_daily_reports parses them and keeps the
                files of this folder. The table is over the raw folder, which always exists,
                and every MM-DD-YYYY.csv below it: a path or glob naming a folder the lake does
                not have would fail every query, and a lake may hold only one of the two. -#}
            {%- set location = jhu_spark_uri(raw_path) -%}
            {%- call statement('jhu_register_' ~ node.name) -%}
                create table {{ table }}
                using text
                options (
                    path '{{ location | replace("'", "\\'") }}',
                    recursiveFileLookup 'true',
                    pathGlobFilter '[0-9][0-9]-[0-9][0-9]-[0-9][0-9][0-9][0-9].csv'
                )
            {%- endcall -%}
            {%- else -%}
            {%- set location = jhu_spark_uri(raw_path ~ '/' ~ node.identifier ~ '.csv') -%}
            {%- call statement('jhu_register_' ~ node.name) -%}
                create table {{ table }}
                using csv
                options (
                    path '{{ location | replace("'", "\\'") }}',
                    header 'true',
                    sep ',',
                    quote '"',
                    escape '"',
                    encoding 'UTF-8',
                    mode 'FAILFAST'
                )
            {%- endcall -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    A lake path as Spark must be given it. A relative local path (JHU_LAKE=lake) is made absolute
    against the driver's working directory, as DuckDB resolves it: CREATE TABLE would otherwise
    resolve it against the warehouse folder. `s3://` is read through Spark's S3A connector
    (hadoop-aws), hence `s3a://`.
-#}
{% macro jhu_spark_uri(path) -%}
    {%- if path.startswith('s3://') -%}
        {{ return('s3a://' ~ path[5:]) }}
    {%- elif '://' in path or path.startswith('/') -%}
        {{ return(path) }}
    {%- else -%}
        {%- set cwd = run_query(
            "select reflect('java.lang.System', 'getProperty', 'user.dir')"
        ).columns[0].values()[0] -%}
        {{ return(cwd.rstrip('/') ~ '/' ~ (path[2:] if path.startswith('./') else path)) }}
    {%- endif -%}
{%- endmacro %}
