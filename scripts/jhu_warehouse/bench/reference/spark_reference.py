"""The PySpark reference: fct_country_daily and fct_us_county_daily on a local Spark session.

The original version of this job ran in PySpark (on Databricks); this is that tool on this
machine, with the DataFrame API: read the CSVs (every cell as text), `unpivot` the date
columns, union, group, join, and window functions for the changes and 7-day averages. The rules
are the dbt models' (see pandas_reference.py for the list), written here a second time so that
the differential test compares independent implementations.

Session: `local[*]` (both cores), the driver's heap sized for k=10 (SPARK_DRIVER_MEMORY, default
8g), no UI, adaptive execution on (Spark's default: it coalesces the shuffle partitions of these
small joins). Results are written as Parquet (a folder per mart, as Spark writes).
"""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)

from jhu_warehouse.bench.reference import common as c


def spark_session(app: str = "jhu-reference") -> SparkSession:
    """A local session; quiet, no UI, UTC (dates must not shift with the machine's zone)."""
    return (
        SparkSession.builder.master("local[*]")
        .appName(app)
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "8g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.adaptive.enabled", "true")
        .getOrCreate()
    )


def text(column: str) -> Column:
    """jhu_blank_to_null: trimmed text, NULL when blank."""
    trimmed = F.trim(F.col(f"`{column}`"))
    return F.when(trimmed == "", F.lit(None)).otherwise(trimmed)


def read_jhu(spark: SparkSession, path: Path) -> DataFrame:
    """A JHU file as read: header, every cell as text (empty is NULL)."""
    return spark.read.option("header", True).option("inferSchema", False).csv(str(path))


def unpivot(frame: DataFrame, ids: list[str], measure: str) -> DataFrame:
    """One row per id and date column: report_date (DATE) and the count (BIGINT, NULL if empty)."""
    dates = [name for name in frame.columns if c.is_date_header(name)]
    long = frame.unpivot(
        [F.col(f"`{name}`") for name in ids],
        [F.col(f"`{name}`") for name in dates],
        "report_date_text",
        "cell",
    )
    return long.withColumn("report_date", F.to_date("report_date_text", "M/d/yy")).withColumn(
        measure, F.trim("cell").cast("bigint")
    )


# --- fct_country_daily ---------------------------------------------------------------------------


def global_series(spark: SparkSession, source: Path, name: str, series: str) -> DataFrame:
    frame = read_jhu(spark, source / name)
    long = unpivot(frame, ["Province/State", "Country/Region"], "cumulative")
    long = long.select(
        F.lit(series).alias("series"),
        text("Province/State").alias("province_state"),
        text("Country/Region").alias("country_region"),
        "report_date",
        "cumulative",
    )
    if series != "recovered":
        long = long.where(F.coalesce("province_state", F.lit("")) != c.PHANTOM_PROVINCE)
    return long


def recovered_cleaned(recovered: DataFrame) -> DataFrame:
    """NULL after the worldwide last reported date and after each row's own last positive date."""
    world_last = (
        recovered.groupBy("report_date")
        .agg(F.sum("cumulative").alias("world"))
        .where(F.col("world") > 0)
        .agg(F.max("report_date").alias("world_last"))
    )
    row = Window.partitionBy("province_state", "country_region")
    own_last = F.max(F.when(F.col("cumulative") > 0, F.col("report_date"))).over(row)
    with_ends = recovered.withColumn("own_last", own_last).crossJoin(world_last)
    unknown = (F.col("report_date") > F.col("world_last")) | (
        F.col("report_date") > F.col("own_last")
    )
    cleaned = F.when(unknown, F.lit(None).cast("bigint")).otherwise(F.col("cumulative"))
    return with_ends.withColumn("cumulative", cleaned).drop("own_last", "world_last")


def country_daily(spark: SparkSession, source: Path, lookup: DataFrame) -> DataFrame:
    confirmed = global_series(spark, source, c.CONFIRMED_GLOBAL, "confirmed")
    deaths = global_series(spark, source, c.DEATHS_GLOBAL, "deaths")
    recovered = recovered_cleaned(global_series(spark, source, c.RECOVERED_GLOBAL, "recovered"))
    series = confirmed.unionByName(deaths).unionByName(recovered)

    def total(name: str) -> Column:
        return F.sum(F.when(F.col("series") == name, F.col("cumulative"))).alias(
            f"cumulative_{name}"
        )

    aggregated = series.groupBy("country_region", "report_date").agg(
        total("confirmed"), total("deaths"), total("recovered")
    )
    countries = lookup.where(F.col("county_name").isNull() & F.col("province_state").isNull())
    daily = aggregated.join(
        countries.select("location_key", "country_region", "iso3", "population"),
        on="country_region",
        how="left",
    )
    return measures(daily, "country_region", ["confirmed", "deaths", "recovered"]).select(
        *c.COUNTRY_COLUMNS
    )


