"""dbt staging layer over a tiny bronze tree: latest export wins, evidence history, rejects.

Builds bronze Parquet with polars under tmp_path (the exact bronze schema of
sources/README.md, zero-row schema files for every source), points WAREHOUSE_DIR at it
and runs ``dbt build`` in-process with dbtRunner (models, data tests and unit tests).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from dagster_project.bronze.ingest import empty_bronze_frame
from sources.contracts import get_contract, load_contracts

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT_ROOT / "dbt"

REJECT_SCHEMA = {
    "source": pl.String,
    "source_file": pl.String,
    "row_number": pl.Int64,
    "column_name": pl.String,
    "raw_value": pl.String,
    "reason": pl.String,
    "_export_date": pl.Date,
}
LOADED_AT = dt.datetime(2024, 3, 3, tzinfo=dt.UTC)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def write_bronze(bronze: Path, source: str, export_date: str, file_name: str, rows: list[dict]) -> None:
    """One bronze Parquet file as the ingestion writes it: full schema, lineage filled in."""
    schema = empty_bronze_frame(get_contract(source)).schema
    source_file = f"{source}/{export_date}/{file_name}"
    rows = [
        {
            "_source_file": source_file,
            "_row_number": i,
            "_export_date": dt.date.fromisoformat(export_date),
            "_loaded_at": LOADED_AT,
            "_file_sha256": "0" * 64,
            **row,
        }
        for i, row in enumerate(rows, start=1)
    ]
    target = bronze / source / f"export_date={export_date}" / f"{file_name}__000000000000.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pl.from_dicts(rows, schema=schema).write_parquet(target)


def write_rejects(bronze: Path, source: str, export_date: str, file_name: str, rows: list[dict]) -> None:
    source_file = f"{source}/{export_date}/{file_name}"
    rows = [
        {
            "source": source,
            "source_file": source_file,
            "_export_date": dt.date.fromisoformat(export_date),
            **r,
        }
        for r in rows
    ]
    target = (
        bronze / "_rejects" / source / f"export_date={export_date}" / f"{file_name}__000000000000.parquet"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    pl.from_dicts(rows, schema=REJECT_SCHEMA).write_parquet(target)


def write_schema_files(bronze: Path) -> None:
    for source, contract in load_contracts().items():
        target = bronze / source / "_schema" / "empty.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        empty_bronze_frame(contract).write_parquet(target)
    target = bronze / "_rejects" / "_schema" / "_schema" / "empty.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(schema=REJECT_SCHEMA).write_parquet(target)


def follow(userid: str, createtime: int, mobiles: list, state: str = "") -> dict:
    return {
        "userid": userid,
        "createtime": createtime,
        "add_way": 1,
        "state": state,
        "remark_mobiles": mobiles,
    }


def build_bronze(bronze: Path) -> None:
    write_schema_files(bronze)
    # Tmall: order 1001 re-exported the next day (paid, refund column now empty).
    write_bronze(
        bronze,
        "tmall_orders",
        "2024-03-01",
        "report.csv",
        [
            {
                "order_id": "1001",
                "buyer_nick": "tb_alice",
                "order_status": "等待买家付款",
                "total_amount": Decimal("199.00"),
                "refund_amount": Decimal("5.00"),
                "created_at": ts("2024-03-01 01:00:00"),
                "created_at_raw": "2024-03-01 09:00:00",
            },
            {
                "order_id": "1002",
                "buyer_nick": "tb_bob",
                "order_status": "交易成功",
                "paid_amount": Decimal("88.00"),
                "paid_at": ts("2024-03-01 02:00:00"),
            },
        ],
    )
    write_bronze(
        bronze,
        "tmall_orders",
        "2024-03-02",
        "report.csv",
        [
            {
                "order_id": "1001",
                "buyer_nick": "tb_alice",
                "order_status": "交易成功",
                "total_amount": Decimal("199.00"),
                "paid_amount": Decimal("199.00"),
                "paid_at": ts("2024-03-01 03:00:00"),
                "paid_at_raw": "2024-03-01 11:00:00",
                "receiver_phone": "'13800138000",
                "receiver_phone_normalized": "+8613800138000",
                "receiver_phone_is_masked": False,
            },
        ],
    )
    # MP events: e1 arrives twice (the later export wins), e2 is a purchase.
    write_bronze(
        bronze,
        "wechat_mp_events",
        "2024-03-01",
        "events.jsonl",
        [
            {
                "event_id": "e1",
                "event_time": ts("2024-03-01 00:00:00"),
                "anonymous_id": "d1",
                "event": "page_view",
                "channel": "old",
            },
            {
                "event_id": "e2",
                "event_time": ts("2024-03-01 00:05:00"),
                "anonymous_id": "d1",
                "openid": "mp1",
                "event": "purchase",
                "order_id": "M100",
                "amount": Decimal("59.90"),
            },
        ],
    )
    write_bronze(
        bronze,
        "wechat_mp_events",
        "2024-03-02",
        "events.jsonl",
        [
            {
                "event_id": "e1",
                "event_time": ts("2024-03-01 00:00:00"),
                "anonymous_id": "d1",
                "event": "page_view",
                "channel": "new",
            },
        ],
    )
    # WeCom: wm1 was added by two staff on 03-01; the 03-02 pull lists only staff_a.
    write_bronze(
        bronze,
        "wecom_contacts",
        "2024-03-01",
        "contacts.jsonl",
        [
            {
                "external_userid": "wm1",
                "contact_type": 1,
                "unionid": "un1",
                "follow_user": json.dumps(
                    [
                        follow("staff_a", 1709251200, ["138 0013 8000"], "live"),
                        follow("staff_b", 1709254800, ["139****9000", "+86-139-0013-9000"]),
                    ]
                ),
            },
        ],
    )
    write_bronze(
        bronze,
        "wecom_contacts",
        "2024-03-02",
        "contacts.jsonl",
        [
            {
                "external_userid": "wm1",
                "contact_type": 1,
                "unionid": "un1",
                "follow_user": json.dumps([follow("staff_a", 1709251200, ["13800138000"], "live")]),
            },
        ],
    )
    # WeCom group: one staff owner and one external member invited by a link.
    write_bronze(
        bronze,
        "wecom_groups",
        "2024-03-02",
        "groups.jsonl",
        [
            {
                "chat_id": "wr1",
                "group_name": "VIP群",
                "owner": "staff_a",
                "create_time": ts("2024-03-01 00:00:00"),
                "member_list": json.dumps(
                    [
                        {"userid": "staff_a", "type": 1, "join_time": 1709251200, "join_scene": 1},
                        {
                            "userid": "wm1",
                            "type": 2,
                            "unionid": "un1",
                            "join_time": 1709254800,
                            "join_scene": 2,
                            "invitor": {"userid": "staff_a"},
                        },
                    ]
                ),
            },
        ],
    )
    # ERP: a Tmall line (sub-order id) and a mini-program line without one.
    write_bronze(
        bronze,
        "erp_sales",
        "2024-03-02",
        "sales.csv",
        [
            {
                "platform_order_id": "1001",
                "platform_sub_order_id": "1001-1",
                "order_source": "天猫",
                "merchant_sku": "SKU1",
                "allocated_total": Decimal("199.00"),
            },
            {
                "platform_order_id": "M100",
                "order_source": "小程序",
                "merchant_sku": "SKU2",
                "allocated_total": Decimal("59.90"),
            },
        ],
    )
    write_rejects(
        bronze,
        "tmall_orders",
        "2024-03-02",
        "report.csv",
        [
            {
                "row_number": 2,
                "column_name": "订单付款时间",
                "raw_value": "yesterday",
                "reason": "unparseable timestamp",
            },
            {"row_number": 3, "column_name": "订单编号", "raw_value": None, "reason": "missing record key"},
        ],
    )


def run_dbt(args: list[str], tmp_path: Path):
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(tmp_path / "dbt_target"),
            "--log-path",
            str(tmp_path / "dbt_logs"),
        ]
    )
    assert result.exception is None, result.exception
    release_duckdb()
    return result


def release_duckdb() -> None:
    """dbt-duckdb keeps one process-wide DuckDB handle open after dbtRunner returns; close it
    so this process can open warehouse.duckdb again (read-only is a different configuration)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("warehouse")
    build_bronze(tmp_path / "bronze")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_DIR", str(tmp_path))
        result = run_dbt(["build"], tmp_path)
        failed = [
            f"{r.node.unique_id}: {r.status} {r.message}"
            for r in result.result.results
            if str(r.status) not in ("success", "pass", "warn")
        ]
        assert result.success and not failed, failed
        # the macro compiled against the same project, for the Python/SQL parity test
        compiled = (
            run_dbt(["compile", "--inline", "select {{ normalize_phone('v') }} as p from samples"], tmp_path)
            .result.results[0]
            .node.compiled_code
        )
    (tmp_path / "normalize_phone.sql").write_text(compiled, encoding="utf-8")
    return tmp_path


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_schemas_have_no_target_prefix(warehouse):
    schemas = {r[0] for r in query(warehouse, "select distinct table_schema from information_schema.tables")}
    assert {"staging", "audit"} <= schemas
    assert not any(s.startswith("main_") for s in schemas)


