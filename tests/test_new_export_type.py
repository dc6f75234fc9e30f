"""A 13th export type is one contract file plus its staging model.

In a copy of the project (contracts, vocabularies, the GX suite builder and the dbt project),
a toy CRM coupon export gets a contract; `python -m sources.derive --root <copy>` writes its
dbt source table, adds it to the rejects union and builds its GX suite; the real ingestion
loads a GBK file of it (one bad row to the rejects); its suite validates the bronze rows; the
Dagster bronze asset factory makes its asset; and `dbt build` of its staging model and
`audit.rejects` in the copy shows the good rows and the reject. Nothing else is edited.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml

from dagster_project.bronze.ingest import ensure_schema_files, ingest_file, read_bronze
from dagster_project.defs.ingestion.assets import build_bronze_asset
from dagster_project.quality.validation import validate_bronze
from sources import derive
from sources.contracts import load_contracts

REPO = Path(__file__).resolve().parents[1]
EXPORT_DATE = dt.date(2024, 3, 1)

TOY_CONTRACT = """\
source: crm_coupons
description: CRM coupon redemption export (券核销明细), one row per redemption.
system: CRM
format: [csv]
file_patterns: ["*.csv"]
encodings: [gb18030, utf-8]
record_key: [redemption_id]
columns:
  - {name: redemption_id, header: 核销单号, type: id, required: true, description: "Redemption id (record key) (核销单号)"}
  - {name: member_id, header: 会员编号, type: id, identifier: crm_member_id, description: "CRM member id (会员编号)"}
  - {name: phone, header: 手机号, type: phone, pii: true, identifier: phone, strength: member, description: "Member mobile (手机号)"}
  - {name: coupon_value, header: 券面额, type: decimal, description: "Coupon face value, yuan (券面额)"}
  - {name: redeemed_at, header: 核销时间, type: timestamp, description: "Redemption time (核销时间)"}
quality:
  unique: {severity: error, why: "One row per redemption (核销单号)."}
  formats:
    redemption_id: {format: token_id, severity: error, why: "Record key: one token."}
  money: [coupon_value]
"""

STAGING_MODEL = """\
with source as (
    select * from {{ source('bronze', 'crm_coupons') }}
)
select redemption_id, member_id, phone_normalized, coupon_value, redeemed_at, _source_file, _row_number
from source
"""

LANDING_CSV = (
    "核销单号,会员编号,手机号,券面额,核销时间\n"
    "R001,M100,138 0013 8000,20.00,2024-03-01 10:15:00\n"
    "R002,M101,139****1234,50.00,2024-02-29 21:00:00\n"
    "R003,M102,13700137000,五十,2024-03-01 09:00:00\n"  # non-numeric amount: a reject
)


def _copy_project(root: Path) -> None:
    shutil.copytree(REPO / "sources" / "contracts", root / "sources" / "contracts")
    shutil.copy(REPO / "sources" / "vocabularies.yml", root / "sources" / "vocabularies.yml")
    (root / "expectations").mkdir()
    shutil.copy(REPO / "expectations" / "build_suites.py", root / "expectations" / "build_suites.py")
    shutil.copytree(
        REPO / "dbt", root / "dbt", ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )


def test_a_toy_export_type_needs_only_its_contract_and_staging_model(tmp_path):
    root = tmp_path / "project"
    _copy_project(root)
    (root / "sources" / "contracts" / "crm_coupons.yml").write_text(TOY_CONTRACT, encoding="utf-8")
    (root / "dbt" / "models" / "staging" / "crm" / "stg_crm__coupons.sql").write_text(
        STAGING_MODEL, encoding="utf-8"
    )

    # Derived files: written for the copy, then up to date.
    assert derive.main(["--check", "--root", str(root)]) == 1
    assert derive.main(["--root", str(root)]) == 0
    assert derive.main(["--check", "--root", str(root)]) == 0
    sources_yml = yaml.safe_load((root / derive.DBT_SOURCES).read_text(encoding="utf-8"))
    table = next(t for t in sources_yml["sources"][0]["tables"] if t["name"] == "crm_coupons")
    columns = {c["name"]: c["data_type"] for c in table["columns"]}
    assert columns["coupon_value"] == "decimal(18,2)" and columns["redeemed_at"] == "timestamptz"
    assert {"phone_normalized", "phone_is_masked", "redeemed_at_raw", "_source_file", "_extra"} <= set(
        columns
    )
    assert "'crm_coupons'" in (root / derive.DBT_MACRO).read_text(encoding="utf-8")
    assert (root / "expectations" / "crm_coupons.json").exists()

    # Ingestion of a GBK landing file through the real bronze code.
    contracts = load_contracts(root / "sources" / "contracts")
    contract = contracts["crm_coupons"]
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    landing_file = landing / "crm_coupons" / EXPORT_DATE.isoformat() / "coupons.csv"
    landing_file.parent.mkdir(parents=True)
    landing_file.write_bytes(LANDING_CSV.encode("gb18030"))
    bronze = warehouse / "bronze"
    for each in contracts.values():
        ensure_schema_files(bronze, each)
    result = ingest_file(landing_file, EXPORT_DATE, landing, bronze, contract, dt.datetime.now(dt.UTC))
    assert (result.rows, result.rejects) == (2, 1)

    # Its Great Expectations suite, generated from the contract, passes on the loaded rows.
    summary = validate_bronze(
        "crm_coupons", read_bronze(bronze, "crm_coupons").collect(), suites_dir=root / "expectations"
    )
    assert summary.passed_errors and summary.evaluated > 10

    # The Dagster bronze asset comes from the same factory as the twelve others.
    asset = build_bronze_asset(contract)
    assert asset.key.path == ["bronze", "crm_coupons"]
    assert [spec.name for spec in asset.check_specs] == ["expectations"]

    # dbt: the staging model reads the new source, audit.rejects includes its reject.
    dbt_dir = root / "dbt"
    db = warehouse / "warehouse.duckdb"
    args = [
        "build",
        "--select",
        "stg_crm__coupons",
        "rejects",
        "--project-dir",
        str(dbt_dir),
        "--profiles-dir",
        str(dbt_dir),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
    ]
    # a separate process, as the nightly runs it (and no DuckDB connection is left open here)
    env = {**os.environ, "WAREHOUSE_DIR": str(warehouse)}
    dbt = Path(sys.executable).with_name("dbt")
    outcome = subprocess.run([str(dbt), *args], env=env, capture_output=True, text=True, timeout=600)
    assert outcome.returncode == 0, outcome.stdout[-3000:] + outcome.stderr[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "select redemption_id, phone_normalized, coupon_value from staging.stg_crm__coupons order by 1"
        ).fetchall()
        rejects = con.sql("select source, row_number, column_name, raw_value from audit.rejects").fetchall()
    assert [(r[0], r[1], float(r[2])) for r in rows] == [
        ("R001", "+8613800138000", 20.0),
        ("R002", None, 50.0),
    ]
    assert rejects == [("crm_coupons", 3, "coupon_value", "五十")]


def test_derived_files_are_up_to_date():
    """The dbt sources yml, the rejects list and the GX suites are what the contracts give."""
    assert derive.main(["--check"]) == 0
