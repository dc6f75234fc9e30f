"""Personal data (PIPL): never in the serving file in plain text; the key never the development one
in production.

The personal values are collected from the landing files themselves (their own headers, read
here with the standard library), not from bronze or the contracts, so the scan does not trust
the code under test. The same scan over warehouse.duckdb must find them (it is where they are
allowed to be): a scanner that finds nothing anywhere would prove nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project import cli
from dagster_project.rules.pseudonymize import DEVELOPMENT_KEY, KEY_ENV

# The landing headers (spec: shared/spec/landing.md) that hold a person's name, address, phone or e-mail.
NAME_HEADERS = {"收货人姓名", "买家会员名", "客户姓名", "收件人", "姓名", "客户网名", "买家昵称"}
ADDRESS_HEADERS = {"收货地址", "客户地址", "详细地址"}
PHONE_HEADERS = {
    "联系手机",
    "联系电话",
    "收件人手机号",
    "手机",
    "手机号",
    "买家手机号",
    "收货人手机号",
    "提货人手机号",
}
EMAIL_HEADERS = {"邮箱"}

# A mainland mobile however it is written (+86 / 0086 / 86 prefixes, spaces, dashes), not
# embedded in a longer ASCII token: hashes and person ids are hex, 11 digits inside them are
# no phone; Chinese text around a number still matches.
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![0-9A-Za-z])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PII_COLUMN_NAME = re.compile(
    r"phone|mobile|address|receiver|nick|email|birthday|remark|(^|_)name$", re.IGNORECASE
)
PUBLISHED_SCHEMAS = {"marts"}
WAREHOUSE_PII_SCHEMAS = {"staging", "intermediate", "audit"}  # the restricted places (never published)


# ---- the landing's personal data, read independently ------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("landing file in an unknown encoding")


def _tabular_rows(path: Path) -> Iterator[dict[str, str]]:
    if path.suffix == ".csv":
        yield from csv.DictReader(io.StringIO(_decode(path.read_bytes()), newline=""))
    elif path.suffix == ".xlsx":
        yield from pl.read_excel(path, infer_schema_length=0).rows(named=True)


def _json_values(record: dict) -> Iterator[tuple[str, str]]:
    contact = record.get("external_contact") or {}
    yield "name", contact.get("name")
    for follow in record.get("follow_user") or []:
        yield "name", follow.get("remark")
        for mobile in follow.get("remark_mobiles") or []:
            yield "phone", mobile
    phone = record.get("phone_info") or {}
    yield "phone", phone.get("phoneNumber")
    yield "phone", phone.get("purePhoneNumber")
    yield "name", record.get("remark") if isinstance(record.get("remark"), str) else None


def landing_personal_data(landing: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"name": set(), "address": set(), "phone": set(), "email": set()}
    kinds = [
        (NAME_HEADERS, "name"),
        (ADDRESS_HEADERS, "address"),
        (PHONE_HEADERS, "phone"),
        (EMAIL_HEADERS, "email"),
    ]
    for path in sorted(landing.rglob("*.*")):
        if path.suffix in (".csv", ".xlsx"):
            for row in _tabular_rows(path):
                for header, value in row.items():
                    for headers, kind in kinds:
                        if header and header.strip() in headers and value:
                            found[kind].add(str(value).strip())
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                for kind, value in _json_values(record) if isinstance(record, dict) else ():
                    if isinstance(value, str) and value.strip():
                        found[kind].add(value.strip())
    # masked values ("张*", "138****1234") are no longer personal data
    return {kind: {v for v in values if "*" not in v} for kind, values in found.items()}


# ---- the scan -------------------------------------------------------------------------------


CJK = re.compile(r"[\u4e00-\u9fff]")


class Matcher:
    """Which kind of personal data a text value holds. Chinese names of three or more characters
    and addresses of six or more are also found inside longer text (two-character names occur
    inside ordinary words); substrings are looked up by length in sets, so the scan is fast.
    Latin account names (buyer nicks) count as whole values."""

    def __init__(self, pii: dict[str, set[str]]):
        self.exact = {value: kind for kind, values in pii.items() for value in values}
        self.inner: dict[int, dict[str, str]] = {}
        for kind, shortest in (("name", 3), ("address", 6)):
            for value in pii[kind]:
                if len(value) >= shortest and CJK.search(value):
                    self.inner.setdefault(len(value), {})[value] = kind

    def __call__(self, value: str) -> str | None:
        if PHONE.search(value):
            return "phone"
        if EMAIL.search(value):
            return "email"
        if value in self.exact:
            return self.exact[value]
        if not CJK.search(value):
            return None
        for length, values in self.inner.items():
            for start in range(len(value) - length + 1):
                kind = values.get(value[start : start + length])
                if kind:
                    return kind
        return None


def scan(db: Path, pii: dict[str, set[str]]) -> list[tuple[str, str, str, str, str]]:
    """(schema, table, column, kind, value) of every personal value in any table or view of a DuckDB file."""
    matcher = Matcher(pii)
    hits = []
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema not in ('information_schema', 'pg_catalog') order by all"
        ).fetchall()
        for schema, table, column, data_type in columns:
            relation = f'"{schema}"."{table}"'
            if data_type == "VARCHAR":
                values = con.execute(
                    f'select distinct "{column}" from {relation} where "{column}" is not null'
                ).fetchall()
                hits += [
                    (schema, table, column, kind, value) for (value,) in values if (kind := matcher(value))
                ]
            elif data_type in ("BIGINT", "HUGEINT", "UBIGINT"):  # a phone stored as a number
                numbers = con.execute(
                    f'select distinct "{column}" from {relation} where "{column}" between 13000000000 and 19999999999'
                ).fetchall()
                hits += [(schema, table, column, "phone", str(n)) for (n,) in numbers]
    return hits


@pytest.fixture(scope="module")
def published(nightly_run):
    first, _, _, _, warehouse, landing, _ = nightly_run
    assert first.success, [e.message for e in first.all_events if e.is_failure]
    return warehouse, landing_personal_data(landing)


def test_the_landing_holds_the_personal_data_the_scan_looks_for(published):
    _, pii = published
    enough = {"name": 200, "address": 200, "phone": 200, "email": 20}  # the noisy demo: 1,500 persons
    assert all(len(pii[kind]) > n for kind, n in enough.items()), {kind: len(v) for kind, v in pii.items()}


def test_no_phone_name_address_or_email_in_the_serving_file(published):
    warehouse, pii = published
    hits = scan(warehouse / "serving.duckdb", pii)
    assert len(hits) == 0, f"{len(hits)} personal values in serving.duckdb, e.g. {hits[:5]}"


def test_raw_personal_data_lives_only_in_the_restricted_schemas_of_the_warehouse(published):
    """The scanner finds the landing's names and phones where they are allowed (so it works), and only there."""
    warehouse, pii = published
    hits = scan(warehouse / "warehouse.duckdb", pii)
    kinds_found = {kind for *_, kind, _ in hits}
    assert {"name", "address", "phone"} <= kinds_found
    assert {schema for schema, *_ in hits} <= WAREHOUSE_PII_SCHEMAS, sorted(
        {(s, t, c) for s, t, c, *_ in hits if s not in WAREHOUSE_PII_SCHEMAS}
    )


