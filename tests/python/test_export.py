"""The export: deterministic Parquet per mart, and a publish that is safe to interrupt and frugal.

Publish is tested with small stand-in files (it never looks inside them) on a local lake; the
Parquet writer with a tiny DuckDB database made here. No dbt, no network.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from jhu_warehouse.config import load_settings
from jhu_warehouse.dbt_project.marts import MartSpec
from jhu_warehouse.dbt_project.marts import marts_from_manifest as marts_from_dbt_manifest
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST, LocalLake
from jhu_warehouse.publish.duckdb_writer import export, write_mart_parquet
from jhu_warehouse.publish.manifest import KEEP_EXPORTS, MartFile, version_key
from jhu_warehouse.publish.publisher import publish, sort_order


class Interrupted(BaseException):
    """Stands for a kill: a BaseException, so nothing in publish may swallow it."""


class FailingLake(LocalLake):
    """A local lake whose uploads fail once `uploads_left` files have gone up."""

    def __init__(self, root: Path, uploads_left: int) -> None:
        super().__init__(root)
        self.uploads_left = uploads_left

    def put_file(self, key: str, path: Path) -> None:
        if self.uploads_left == 0:
            raise Interrupted(key)
        self.uploads_left -= 1
        super().put_file(key, path)


def stand_in(tmp_path: Path, name: str, content: str) -> MartFile:
    """A 'mart file' with the given content; publish treats it as opaque bytes."""
    data = content.encode()
    path = tmp_path / "staged" / f"{name}-{hashlib.md5(data).hexdigest()}.parquet"  # noqa: S324
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return MartFile(
        name=name,
        path=path,
        rows=len(content),
        columns=(("id", "BIGINT"),),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        primary_key=("id",),
    )


def export_set(tmp_path: Path, version: int, changed: tuple[str, ...] = ()) -> list[MartFile]:
    """Three marts; those in `changed` get content specific to `version`."""
    return [
        stand_in(tmp_path, name, f"{name} v{version if name in changed else 0}")
        for name in ("dim_a", "fct_b", "fct_c")
    ]


def manifest_of(lake: LocalLake) -> dict:
    return json.loads(Path(lake.uri(MARTS_MANIFEST)).read_bytes())


def files_in(lake: LocalLake) -> set[str]:
    root = Path(lake.root)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}


def assert_manifest_complete(lake: LocalLake) -> None:
    """Every file the current manifest names is present with the sha256 it records."""
    for name, entry in manifest_of(lake)["marts"].items():
        data = Path(lake.uri(entry["file"])).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name


def run_publish(lake, marts, n: int = 0):
    return publish(
        lake,
        marts,
        dbt_invocation_id=f"inv-{n}",
        engine="test",
        exported_at=f"2024-01-0{n + 1}T00:00:00Z",
    )


# ---------------------------------------------------------------------------- publish


def test_first_publish_uploads_every_mart_then_writes_the_manifest(tmp_path):
    lake = LocalLake(tmp_path / "lake")
    marts = export_set(tmp_path, 1)
    report = run_publish(lake, marts)

    assert report.uploaded == ["dim_a", "fct_b", "fct_c"]
    assert report.manifest_written
    manifest = manifest_of(lake)
    assert manifest["dbt_invocation_id"] == "inv-0"
    assert manifest["exported_at"] == "2024-01-01T00:00:00Z"
    assert manifest["previous_exports"] == []
    for mart in marts:
        entry = manifest["marts"][mart.name]
        assert entry["file"] == f"marts/{mart.name}/{mart.sha256[:16]}.parquet"
        assert entry["rows"] == mart.rows
        assert entry["columns"] == [{"name": "id", "type": "BIGINT"}]
        assert entry["primary_key"] == ["id"]
    assert_manifest_complete(lake)
    # three uploads, then the manifest: the manifest is the last write
    assert lake.stats.requests["write"] == 4


def test_identical_export_writes_nothing(tmp_path):
    lake = LocalLake(tmp_path / "lake")
    run_publish(lake, export_set(tmp_path, 1))
    before = Path(lake.uri(MARTS_MANIFEST)).read_bytes()

    again = LocalLake(tmp_path / "lake")
    report = run_publish(again, export_set(tmp_path, 1), n=1)

    assert report.unchanged == ["dim_a", "fct_b", "fct_c"]
    assert not report.uploaded
    assert not report.manifest_written
    assert again.stats.requests["write"] == 0
    assert again.stats.requests["delete"] == 0
    assert Path(lake.uri(MARTS_MANIFEST)).read_bytes() == before


def test_unchanged_marts_are_not_rewritten(tmp_path):
    lake = LocalLake(tmp_path / "lake")
    run_publish(lake, export_set(tmp_path, 1))
    mtimes = {key: Path(lake.uri(key)).stat().st_mtime_ns for key in files_in(lake)}

    lake = LocalLake(tmp_path / "lake")
    report = run_publish(lake, export_set(tmp_path, 2, changed=("fct_b",)), n=1)

    assert report.uploaded == ["fct_b"]
    assert report.unchanged == ["dim_a", "fct_c"]
    assert lake.stats.requests["write"] == 2  # fct_b and the manifest
    for key, mtime in mtimes.items():
        assert Path(lake.uri(key)).stat().st_mtime_ns == mtime, key
    manifest = manifest_of(lake)
    assert [p["dbt_invocation_id"] for p in manifest["previous_exports"]] == ["inv-0"]
    assert_manifest_complete(lake)


@pytest.mark.parametrize("uploads_before_failure", [0, 1, 2])
def test_export_broken_midway_leaves_previous_export_current_and_complete(
    tmp_path, uploads_before_failure
):
    lake = LocalLake(tmp_path / "lake")
    first = export_set(tmp_path, 1)
    run_publish(lake, first)
    manifest_before = Path(lake.uri(MARTS_MANIFEST)).read_bytes()

    broken = FailingLake(tmp_path / "lake", uploads_left=uploads_before_failure)
    changed = export_set(tmp_path, 2, changed=("dim_a", "fct_b", "fct_c"))
    with pytest.raises(Interrupted):
        run_publish(broken, changed, n=1)

    assert Path(lake.uri(MARTS_MANIFEST)).read_bytes() == manifest_before
    assert_manifest_complete(lake)
    assert {m["sha256"] for m in manifest_of(lake)["marts"].values()} == {m.sha256 for m in first}
    assert broken.stats.requests["delete"] == 0

    # the next run completes the export, reusing what the broken one had uploaded
    retry = LocalLake(tmp_path / "lake")
    report = run_publish(retry, changed, n=2)
    assert len(report.reused) == uploads_before_failure
    assert len(report.uploaded) == 3 - uploads_before_failure
    assert {m["sha256"] for m in manifest_of(lake)["marts"].values()} == {m.sha256 for m in changed}
    assert_manifest_complete(lake)


def test_versions_beyond_the_last_three_exports_are_removed(tmp_path):
    lake_root = tmp_path / "lake"
    exports = [export_set(tmp_path, v, changed=("fct_b", "fct_c")) for v in range(1, 6)]
    for n, marts in enumerate(exports):
        run_publish(LocalLake(lake_root), marts, n=n)
    lake = LocalLake(lake_root)

    kept = exports[-KEEP_EXPORTS:]
    expected = {m.key for marts in kept for m in marts}
    assert files_in(lake) == expected
    # dim_a never changed: its one version is shared by every export and stays
    assert version_key("dim_a", exports[0][0].sha256) in expected
    manifest = manifest_of(lake)
    assert [p["dbt_invocation_id"] for p in manifest["previous_exports"]] == ["inv-3", "inv-2"]
    for previous in manifest["previous_exports"]:
        for entry in previous["marts"].values():
            assert Path(lake.uri(entry["file"])).is_file()


def test_files_of_an_interrupted_export_are_cleaned_up_later(tmp_path):
    lake_root = tmp_path / "lake"
    run_publish(LocalLake(lake_root), export_set(tmp_path, 1))
    with pytest.raises(Interrupted):
        run_publish(FailingLake(lake_root, 1), export_set(tmp_path, 2, ("dim_a", "fct_b")), n=1)
    orphan = version_key("dim_a", export_set(tmp_path, 2, changed=("dim_a",))[0].sha256)
    assert orphan in files_in(LocalLake(lake_root))

    report = run_publish(LocalLake(lake_root), export_set(tmp_path, 3, changed=("fct_b",)), n=2)
    assert orphan in report.removed
    assert orphan not in files_in(LocalLake(lake_root))


def test_unrelated_files_under_marts_are_left_alone(tmp_path):
    lake = LocalLake(tmp_path / "lake")
    foreign = Path(lake.uri("marts/dim_a/notes.parquet"))
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"not ours")
    for n in range(KEEP_EXPORTS + 2):
        run_publish(LocalLake(lake.root), export_set(tmp_path, n, changed=("dim_a",)), n=n)
    assert foreign.read_bytes() == b"not ours"


def test_a_damaged_manifest_is_an_error_not_an_empty_lake(tmp_path):
    lake = LocalLake(tmp_path / "lake")
    Path(lake.uri(MARTS_MANIFEST)).parent.mkdir(parents=True)
    Path(lake.uri(MARTS_MANIFEST)).write_text("{not json")
    with pytest.raises(JhuError, match=r"marts/_manifest\.json: not valid JSON"):
        run_publish(lake, export_set(tmp_path, 1))
    assert files_in(lake) == set()


@pytest.mark.parametrize(
    ("names", "message"),
    [((), "no marts"), (("dim_a", "dim_a"), "given twice"), (("Bad-Name",), "snake_case")],
)
def test_bad_mart_sets_are_refused_before_any_write(tmp_path, names, message):
    lake = LocalLake(tmp_path / "lake")
    marts = [stand_in(tmp_path, name, name) for name in names]
    with pytest.raises(JhuError, match=message):
        run_publish(lake, marts)
    assert not Path(lake.root).exists()


# ---------------------------------------------------------------------------- writing Parquet


@pytest.fixture
def warehouse(tmp_path):
    """A tiny warehouse file with one mart, its rows inserted in a scrambled order."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.fct_tiny as
        select (i % 50)::bigint as location_key,
               date '2020-01-22' + (i // 50)::integer as report_date,
               (i * 7919 % 1009)::bigint as cumulative_confirmed,
               case when i % 3 = 0 then null else i / 7 end::double as ratio
        from range(5000) t(i)
        order by (i * 2654435761) % 5003
        """
    )
    con.close()
    return path


def test_parquet_is_ordered_by_the_key_and_byte_identical_for_identical_content(
    tmp_path, warehouse
):
    spec = MartSpec("fct_tiny", "marts", "fct_tiny", ("location_key", "report_date"))
    con = duckdb.connect(str(warehouse))
    first = write_mart_parquet(con, "unused.duckdb", spec, _mkdir(tmp_path / "a"))
    # same content, rows physically in another order, more threads
    con.execute("create table marts.shuffled as select * from marts.fct_tiny order by random()")
    con.execute("drop table marts.fct_tiny")
    con.execute("alter table marts.shuffled rename to fct_tiny")
    con.execute("set threads = 4")
    second = write_mart_parquet(con, "unused.duckdb", spec, _mkdir(tmp_path / "b"))
    keys = con.execute(
        f"select location_key, report_date from read_parquet('{first.path}')"
    ).fetchall()
    con.close()

    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert first.rows == 5000
    assert first.columns == (
        ("location_key", "BIGINT"),
        ("report_date", "DATE"),
        ("cumulative_confirmed", "BIGINT"),
        ("ratio", "DOUBLE"),
    )
    assert keys == sorted(keys)


def test_rows_are_ordered_by_the_key_alone_else_by_every_column_in_table_order():
    columns = ["report_date", "value", "country_region", "note"]
    assert sort_order(columns, ("country_region", "report_date")) == [
        "country_region",
        "report_date",
    ]
    assert sort_order(columns, ()) == columns


def test_a_mart_missing_from_the_warehouse_names_the_table(tmp_path, warehouse):
    con = duckdb.connect(str(warehouse))
    with pytest.raises(JhuError, match=r"marts\.fct_gone is not in the warehouse file"):
        write_mart_parquet(
            con, "unused.duckdb", MartSpec("fct_gone", "marts", "fct_gone", ()), tmp_path
        )
    con.close()


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def dbt_manifest(*models: tuple[str, str, dict]) -> dict:
    """A minimal dbt manifest.json: (unique name, path under models/, extra node fields)."""
    nodes = {}
    for name, path, extra in models:
        nodes[f"model.jhu_covid.{name}"] = {
            "resource_type": "model",
            "name": name,
            "path": path,
            "schema": path.split("/")[0],
            "alias": name,
            **extra,
        }
    return {"nodes": nodes}


def test_marts_are_the_models_of_the_marts_folder_with_their_keys():
    manifest = dbt_manifest(
        ("stg_x", "staging/jhu/stg_x.sql", {}),
        ("int_y", "intermediate/int_y.sql", {}),
        (
            "fct_daily",
            "marts/fct_daily.sql",
            {"constraints": [{"type": "primary_key", "columns": ["place", "report_date"]}]},
        ),
        (
            "dim_place",
            "marts/dim_place.sql",
            {"columns": {"place": {"constraints": [{"type": "primary_key"}]}, "name": {}}},
        ),
        ("fct_weekly", "marts/fct_weekly.sql", {}),
        ("fct_plain", "marts/fct_plain.sql", {}),
    )
    manifest["nodes"]["test.jhu_covid.unique_fct_weekly"] = {
        "resource_type": "test",
        "attached_node": "model.jhu_covid.fct_weekly",
        "test_metadata": {"name": "unique_combination_of_columns"},
        "column_name": None,
    }
    manifest["nodes"]["test.jhu_covid.unique_fct_weekly"]["test_metadata"]["kwargs"] = {
        "combination_of_columns": ["place", "week"]
    }
    specs = {s.name: s for s in marts_from_dbt_manifest(manifest)}
    assert sorted(specs) == ["dim_place", "fct_daily", "fct_plain", "fct_weekly"]
    assert specs["fct_daily"].primary_key == ("place", "report_date")
    assert specs["dim_place"].primary_key == ("place",)
    assert specs["fct_weekly"].primary_key == ("place", "week")
    assert specs["fct_plain"].primary_key == ()
    assert specs["fct_daily"].schema == "marts"


def test_export_writes_and_publishes_every_mart_of_the_warehouse(tmp_path, warehouse):
    settings = load_settings({"JHU_LAKE": str(tmp_path / "lake"), "JHU_DUCKDB": str(warehouse)})
    manifest = dbt_manifest(
        (
            "fct_tiny",
            "marts/fct_tiny.sql",
            {"constraints": [{"type": "primary_key", "columns": ["location_key", "report_date"]}]},
        )
    )
    lake = LocalLake(settings.lake)
    report = export(settings, lake, dbt_invocation_id="inv-x", dbt_manifest=manifest)

    assert report.rows == 5000
    assert report.publish.uploaded == ["fct_tiny"]
    entry = manifest_of(lake)["marts"]["fct_tiny"]
    con = duckdb.connect(str(warehouse), read_only=True)
    differences = con.execute(
        f"""
        select count(*) from (
            (select * from read_parquet('{lake.uri(entry["file"])}')
             except all select * from marts.fct_tiny)
            union all
            (select * from marts.fct_tiny
             except all select * from read_parquet('{lake.uri(entry["file"])}'))
        )
        """
    ).fetchone()[0]
    con.close()
    assert differences == 0
    assert manifest_of(lake)["dbt_invocation_id"] == "inv-x"

    again = LocalLake(settings.lake)
    second = export(settings, again, dbt_invocation_id="inv-y", dbt_manifest=manifest)
    assert second.publish.unchanged == ["fct_tiny"]
    assert again.stats.requests["write"] == 0