def test_tmall_latest_export_wins_as_a_whole(warehouse):
    rows = query(
        warehouse,
        """
        select order_id, order_key, order_status, paid_amount, refund_amount, receiver_phone_normalized,
               created_at, _export_date
        from staging.stg_tmall__orders order by order_id
    """,
    )
    assert [r[:6] for r in rows] == [
        ("1001", "tmall:1001", "交易成功", Decimal("199.00"), None, "+8613800138000"),
        ("1002", "tmall:1002", "交易成功", Decimal("88.00"), None, None),
    ]
    # the later export lacks created_at: null, not filled in from the earlier export
    assert rows[0][6] is None and rows[0][7] == dt.date(2024, 3, 2)


def test_mp_events_dedupe_on_event_id(warehouse):
    rows = query(
        warehouse, "select event_id, channel, order_key from staging.stg_wechat_mp__events order by 1"
    )
    assert rows == [("e1", "new", None), ("e2", None, "miniprogram:M100")]


def test_wecom_follows_latest_row_and_history(warehouse):
    latest = query(
        warehouse,
        """
        select external_userid, userid, state, remark_mobiles, createtime
        from staging.stg_wecom__contact_follows
    """,
    )
    assert latest == [("wm1", "staff_a", "live", ["+8613800138000"], ts("2024-03-01 00:00:00"))]
    history = query(
        warehouse,
        """
        select userid, remark_mobiles, _export_date from staging.stg_wecom__contact_follow_history
        order by _export_date, userid
    """,
    )
    assert history == [
        ("staff_a", ["+8613800138000"], dt.date(2024, 3, 1)),
        ("staff_b", ["+8613900139000"], dt.date(2024, 3, 1)),
        ("staff_a", ["+8613800138000"], dt.date(2024, 3, 2)),
    ]


