"""The dbt docs explain every number: every model and every column is described in
English and Chinese, and every column a built model has in the warehouse is documented."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from tests.warehouse import DBT_DIR

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def is_bilingual(text: str | None) -> bool:
    """An English part (a word of Latin letters) and a Chinese part (at least two CJK characters)."""
    return bool(text) and bool(ENGLISH_WORD.search(text)) and len(CJK.findall(text)) >= 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Orders per person. / 每位客户的订单", True),
        ("Orders per person.", False),
        ("每位客户的订单", False),
        ("gmv / orders / 客单价", True),
        ("", False),
    ],
)
def test_is_bilingual(text, expected):
    assert is_bilingual(text) is expected


def models() -> list[dict]:
    """The models of the manifest Dagster loads (make prepare writes it with dbt parse)."""
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_every_model_and_column_is_described_in_english_and_chinese():
    found = models()
    assert len(found) > 50
    missing = [node["name"] for node in found if not is_bilingual(node["description"])]
    missing += [
        f"{node['name']}.{name}"
        for node in found
        for name, column in node["columns"].items()
        if not is_bilingual(column.get("description"))
    ]
    assert not missing, f"describe these in English and Chinese ('English. / 中文'): {missing}"


def test_every_built_column_is_documented(clean_warehouse):
    documented = {(node["schema"], node["alias"]): {c.lower() for c in node["columns"]} for node in models()}
    with duckdb.connect(str(clean_warehouse / "warehouse.duckdb"), read_only=True) as con:
        built = con.execute(
            "select table_schema, table_name, lower(column_name) from information_schema.columns "
            "where table_schema in ('staging', 'intermediate', 'marts', 'audit')"
        ).fetchall()
    relations = {(schema, table) for schema, table, _ in built}
    assert relations >= {("marts", "fct_orders"), ("staging", "stg_tmall__orders"), ("audit", "rejects")}
    undocumented = sorted(
        f"{schema}.{table}.{column}"
        for schema, table, column in built
        if (schema, table) in documented and column not in documented[(schema, table)]
    )
    assert not undocumented, f"add these columns to their model's yml: {undocumented}"


def test_docs_are_current_only_for_the_whole_site_of_the_same_project_and_day(tmp_path):
    from dagster_project.serving.dbt_docs import RECORD, SITE_FILES, docs_are_current

    generated_for = {"dbt_project": "abc123", "as_of_date": "2026-11-22"}
    assert not docs_are_current(tmp_path, generated_for)  # nothing there
    for name in SITE_FILES:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert not docs_are_current(tmp_path, generated_for)  # a site without its record
    (tmp_path / RECORD).write_text(json.dumps(generated_for), encoding="utf-8")
    assert docs_are_current(tmp_path, generated_for)
    assert not docs_are_current(tmp_path, {**generated_for, "as_of_date": "2026-11-23"})
    assert not docs_are_current(tmp_path, {**generated_for, "dbt_project": "def456"})
    (tmp_path / "catalog.json").unlink()
    assert not docs_are_current(tmp_path, generated_for)
