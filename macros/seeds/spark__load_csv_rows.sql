{#-
    Seeds on dbt-spark `method: session`: dbt-spark binds each CSV value by wrapping it in single
    quotes without escaping, so a value holding a quote (the seed's "Cote d'Ivoire") breaks the
    INSERT. This override of dbt-spark's `spark__load_csv_rows` (same batching, same casts) writes
    every value as an escaped Spark SQL literal instead of a binding. Only Spark uses it.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}

    {% set batch_size = get_batch_size() %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}

    {% for chunk in agate_table.rows | batch(batch_size) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ jhu_spark_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {% endset %}

        {% do adapter.add_query(sql, abridge_sql_log=True) %}

        {% if loop.index0 == 0 %}
            {% do statements.append(sql) %}
        {% endif %}
    {% endfor %}

    {{ return(statements[0]) }}

{% endmacro %}

{#- A CSV value as a Spark SQL literal: NULL, true/false, a number as written, else a string in
    single quotes with backslash and quote escaped (Spark's string literal escapes). -#}
{% macro jhu_spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value ~ '') | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