def test_wecom_group_members_unnested(warehouse):
    rows = query(
        warehouse,
        """
        select chat_id, userid, member_type, external_userid, unionid, join_scene, invitor_userid, join_time
        from staging.stg_wecom__group_members order by userid
    """,
    )
    assert rows == [
        ("wr1", "staff_a", 1, None, None, 1, None, ts("2024-03-01 00:00:00")),
        ("wr1", "wm1", 2, "wm1", "un1", 2, "staff_a", ts("2024-03-01 01:00:00")),
    ]


def test_erp_sales_platform_and_record_key(warehouse):
    rows = query(
        warehouse,
        """
        select sales_line_key, platform, order_key from staging.stg_erp__sales_lines order by 1
    """,
    )
    assert rows == [
        ("天猫|1001-1", "tmall", "tmall:1001"),
        ("小程序|M100|SKU2", "miniprogram", "miniprogram:M100"),
    ]


def test_every_staging_relation_exists(warehouse):
    # views, except the few big ones built as tables (see their SQL)
    views = {
        r[0]
        for r in query(
            warehouse,
            """
        select table_name from information_schema.tables where table_schema = 'staging'
    """,
        )
    }
    expected = {
        "stg_wechat_oa__users",
        "stg_wechat_mp__users",
        "stg_wechat_mp__events",
        "stg_wecom__contacts",
        "stg_wecom__contact_follows",
        "stg_wecom__groups",
        "stg_wecom__group_members",
        "stg_tmall__orders",
        "stg_jd__order_lines",
        "stg_douyin__sub_orders",
        "stg_youzan__orders",
        "stg_crm__members",
        "stg_erp__sales_lines",
        "stg_erp__refunds",
    }
    assert expected <= views
    # sources with only the zero-row schema file give empty relations, not errors
    assert query(warehouse, "select count(*) from staging.stg_jd__order_lines") == [(0,)]


