"""The build stage: `dbt build` in-process (`dbt_build`) and the dbt-duckdb plugin that lets
every connection dbt opens reach the lake (`duckdb_plugin`)."""
