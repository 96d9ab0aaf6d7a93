{#-
    Source freshness: when the loader landed this source's file, read from the load manifest
    `{JHU_LAKE}/raw/jhu/_manifest.json` ({"files": {"<file>.csv": {"loaded_at": ISO-8601, ...}}}).
    Used as the sources' `loaded_at_query`; rendered at run time, where `source_node` is the
    source table being checked. Dispatched because reading a JSON file is engine-specific.
-#}
{% macro jhu_loaded_at() -%}
    {{ return(adapter.dispatch('jhu_loaded_at', 'jhu_covid')(source_node)) }}
{%- endmacro %}

{% macro duckdb__jhu_loaded_at(source_node) -%}
    {%- set raw_path = source_node.config.meta['jhu_raw_path'] -%}
    select
        max(cast(
            json_extract_string(
                manifest.content, '$.files."{{ source_node.identifier }}.csv".loaded_at'
            ) as timestamptz
        )) as loaded_at
    from read_text('{{ raw_path }}/_manifest.json') as manifest
{%- endmacro %}

{% macro default__jhu_loaded_at(source_node) -%}
    {{ exceptions.raise_compiler_error(
        "jhu_loaded_at: no implementation for adapter '" ~ adapter.type()
        ~ "'; add " ~ adapter.type() ~ "__jhu_loaded_at in macros/sources/jhu_loaded_at.sql"
    ) }}
{%- endmacro %}

{#-
    Spark: source freshness is when the loader landed the source's file, read from the file
    itself: the modification time of the CSV behind the registered table (Spark's `_metadata`
    column, 3.3+). The loader writes a file only when its content changed, so this is the time
    the load manifest records as `loaded_at`. The manifest cannot be read here: Spark skips
    files whose name starts with `_` as hidden, even when named explicitly.
-#}
{% macro spark__jhu_loaded_at(source_node) -%}
    select max(_metadata.file_modification_time) as loaded_at
    from {{ adapter.quote(source_node.schema) }}.{{ adapter.quote(source_node.identifier) }}
{%- endmacro %}