# --- fct_us_county_daily -------------------------------------------------------------------------


def clean_fips(fips: str, county: str) -> Column:
    """jhu_clean_fips: NULL when blank; 2 characters for a state-level code below 100, else 5."""
    number = F.col(fips).cast("double").cast("bigint")
    return (
        F.when(F.col(fips).isNull(), F.lit(None))
        .when(F.col(county).isNull() & (number < 100), F.lpad(number.cast("string"), 2, "0"))
        .otherwise(F.lpad(number.cast("string"), 5, "0"))
    )


def read_lookup(spark: SparkSession, source: Path) -> DataFrame:
    frame = read_jhu(spark, source / c.LOOKUP)
    cleaned = frame.select(
        text("UID").cast("bigint").alias("location_key"),
        text("iso3").alias("iso3"),
        text("FIPS").alias("fips_text"),
        text("Admin2").alias("county_name"),
        text("Province_State").alias("province_state"),
        text("Country_Region").alias("country_region"),
        text("Population").cast("bigint").alias("population"),
    )
    return cleaned.withColumn("fips", clean_fips("fips_text", "county_name")).drop("fips_text")


def us_series(spark: SparkSession, path: Path, measure: str) -> DataFrame:
    long = unpivot(read_jhu(spark, path), ["UID"], measure)
    return long.select(text("UID").cast("bigint").alias("location_key"), "report_date", measure)


def us_county_daily(spark: SparkSession, source: Path, lookup: DataFrame) -> DataFrame:
    confirmed = us_series(spark, source / c.CONFIRMED_US, "cumulative_confirmed")
    deaths = us_series(spark, source / c.DEATHS_US, "cumulative_deaths")
    joined = confirmed.join(deaths, on=["location_key", "report_date"], how="full")
    locations = lookup.select(
        "location_key",
        "fips",
        "county_name",
        F.col("province_state").alias("state_name"),
        "population",
    )
    daily = joined.join(locations, on="location_key", how="left")
    return measures(daily, "location_key", ["confirmed", "deaths"]).select(*c.COUNTY_COLUMNS)


# --- shared measures -----------------------------------------------------------------------------


def ratio(numerator: str, denominator: str, scale: int = 1) -> Column:
    value = F.col(numerator).cast("double") * scale
    return value / F.when(F.col(denominator) != 0, F.col(denominator))


def measures(daily: DataFrame, location: str, series: list[str]) -> DataFrame:
    """Changes, 7-day averages (NULL unless all 7 changes are known), ratios, revision flags."""
    ordered = Window.partitionBy(location).orderBy("report_date")
    week = ordered.rowsBetween(-6, 0)
    for name in series:
        cumulative = F.col(f"cumulative_{name}")
        daily = daily.withColumn(f"new_{name}", cumulative - F.lag(cumulative).over(ordered))
    for name in series:
        if name == "recovered":
            continue
        change = F.col(f"new_{name}")
        average = F.when(F.count(change).over(week) == 7, F.avg(change.cast("double")).over(week))
        daily = daily.withColumn(f"new_{name}_7d_avg", average).withColumn(
            f"is_{name}_revised_down", F.coalesce(change < 0, F.lit(False))
        )
    return (
        daily.withColumn("confirmed_per_100k", ratio("cumulative_confirmed", "population", 100000))
        .withColumn("deaths_per_100k", ratio("cumulative_deaths", "population", 100000))
        .withColumn("case_fatality_ratio", ratio("cumulative_deaths", "cumulative_confirmed"))
    )


def compute(spark: SparkSession, source: Path) -> dict[str, DataFrame]:
    """Both marts (lazy DataFrames) from the files in `source`."""
    lookup = read_lookup(spark, source).cache()
    return {
        "fct_country_daily": country_daily(spark, source, lookup),
        "fct_us_county_daily": us_county_daily(spark, source, lookup),
    }


def write(marts: dict[str, DataFrame], out: Path) -> dict[str, int]:
    """Write each mart as Parquet (a folder per mart); rows counted from the written files."""
    spark = next(iter(marts.values())).sparkSession
    rows = {}
    for name, frame in marts.items():
        target = str(out / f"{name}.parquet")
        frame.write.mode("overwrite").parquet(target)
        rows[name] = spark.read.parquet(target).count()
    return rows


def run(source: Path, out: Path) -> dict[str, int]:
    """Both marts from `source` into `out` on a session of its own, stopped afterwards."""
    c.require_files(source)
    out.mkdir(parents=True, exist_ok=True)
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        return write(compute(spark, source), out)
    finally:
        spark.stop()
