"""`jhu run --plan` and `--max-puts`: what a run would cost, told before anything is written.

The expected request counts are counted here from the source folder and the project's marts
folder (one PUT per raw file, one for the load manifest, one per mart and one for the export
manifest on a first run), not taken from the plan's own arithmetic.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fixtures import copy_fixtures, snapshot
from jhu_warehouse import cli, pipeline
from jhu_warehouse.config import PROJECT_DIR, Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.land import load
from jhu_warehouse.lake import LocalLake
from s3_server import S3Server, running_s3_server

DAILY_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "daily"
MARTS = len(list((PROJECT_DIR / "models" / "marts").glob("*.sql")))


def source_with_reports(dest: Path) -> Path:
    copy_fixtures(dest)
    for folder in ("csse_covid_19_daily_reports", "csse_covid_19_daily_reports_us"):
        shutil.copytree(DAILY_FIXTURES / folder, dest / folder)
    return dest


def source_files(source: Path) -> list[Path]:
    return [p for p in source.rglob("*.csv") if p.is_file()]


def settings(source: Path, lake: str, endpoint: str | None = None) -> Settings:
    return Settings(
        source=str(source),
        lake=lake,
        s3_endpoint=endpoint,
        duckdb_path=str(source.parent / "w.duckdb"),
        target="duckdb",
    )


def test_a_first_runs_plan_counts_every_put_and_writes_nothing(tmp_path: Path) -> None:
    source = source_with_reports(tmp_path / "src")
    files = source_files(source)
    lake_dir = tmp_path / "lake"
    run_plan = pipeline.plan(settings(source, str(lake_dir)), LocalLake(lake_dir))
    assert run_plan.requests["PUT"] == len(files) + 1 + MARTS + 1
    assert run_plan.bytes_up >= sum(p.stat().st_size for p in files)
    assert snapshot(lake_dir) == {}


def test_after_a_load_only_the_export_is_left_to_put(tmp_path: Path) -> None:
    source = source_with_reports(tmp_path / "src")
    lake_dir = tmp_path / "lake"
    load(settings(source, str(lake_dir)), LocalLake(lake_dir))
    before = snapshot(lake_dir)
    run_plan = pipeline.plan(settings(source, str(lake_dir)), LocalLake(lake_dir))
    assert run_plan.stages["load"]["PUT"] == 0
    assert run_plan.load.landing == ()
    # no export yet: every mart and the export manifest
    assert run_plan.requests["PUT"] == MARTS + 1
    assert snapshot(lake_dir) == before
    # one changed report: it and the load manifest
    path = source / "csse_covid_19_daily_reports_us" / "03-09-2023.csv"
    path.write_bytes(path.read_bytes().replace(b"1648385", b"1648386"))
    run_plan = pipeline.plan(settings(source, str(lake_dir)), LocalLake(lake_dir))
    assert run_plan.load.landing == ("csse_covid_19_daily_reports_us/03-09-2023.csv",)
    assert run_plan.stages["load"]["PUT"] == 2


def test_max_puts_stops_the_run_before_anything_lands(tmp_path: Path) -> None:
    source = source_with_reports(tmp_path / "src")
    lake_dir = tmp_path / "lake"
    needed = len(source_files(source)) + 1 + MARTS + 1
    with pytest.raises(JhuError) as caught:
        pipeline.run(settings(source, str(lake_dir)), LocalLake(lake_dir), max_puts=10)
    assert str(caught.value).startswith(f"--max-puts 10: this run needs {needed:,} PUTs")
    assert "\n" not in str(caught.value)
    assert snapshot(lake_dir) == {}


@pytest.fixture(scope="module")
def s3() -> S3Server:
    with running_s3_server() as server:
        yield server


@pytest.mark.s3
def test_plan_json_on_s3_reports_a_first_runs_requests_and_writes_nothing(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    source = source_with_reports(tmp_path / "src")
    files = source_files(source)
    bucket = s3.new_bucket()
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JHU_SOURCE", str(source))
    monkeypatch.setenv("JHU_LAKE", f"s3://{bucket}/lake")
    assert cli.main(["run", "--plan", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"requests", "bytes_up", "bytes_down", "cost_usd"}
    assert printed["requests"]["PUT"] == len(files) + 1 + MARTS + 1
    assert printed["requests"]["GET"] > len(files)  # dbt reads every raw file
    assert printed["bytes_up"] >= sum(p.stat().st_size for p in files)
    # S3 Standard: $0.005 per 1,000 PUT or LIST, $0.0004 per 1,000 GET or HEAD
    requests = printed["requests"]
    expected = (requests["PUT"] + requests.get("LIST", 0)) * 0.005 / 1000 + (
        requests["GET"] + requests.get("HEAD", 0)
    ) * 0.0004 / 1000
    assert printed["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert s3.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0

    assert cli.main(["run", "--max-puts", "10"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "--max-puts 10: this run needs" in captured.err
    assert s3.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