def test_the_serving_file_holds_only_the_published_schema_and_no_personal_columns(published):
    warehouse, _ = published
    with duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True) as con:
        schemas = {
            s
            for (s,) in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
        columns = con.execute("select table_name, column_name from information_schema.columns").fetchall()
    assert schemas == PUBLISHED_SCHEMAS
    assert [(t, c) for t, c in columns if PII_COLUMN_NAME.search(t) or PII_COLUMN_NAME.search(c)] == []


def test_the_scanner_catches_every_written_form_of_personal_data():
    matcher = Matcher(
        {
            "name": {"王小明", "李雷"},
            "address": {"浙江省杭州市西湖区文三路1号"},
            "phone": set(),
            "email": set(),
        }
    )
    for text in [
        "13812345678",
        "+86 138 1234 5678",
        "86-138-1234-5678",
        "0086 13812345678",
        "电话13812345678",
        "王小明",
        "收货人:王小明",
        "李雷",
        "寄往浙江省杭州市西湖区文三路1号",
        "a@b.cn",
    ]:
        assert matcher(text), text
    # hex pseudonyms and person ids, ten digits, a two-character name inside a word, channel codes
    for text in [
        "P0a13812345678bc",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "王小",
        "李雷锋",
        "oa:ADD_SCENE_QR",
        "1381234567",
    ]:
        assert matcher(text) is None, text


# ---- the production switch ------------------------------------------------------------------


def _dbt_debug(tmp_path: Path, *args: str) -> tuple[bool, str]:
    """`dbt debug` opens a connection, which loads the pseudonymisation plugin."""
    from dbt.cli.main import dbtRunner

    from tests.warehouse import DBT_DIR, release_duckdb

    messages: list[str] = []
    result = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)]).invoke(
        [
            "debug",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            *args,
            "--log-path",
            str(tmp_path / "logs"),
        ]
    )
    release_duckdb()
    return result.success and result.result, "\n".join(str(m) for m in messages)


@pytest.mark.parametrize("target, siyu_env", [("prod", ""), ("dev", "production")])
def test_production_dbt_refuses_the_development_key_and_runs_with_a_real_one(
    tmp_path, monkeypatch, target, siyu_env
):
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("SIYU_ENV", siyu_env)
    monkeypatch.delenv(KEY_ENV, raising=False)
    ok, log = _dbt_debug(tmp_path, "--target", target)
    assert not ok and "refuses the development pseudonymisation key" in log
    monkeypatch.setenv(KEY_ENV, DEVELOPMENT_KEY)  # the development key set explicitly is still refused
    assert not _dbt_debug(tmp_path, "--target", target)[0]
    monkeypatch.setenv(KEY_ENV, "a-real-secret-from-the-vault-0123456789")
    ok, log = _dbt_debug(tmp_path, "--target", target)
    assert ok, log


def test_siyu_in_production_stops_before_reading_anything_without_a_key(monkeypatch):
    monkeypatch.setenv("SIYU_ENV", "production")
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setattr(cli, "_run_job", lambda *a: pytest.fail("the job ran with the development key"))
    monkeypatch.setattr(cli, "_ensure_demo_landing", lambda *a: pytest.fail("the landing was read"))
    for command in (["run"], ["backfill", "--from", "2026-11-01", "--to", "2026-11-02"]):
        with pytest.raises(
            SystemExit, match="SIYU_ENV=production: the production profile refuses the development"
        ):
            cli.main(command)


def test_the_dagster_dbt_step_uses_the_prod_target_in_production(monkeypatch):
    from dagster_project.defs.dbt.assets import dbt_build_args

    monkeypatch.delenv("SIYU_ENV", raising=False)
    assert dbt_build_args()[-2:] == ["--target", "dev"]
    monkeypatch.setenv("SIYU_ENV", "production")
    assert dbt_build_args()[-2:] == ["--target", "prod"]
