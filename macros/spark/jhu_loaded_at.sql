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
