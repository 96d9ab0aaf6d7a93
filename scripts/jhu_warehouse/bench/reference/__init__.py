"""Two reference implementations of the marts, outside dbt: pandas and PySpark.

Each computes `fct_country_daily` and `fct_us_county_daily` from the raw JHU files, with the same
rules as the dbt models (see models/; what both share is in `common`), so that three
independent implementations of the same numbers can be compared row for row
(tests/python/test_differential.py) and timed side by side (`jhu bench`).

Both write `<out>/fct_country_daily.parquet` and `<out>/fct_us_county_daily.parquet` and are run
as `jhu reference pandas|spark --source DIR --out DIR`.
"""
