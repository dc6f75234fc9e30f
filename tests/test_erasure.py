"""Erasure on request (PIPL art. 47): a person erased by one identifier is gone from
bronze, the warehouse and the serving file, and re-ingesting every old export does not
bring them back.

A small clean landing (the clean landing's last four export days) is built; the person
with the most kinds of identifier (phone, openid, unionid, orders, ...) is erased through
the ``erase_person`` Dagster job by their phone alone, typed as a customer would say it.
Every text value of every bronze file, warehouse table and serving table is searched for
each of the person's identifiers (from the ground truth) and their pseudonyms; then the
whole landing is ingested again with --full-refresh and rebuilt, and searched again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import AS_OF
from tests.test_failure import _small_landing

PERSON_TABLES = ("customer_identities", "dim_customers", "fct_orders")


def _terms(identifiers: list[tuple[str, str]], person_ids: list[str]) -> list[str]:
    """What must be found nowhere: each identifier as exported (a phone's 11 digits, an order's
    platform id), the pseudonyms of phones and buyer names, and the person ids."""
    from dagster_project.rules.pseudonymize import pseudonym_key, pseudonymize

    key = pseudonym_key()
    terms = set(person_ids)
    for kind, value in identifiers:
        if kind == "phone":
            terms |= {value.removeprefix("+86"), pseudonymize(value, key)}
        elif kind == "order":
            terms.add(value.split(":", 1)[1])
        else:
            terms.add(value)
        if kind == "tmall_buyer":
            terms.add(pseudonymize(value, key))
    return sorted(terms)


def bronze_hits(bronze: Path, terms: list[str]) -> dict[str, int]:
    hits = {}
    for path in bronze.rglob("*.parquet"):
        frame = pl.read_parquet(path)
        text = [c for c, t in frame.schema.items() if t == pl.String]
        if not text or frame.is_empty():
            continue
        found = (
            frame.select(pl.any_horizontal(pl.col(c).str.contains_any(terms).fill_null(False) for c in text))
            .sum()
            .item()
        )
        if found:
            hits[str(path.relative_to(bronze))] = found
    return hits


def database_hits(database: Path, terms: list[str]) -> dict[str, int]:
    """Rows of every table and view (any schema) whose text form contains a term."""
    pattern = "|".join(re.escape(t) for t in terms)
    hits = {}
    with duckdb.connect(str(database), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
        for schema, table in relations:
            found = con.execute(
                f'select count(*) from "{schema}"."{table}" as r where regexp_matches(cast(r as varchar), ?)',
                [pattern],
            ).fetchone()[0]
            if found:
                hits[f"{schema}.{table}"] = found
    return hits


def everywhere(warehouse: Path, terms: list[str]) -> dict[str, dict[str, int]]:
    return {
        "bronze": bronze_hits(warehouse / "bronze", terms),
        "warehouse": database_hits(warehouse / "warehouse.duckdb", terms),
        "serving": database_hits(warehouse / "serving.duckdb", terms),
    }


def _bronze_frames(bronze: Path) -> dict[str, pl.DataFrame]:
    from sources.contracts import load_contracts

    return {s: pl.read_parquet(str(bronze / s / "export_date=*" / "*.parquet")) for s in load_contracts()}


def _serving(warehouse: Path, table: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True) as con:
        return con.sql(f"select * from marts.{table}").pl()


def _build(landing: Path, warehouse: Path, full_refresh: bool = False) -> int:
    """Ingest (rows erased by the deny-list returned), build, publish."""
    from dagster_project.bronze.ingest import ingest_source
    from dagster_project.privacy.erasure import deny_filter
    from dagster_project.serving.publish import publish_marts
    from sources.contracts import load_contracts
    from tests.warehouse import dbt

    erased = 0
    for contract in load_contracts().values():
        result = ingest_source(
            contract,
            landing,
            warehouse / "bronze",
            dt.datetime.now(dt.UTC),
            full_refresh,
            deny=deny_filter(warehouse),
        )
        assert not result.unreadable
        erased += result.rows_erased
    dbt(warehouse, "build", dbt_vars={"as_of_date": AS_OF})
    publish_marts(warehouse / "warehouse.duckdb", warehouse / "serving.duckdb")
    return erased


def _richest_person(warehouse: Path, truth: Path) -> tuple[str, list[tuple[str, str]]]:
    """The built person with a phone and the most kinds of identifier, and their identifiers, all of
    which the ground truth says are one real person's."""
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        person_id, values = con.execute(
            "select person_id, list(identifier_type || ':' || identifier_value) from intermediate.int_identity__persons "
            "group by 1 having list_contains(list(identifier_type), 'phone') "
            "order by count(distinct identifier_type) desc, count(*) desc, 1 limit 1"
        ).fetchone()
    truth_ids = pl.read_parquet(truth / "identifiers.parquet")
    keys = truth_ids.with_columns(node=pl.col("identifier_type") + ":" + pl.col("identifier_value"))
    owners = keys.filter(pl.col("node").is_in(values))["person_id"].unique()
    assert owners.len() == 1 and keys.filter(pl.col("node").is_in(values)).height == len(values)
    return person_id, [tuple(v.split(":", 1)) for v in sorted(values)]