def test_audit_rejects(warehouse):
    rows = query(
        warehouse,
        """
        select source, source_file, row_number, column_name, raw_value, reason, export_date
        from audit.rejects order by row_number
    """,
    )
    assert rows == [
        (
            "tmall_orders",
            "tmall_orders/2024-03-02/report.csv",
            2,
            "订单付款时间",
            "yesterday",
            "unparseable timestamp",
            dt.date(2024, 3, 2),
        ),
        (
            "tmall_orders",
            "tmall_orders/2024-03-02/report.csv",
            3,
            "订单编号",
            None,
            "missing record key",
            dt.date(2024, 3, 2),
        ),
    ]


PHONE_SAMPLES = [
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "'13800138000",
    "86-13800138000",
    "+86 13800138000",
    "008613800138000",
    "8613800138000",
    "１３８００１３８０００",
    "＋８６　１３８００１３８０００",
    ' ="13800138000" ',
    "(+86)13800138000",
    "138****8000",
    "1******8000",
    "12345678901",
    "010-12345678",
    "+852 9123 4567",
    "00852 9123 4567",
    "+8610123456",
    "+1 415 555 0100",
    "hello",
    "",
    "  ",
    None,
]


def test_normalize_phone_macro_matches_python_rule(warehouse):
    parsing = pytest.importorskip("dagster_project.rules.parsing")
    expected = (
        pl.DataFrame({"v": PHONE_SAMPLES}, schema={"v": pl.String})
        .select(parsing.normalize_phone(pl.col("v")).alias("p"))["p"]
        .to_list()
    )
    compiled = (warehouse / "normalize_phone.sql").read_text(encoding="utf-8")
    from dagster_project.dbt_runtime.duckdb_plugin import register_functions

    with duckdb.connect() as con:
        register_functions(con, b"test-key")  # what the dbt profile's plugin does
        con.execute("create table samples (i integer, v varchar)")
        con.executemany("insert into samples values (?, ?)", list(enumerate(PHONE_SAMPLES)))
        actual = [
            r[0] for r in con.sql(compiled.replace("from samples", "from samples order by i")).fetchall()
        ]
    assert dict(zip(PHONE_SAMPLES, actual, strict=False)) == dict(zip(PHONE_SAMPLES, expected, strict=False))


def test_bronze_source_columns_match_contracts():
    """The dbt source yml lists exactly the bronze columns the contracts produce (no drift)."""
    spec = yaml.safe_load(
        (DBT_DIR / "models" / "staging" / "_bronze__sources.yml").read_text(encoding="utf-8")
    )
    (bronze,) = [s for s in spec["sources"] if s["name"] == "bronze"]
    tables = {t["name"]: t for t in bronze["tables"]}
    assert set(tables) == set(load_contracts())
    for source, contract in load_contracts().items():
        table = tables[source]
        listed = sorted(c["name"] for c in table["columns"])
        assert listed == sorted(empty_bronze_frame(contract).columns), source
        assert f"/bronze/{source}/*/*.parquet'" in table["config"]["external_location"]
        assert table["config"]["meta"]["dagster"]["asset_key"] == ["bronze", source]
