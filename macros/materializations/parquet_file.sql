{#-
    `parquet_file` (DuckDB): the model is written once, to a Parquet file beside the warehouse
    file, and the warehouse holds a view over that file under the model's name. For the US
    county chain, too large to write twice:
    - `fct_us_county_daily`: as a table it was written into the warehouse file and then again,
      sorted, to Parquet by the export (docs/performance.md). The export publishes this file as
      it is, so the model's rows must come in its primary key's order (the model says how).
    - `int_us_county_series_joined`, the lists that mart is made from, in key order: as a view
      it was computed inside the mart's write, all of it on the one thread that write then
      needed; as a file of small row groups the mart reads it on every thread.

    - The file: `<warehouse file without .duckdb>.marts/<model>.parquet`, an absolute path (the
      view is read by anyone opening the warehouse file, from any folder); zstd, as the export.
    - Replaced whole: DuckDB writes a temporary file and renames it over the old one, so a
      killed build leaves the previous file, which the previous view still reads.
    - The contract is checked as for a table (names and types, before anything is written);
      constraints cannot be enforced on a file, so each not_null is also a data test.
    - Rows are written in the order the query yields them: DuckDB keeps it (profiles.yml leaves
      preserve_insertion_order on).
    - `parquet_row_group_size` (rows, optional) sets the file's row groups. A file read back in
      the build wants small ones: DuckDB reads a Parquet file one row group per task, so a
      model reading a file of 1,024-row groups runs on every thread and still yields the rows
      in order (DuckDB numbers the row groups and writes them out in that order).
    - `parquet_write_threads` (optional) caps DuckDB's threads while the file is written, reset
      afterwards (`threads` is a global setting: models running beside it get as many for that
      time). For a query whose last step is a sort: DuckDB hands a sort's result on as one
      batch, and to keep the order with two threads it buffered that whole batch before writing
      (at k=10 of `jhu bench`, 5 GB and spilling); with one it streams.
-#}
{% materialization parquet_file, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set location = jhu_parquet_file_location(this) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if config.get('contract').enforced %}
        {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}

    {%- set row_group_size = config.get('parquet_row_group_size') -%}
    {%- set write_threads = config.get('parquet_write_threads') -%}
    {%- if write_threads is not none %}
        {% call statement('write_threads') -%}
            set threads = {{ write_threads | int }}
        {%- endcall %}
    {%- endif %}
    {% call statement('write_parquet') -%}
        copy ({{ get_select_subquery(sql) }})
        to '{{ location }}' (
            format parquet, compression zstd, use_tmp_file true
            {%- if row_group_size is not none %}, row_group_size {{ row_group_size | int }}{% endif %}
        )
    {%- endcall %}
    {%- if write_threads is not none %}
        {% call statement('all_threads') -%}
            reset threads
        {%- endcall %}
    {%- endif %}

    {%- if existing_relation is not none and existing_relation.type != 'view' %}
        {{ drop_relation_if_exists(existing_relation) }}
    {%- endif %}

    {% call statement('main') -%}
        create or replace view {{ target_relation }} as
        select * from read_parquet('{{ location }}')
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- Where `parquet_file` writes a model: beside the warehouse file (DuckDB knows its absolute
    path), in `<name>.marts/`. The same rule as `parquet_file_path` in
    scripts/jhu_warehouse/dbt_project/marts.py, which the export reads the file by and the
    dbt-duckdb plugin creates the folder by (DuckDB's COPY does not create folders). -#}
{% macro jhu_parquet_file_location(relation) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set database_path = run_query(
        "select path from duckdb_databases() where database_name = current_database()"
    ).columns[0].values()[0] -%}
    {%- if not database_path -%}
        {{ exceptions.raise_compiler_error(
            "parquet_file: " ~ relation.identifier ~ " needs a warehouse file (JHU_DUCKDB), "
            ~ "not an in-memory database, to write its Parquet file beside"
        ) }}
    {%- endif -%}
    {%- set folder = (database_path[:-7] if database_path.endswith('.duckdb') else database_path)
        ~ '.marts' -%}
    {{ return(folder ~ '/' ~ relation.identifier ~ '.parquet') }}
{%- endmacro %}