@pytest.fixture(scope="module")
def erasure(clean_landing, tmp_path_factory):
    import dagster as dg

    root = tmp_path_factory.mktemp("erasure")
    landing = _small_landing(clean_landing[0], root / "landing")
    warehouse = root / "warehouse"
    _build(landing, warehouse)
    person_id, identifiers = _richest_person(warehouse, clean_landing[1])
    terms = _terms(identifiers, [person_id])
    before = {
        "hits": everywhere(warehouse, terms),
        "bronze": _bronze_frames(warehouse / "bronze"),
        **{t: _serving(warehouse, t) for t in PERSON_TABLES},
    }
    phone = next(v for k, v in identifiers if k == "phone").removeprefix("+86")
    spoken = f"{phone[:3]} {phone[3:7]} {phone[7:]}"  # "138 1234 5678": the request's phone is normalised

    with pytest.MonkeyPatch.context() as env:
        env.setenv("LANDING_DIR", str(landing))
        env.setenv("WAREHOUSE_DIR", str(warehouse))
        env.setenv("AS_OF_DATE", AS_OF)
        from dagster_project.definitions import defs
        from dagster_project.privacy.erasure import ErasureRequest, request_path, write_request

        request_id = write_request(warehouse, ErasureRequest(phones=[spoken]))
        request_file = request_path(warehouse, request_id)
        request_mode = request_file.stat().st_mode & 0o777, request_file.parent.stat().st_mode & 0o777
        job = defs.resolve_job_def("erase_person")
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance,
                run_config={"ops": {"find_and_erase": {"config": {"request_id": request_id}}}},
            )
            run_config = instance.get_run_by_id(result.run_id).run_config
    record = result.output_for_node("republish_and_audit")
    after = {
        "hits": everywhere(warehouse, terms),
        "bronze": _bronze_frames(warehouse / "bronze"),
        **{t: _serving(warehouse, t) for t in PERSON_TABLES},
    }

    erased_on_reingest = _build(landing, warehouse, full_refresh=True)  # every old export, again
    reingested = {"hits": everywhere(warehouse, terms), "bronze": _bronze_frames(warehouse / "bronze")}
    return dict(
        warehouse=warehouse,
        person_id=person_id,
        identifiers=identifiers,
        terms=terms,
        before=before,
        after=after,
        record=record,
        reingested=reingested,
        erased_on_reingest=erased_on_reingest,
        request=dict(id=request_id, mode=request_mode, left=request_file.exists(), run_config=run_config),
    )


def test_the_person_was_everywhere_before(erasure):
    hits = erasure["before"]["hits"]
    assert hits["bronze"] and hits["warehouse"] and hits["serving"]
    kinds = {k for k, _ in erasure["identifiers"]}
    assert {"phone", "wx_unionid", "order"} <= kinds, kinds


def test_erasure_by_one_phone_leaves_nothing_of_the_person(erasure):
    assert erasure["after"]["hits"] == {"bronze": {}, "warehouse": {}, "serving": {}}


def test_a_full_reingest_of_every_old_export_does_not_bring_them_back(erasure):
    assert erasure["reingested"]["hits"] == {"bronze": {}, "warehouse": {}, "serving": {}}
    assert erasure["erased_on_reingest"] > 0  # the deny-list, not luck, kept them out
    for source, rows in erasure["after"]["bronze"].items():
        assert erasure["reingested"]["bronze"][source].height == rows.height, source


