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
        ~ "'; add " ~ adapter.type() ~ "__jhu_loaded_at in macros/jhu/jhu_loaded_at.sql"
    ) }}
{%- endmacro %}
