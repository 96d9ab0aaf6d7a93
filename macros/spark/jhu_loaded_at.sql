{#-
    Spark: source freshness from the load manifest `<jhu_raw_path>/_manifest.json`, in one
    statement (dbt may run freshness without the on-run-start hook). Spark's `text` source reads
    a file as one row per line, so the lines are put back together in file order (one small file
    is one partition, so monotonically_increasing_id follows the lines) before the JSON is read.
    The file name holds dots, hence the bracket notation in the JSON path.
-#}
{% macro spark__jhu_loaded_at(source_node) -%}
    {%- set raw_path = source_node.config.meta['jhu_raw_path'] -%}
    {%- if raw_path.startswith('s3://') -%}
        {%- set raw_path = 's3a://' ~ raw_path[5:] -%}
    {%- endif -%}
    select
        cast(
            get_json_object(
                concat_ws(
                    '\n',
                    transform(
                        array_sort(collect_list(struct(line_number, value))),
                        line -> line.value
                    )
                ),
                "$.files['{{ source_node.identifier }}.csv'].loaded_at"
            ) as timestamp
        ) as loaded_at
    from (
        select
            monotonically_increasing_id() as line_number,
            value
        from text.`{{ raw_path }}/_manifest.json`
    ) as manifest_lines
{%- endmacro %}