def test_bronze_loses_exactly_the_erased_rows_and_keeps_lineage(erasure):
    before, after, record = erasure["before"]["bronze"], erasure["after"]["bronze"], erasure["record"]
    key = ["_source_file", "_row_number"]
    for source, rows in before.items():
        kept = after[source]
        assert rows.height - kept.height == record["rows_deleted"]["bronze"].get(source, {}).get("rows", 0), (
            source
        )
        # the rows that stay are the same rows (same file, same row number, same content hash);
        # a rewritten file is a new version: its _loaded_at moves to the erasure, which makes
        # the incremental stg_wechat_mp__events re-decide its rows
        assert kept.join(rows, on=key, how="anti").is_empty(), source
        assert (
            kept.select(*key, "_file_sha256")
            .sort(key)
            .equals(rows.join(kept.select(key), on=key).select(*key, "_file_sha256").sort(key))
        ), source
        versions = kept.join(rows.select(*key, pl.col("_loaded_at").alias("before")), on=key)
        rewritten = versions.filter(pl.col("_loaded_at") != pl.col("before"))
        assert (rewritten["_loaded_at"] > rewritten["before"]).all(), source
        if source not in record["rows_deleted"]["bronze"]:
            assert rewritten.is_empty(), source
    assert sum(c["rows"] for c in record["rows_deleted"]["bronze"].values()) > 3


def test_other_persons_are_unchanged_in_serving(erasure):
    person_id = erasure["person_id"]
    for table in PERSON_TABLES:
        before, after = erasure["before"][table], erasure["after"][table]
        mine = before.filter(pl.col("person_id") == person_id)
        assert mine.height > 0 or table == "fct_orders", table
        assert after.height == before.height - mine.height, table
        others = before.filter(pl.col("person_id").ne_missing(person_id))
        assert others.sort(pl.all()).equals(after.sort(pl.all())), table


def test_the_audit_record_counts_rows_without_a_plain_identifier(erasure):
    record, warehouse = erasure["record"], erasure["warehouse"]
    assert record["persons_found"] == 1
    assert set(record["requested"]) == {"phone"} and len(record["requested"]["phone"][0]) == 64
    assert record["identifiers_denied"]["phone"] >= 1 and record["identifiers_denied"]["wx_unionid"] >= 1
    identities = (
        erasure["before"]["customer_identities"].filter(pl.col("person_id") == erasure["person_id"]).height
    )
    assert (
        record["rows_deleted"]["serving"]["marts.customer_identities"]
        == identities
        == len(erasure["identifiers"])
    )
    assert record["rows_deleted"]["serving"]["marts.dim_customers"] == 1
    log = (warehouse / "privacy" / "erasure_audit.jsonl").read_text(encoding="utf-8")
    assert json.loads(log.splitlines()[-1])["request_id"] == record["request_id"]
    for term in erasure["terms"]:
        assert term not in log
    deny = pl.read_parquet(warehouse / "privacy" / "deny_list.parquet")
    assert deny.height == identities  # one keyed hash per identifier of the person
    assert not deny.select(pl.col("identifier_hash").str.contains_any(erasure["terms"]).any()).item()


def test_the_job_gets_only_a_request_id_and_the_request_file_is_restricted_then_deleted(erasure):
    request = erasure["request"]
    assert request["run_config"]["ops"]["find_and_erase"]["config"] == {"request_id": request["id"]}
    assert erasure["record"]["request_id"] == request["id"]
    assert request["mode"] == (0o600, 0o700)  # owner only, while it exists
    assert not request["left"]  # the plain identifiers are gone with the completed request


