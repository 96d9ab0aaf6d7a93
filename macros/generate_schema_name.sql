{#-
    Use a model's custom schema name verbatim (`staging`, `intermediate`, `marts`, `seeds`)
    instead of dbt's default `<target schema>_<custom schema>`: analysts query `marts.*` in
    every environment, and each environment has its own warehouse file (JHU_DUCKDB).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