def test_a_request_file_dropped_by_hand_is_read_and_checked(tmp_path):
    from dagster_project.privacy.erasure import read_request, request_path

    folder = tmp_path / "privacy" / "requests"
    folder.mkdir(parents=True)
    (folder / "ticket-42.json").write_text(
        '{"phones": "138 1234 5678", "unionids": ["o6_x"]}', encoding="utf-8"
    )
    request = read_request(tmp_path, "ticket-42")
    assert request.typed_values() == [("phone", "+8613812345678"), ("unionid", "o6_x")]
    assert (folder / "ticket-42.json").stat().st_mode & 0o777 == 0o600
    (folder / "bad.json").write_text('{"phone_numbers": ["13812345678"]}', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown field") as bad:
        read_request(tmp_path, "bad")
    assert "13812345678" not in str(bad.value)
    with pytest.raises(FileNotFoundError, match="no erasure request 'gone'"):
        read_request(tmp_path, "gone")
    with pytest.raises(ValueError, match="not a file name"):
        request_path(tmp_path, "../../etc/passwd")


def test_the_deny_list_drops_rows_and_json_list_entries_at_ingestion(tmp_path):
    """Hand-written exports: a group keeps its other members, a contact another staff member
    noted the person's phone on keeps that contact, the person's own rows go."""
    from dagster_project.bronze.ingest import ingest_source, read_bronze
    from dagster_project.privacy.erasure import add_to_deny_list, denied_hash, deny_filter
    from dagster_project.rules.pseudonymize import pseudonym_key
    from sources.contracts import load_contracts
    from tests.landing_builders import TMALL_HEADER, tmall_row, write_csv, write_jsonl

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    day = landing / "{source}" / "2026-11-20"
    erased_contact, phone = "wmqfasdAAAerasedPerson0000000001", "+8613812345678"
    member = lambda userid, **extra: {"userid": userid, "type": 2, "join_time": 1750000000, **extra}  # noqa: E731
    write_jsonl(
        Path(str(day).format(source="wecom_groups")) / "groupchat_get_20261120.jsonl",
        [
            {
                "group_chat": {
                    "chat_id": "wrOgQhDgAAchat1",
                    "name": "会员福利群1",
                    "owner": "xulin",
                    "create_time": 1748192400,
                    "member_list": [
                        {"userid": "xulin", "type": 1, "join_time": 1748192400},
                        member(erased_contact, unionid="o6_bmjErasedUnionid000000001"),
                        member("wmqfasdAAAsomeoneElse00000000002"),
                    ],
                }
            },
        ],
    )
    follow = lambda staff, mobiles: [
        {
            "userid": staff,
            "remark": "",
            "createtime": 1794864754,  # noqa: E731
            "remark_mobiles": mobiles,
            "add_way": 3,
            "state": "mp_popup",
        }
    ]
    write_jsonl(
        Path(str(day).format(source="wecom_contacts")) / "externalcontact_get_20261120.jsonl",
        [
            {
                "external_contact": {"external_userid": erased_contact, "name": "草莓雨", "type": 1},
                "follow_user": follow("huangmin", []),
            },
            {
                "external_contact": {
                    "external_userid": "wmqfasdAAAsomeoneElse00000000002",
                    "name": "星星宇",
                    "type": 1,
                },
                "follow_user": follow("huangmin", ["13900001111"]) + follow("sunli", ["138 1234 5678"]),
            },
        ],
    )
    write_csv(
        Path(str(day).format(source="tmall_orders")) / "ExportOrderList_20261120.csv",
        TMALL_HEADER,
        [
            tmall_row("3000000000000000001", 联系手机="'13812345678"),
            tmall_row("3000000000000000002", 联系手机="'13900001111", 买家会员名="tb_其他"),
        ],
    )
    key = pseudonym_key()
    add_to_deny_list(
        warehouse, {denied_hash(v, key) for v in (erased_contact, phone)}, "E1", dt.datetime.now(dt.UTC)
    )

    contracts = load_contracts()
    deny = deny_filter(warehouse)
    erased = {
        s: ingest_source(
            contracts[s], landing, warehouse / "bronze", dt.datetime.now(dt.UTC), deny=deny
        ).rows_erased
        for s in ("wecom_groups", "wecom_contacts", "tmall_orders")
    }
    assert erased == {"wecom_groups": 0, "wecom_contacts": 1, "tmall_orders": 1}
    groups = read_bronze(warehouse / "bronze", "wecom_groups").collect()
    members = [m["userid"] for m in json.loads(groups["member_list"][0])]
    assert members == ["xulin", "wmqfasdAAAsomeoneElse00000000002"]
    contacts = read_bronze(warehouse / "bronze", "wecom_contacts").collect()
    assert contacts["external_userid"].to_list() == ["wmqfasdAAAsomeoneElse00000000002"]
    assert [f["userid"] for f in json.loads(contacts["follow_user"][0])] == ["huangmin"]
    tmall = read_bronze(warehouse / "bronze", "tmall_orders").collect()
    assert tmall["order_id"].to_list() == ["3000000000000000002"] and tmall["_row_number"].to_list() == [
        2
    ]  # lineage: the row as exported


def test_a_request_needs_an_identifier_and_phones_are_normalised():
    from dagster_project.privacy.erasure import ErasureRequest

    with pytest.raises(ValueError, match="at least one identifier"):
        ErasureRequest().typed_values()
    with pytest.raises(ValueError, match="not a phone number"):
        ErasureRequest(phones=["138****5678"]).typed_values()
    assert ErasureRequest(phones=["+86 138-1234-5678"], openids=[" oAbc "]).typed_values() == [
        ("phone", "+8613812345678"),
        ("openid", "oAbc"),
    ]
