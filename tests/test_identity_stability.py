"""Stable person ids across nightly runs: untouched and growing persons keep their id, a
merge keeps the older id and records the retired one, the same inputs give the same ids.

Hand-written exports (another program than the demo generator), ingested and built with
dbt exactly as the nightly run does.
"""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dagster_project.bronze.ingest import ingest_source
from sources.contracts import load_contracts
from tests.landing_builders import write_csv, write_jsonl
from tests.warehouse import LOADED_AT, dbt, query

IDENTITY_MODELS = [
    "build",
    "--select",
    "+customer_identities",
    "+person_id_merges",
    "--exclude",
    "resource_type:unit_test",
]
CRM_HEADER = [
    "会员编号",
    "手机号",
    "unionid",
    "姓名",
    "性别",
    "生日",
    "注册时间",
    "注册渠道",
    "会员等级",
    "积分",
    "邮箱",
]


def _oa(openid, unionid, ts):
    return {
        "openid": openid,
        "unionid": unionid,
        "subscribe": 1,
        "subscribe_time": ts,
        "subscribe_scene": "ADD_SCENE_QR_CODE",
    }


def _crm(member, phone, unionid, registered):
    return [member, phone, unionid, "张三", "男", "", registered, "门店", "银卡", "100", ""]


def _persons(warehouse: Path) -> dict[str, str]:
    rows = query(warehouse, "select node_key, person_id from intermediate.int_identity__persons")
    return dict(rows.iter_rows())


def _build(landing: Path, warehouse: Path, night: int = 0) -> dict[str, str]:
    """Ingest (stamped as night `night`'s load: incremental staging picks new files by it) and build."""
    for contract in load_contracts().values():
        result = ingest_source(contract, landing, warehouse / "bronze", LOADED_AT + dt.timedelta(days=night))
        assert not result.unreadable, result.unreadable
    dbt(warehouse, *IDENTITY_MODELS)
    return _persons(warehouse)


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    """Day 1: Ann (OA follower since 2024-10-27), Cy (OA follower) and CRM member M0001
    (registered 2025-06-01, phone only) are three persons. Day 2: Cy also registers in the
    Mini Program (same unionid), and the CRM re-exports M0001 with Ann's unionid: M0001 was
    Ann all along, so two persons merge."""
    root = tmp_path_factory.mktemp("nightly")
    landing, warehouse = root / "landing", root / "warehouse"
    write_jsonl(
        landing / "wechat_oa_users" / "2026-11-01" / "oa.jsonl",
        [
            _oa("oAnn0000001", "uAnn000000001", 1730000000),
            _oa("oCy00000001", "uCy0000000001", 1731000000),
        ],
    )
    write_csv(
        landing / "crm_members" / "2026-11-01" / "crm.csv",
        CRM_HEADER,
        [_crm("M0001", "13912345678", "", "2025-06-01 10:00:00")],
        encoding="utf-8",
    )
    day1 = _build(landing, warehouse)
    day1_again = _build(landing, warehouse)

    # Day 2: Cy gains an identifier; the CRM record M0001 now shows Ann's unionid.
    write_jsonl(
        landing / "wechat_mp_users" / "2026-11-02" / "mp.jsonl",
        [
            {"openid": "mCy00000001", "unionid": "uCy0000000001", "register_time": 1732000000},
        ],
    )
    write_csv(
        landing / "crm_members" / "2026-11-02" / "crm.csv",
        CRM_HEADER,
        [_crm("M0001", "13912345678", "uAnn000000001", "2025-06-01 10:00:00")],
        encoding="utf-8",
    )
    day2 = _build(landing, warehouse)
    merges = query(warehouse, "select retired_person_id, person_id from marts.person_id_merges")
    return day1, day1_again, day2, merges, warehouse


def test_same_inputs_give_same_ids(nightly):
    day1, day1_again, *_ = nightly
    assert day1 == day1_again
    assert len(set(day1.values())) == 3  # Ann, Bo (CRM), Cy


def test_a_person_who_gains_identifiers_keeps_the_id(nightly):
    day1, _, day2, *_ = nightly
    assert day2["mp_openid:mCy00000001"] == day1["oa_openid:oCy00000001"] == day2["oa_openid:oCy00000001"]


def test_a_merge_keeps_the_older_id_and_records_the_retired_one(nightly):
    day1, _, day2, merges, _ = nightly
    ann, bo = day1["oa_openid:oAnn0000001"], day1["crm_member_id:M0001"]
    assert ann != bo
    # Ann was seen first (2024-10-27, before the CRM registration), so her id survives
    assert day2["crm_member_id:M0001"] == day2["phone:+8613912345678"] == ann
    assert merges.rows() == [(bo, ann)]


def test_served_identities_pseudonymise_phones(nightly):
    *_, warehouse = nightly
    served = query(warehouse, "select identifier_type, identifier_value from marts.customer_identities")
    phones = served.filter(pl.col("identifier_type") == "phone")["identifier_value"].to_list()
    assert len(phones) == 1 and len(phones[0]) == 64 and "13912345678" not in phones[0]
    assert ("wx_unionid", "uAnn000000001") in served.rows()


def _event(event_id, ms, anonymous_id, openid=None, event="page_view"):
    row = {
        "event_id": event_id,
        "event_time": ms,
        "anonymous_id": anonymous_id,
        "event": event,
        "page": "pages/index/index",
    }
    if openid:
        row["openid"] = openid
    return row


def _identities(warehouse: Path) -> dict[tuple[str, str], str | None]:
    rows = query(
        warehouse, "select identifier_type, identifier_value, person_id from marts.customer_identities"
    )
    return {(t, v): p for t, v, p in rows.iter_rows()}


@pytest.fixture(scope="module")
def guarded_growth(tmp_path_factory):
    """Night 1: Dee browses on a tablet before logging in (so the tablet is Dee's earliest
    identifier, her anchor), then registers with her phone; CRM member M0100 is Dee.
    Night 2: her son logs in on the same tablet (it becomes shared), and the carrier's
    recycled number of an old member M0200 is registered again by a new member M0300."""
    root = tmp_path_factory.mktemp("guarded_growth")
    landing, warehouse = root / "landing", root / "warehouse"
    tablet = "7c1d0000-0000-4000-8000-00000000ab01"
    write_jsonl(
        landing / "wechat_mp_events" / "2026-11-01" / "events.jsonl",
        [
            _event("e1", 1761900000000, tablet),
            _event("e2", 1761900600000, tablet, "oDee0000001", "login"),
        ],
    )
    write_jsonl(
        landing / "wechat_mp_users" / "2026-11-01" / "mp.jsonl",
        [
            {
                "openid": "oDee0000001",
                "register_time": 1761900600,
                "phone_info": {
                    "phoneNumber": "+8613712340001",
                    "purePhoneNumber": "13712340001",
                    "countryCode": "86",
                },
            },
        ],
    )
    write_csv(
        landing / "crm_members" / "2026-11-01" / "crm.csv",
        CRM_HEADER,
        [
            _crm("M0100", "13712340001", "", "2025-11-02 10:00:00"),
            _crm("M0200", "13912340002", "", "2024-03-01 10:00:00"),
        ],
        encoding="utf-8",
    )
    night1 = _build(landing, warehouse)
    served1 = _identities(warehouse)
    write_jsonl(
        landing / "wechat_mp_events" / "2026-11-02" / "events.jsonl",
        [
            _event("e3", 1762000000000, tablet, "oSon0000001", "login"),
        ],
    )
    write_csv(
        landing / "crm_members" / "2026-11-02" / "crm.csv",
        CRM_HEADER,
        [
            _crm("M0300", "13912340002", "", "2026-11-02 09:00:00"),
        ],
        encoding="utf-8",
    )
    night2 = _build(landing, warehouse, night=1)
    return night1, night2, served1, _identities(warehouse), warehouse, tablet


def test_a_device_that_becomes_shared_stays_with_its_first_openid(guarded_growth):
    night1, night2, served1, served2, _, tablet = guarded_growth
    dee = night1["mp_openid:oDee0000001"]
    assert night1[f"mp_anonymous_id:{tablet}"] == dee == night1["crm_member_id:M0100"]
    # the tablet (Dee's anchor) stays with Dee, her id does not move, the son is a person of his own
    assert (
        night2[f"mp_anonymous_id:{tablet}"]
        == night2["mp_openid:oDee0000001"]
        == night2["crm_member_id:M0100"]
        == dee
    )
    assert night2["mp_openid:oSon0000001"] != dee
    assert served2[("mp_anonymous_id", tablet)] == dee


def test_a_recycled_number_joins_neither_owner_and_stays_listed(guarded_growth):
    night1, night2, served1, served2, warehouse, _ = guarded_growth
    old_owner = night1["crm_member_id:M0200"]
    assert night1["phone:+8613912340002"] == old_owner
    assert "phone:+8613912340002" not in night2  # blocked: belongs to nobody
    assert night2["crm_member_id:M0200"] == old_owner != night2["crm_member_id:M0300"]
    blocked = query(
        warehouse,
        "select reason from intermediate.int_identity__blocked_identifiers "
        "where identifier_value = '+8613912340002'",
    )["reason"].to_list()
    assert blocked == ["phone on 2 crm_member_ids (shared, recycled or staff number)"]
    # no identifier served on night 1 disappears on night 2; the number is listed without a person
    assert served1.keys() <= served2.keys()
    phone_keys = [k for k in served2 if k[0] == "phone" and served2[k] is None]
    assert len(phone_keys) == 1 and phone_keys[0] in served1


# --- a landing that grows night by night --------------------------------------------------
GROWTH_NIGHTS = 5


@pytest.fixture(scope="module")
def growth(tmp_path_factory):
    """The demo generator's noisy landing (300 persons, every identity trap), delivered night
    by night: night 1 holds the export dates up to a weekly folder, each later night adds the
    next weekly folder. Returns per night (node -> person_id, served identifiers, merges)."""
    import shutil

    from tests.conftest import AS_OF, generate

    root = tmp_path_factory.mktemp("growth")
    full, _ = generate(root / "generated", 300, seed=23, clean=False)
    dates = sorted({d.name for source in full.iterdir() if source.is_dir() for d in source.iterdir()})
    assert dates[-1] == AS_OF
    landing, warehouse = root / "landing", root / "warehouse"
    nights = []
    # weekly export folders (a week of changes each), before the last days' daily folders
    end = len(dates) - 7
    cut = end - GROWTH_NIGHTS + 1
    for night, upto in enumerate(range(cut, end + 1)):
        for source in full.iterdir():
            for day in dates[:upto] if night == 0 else [dates[upto - 1]]:
                if (source / day).is_dir():
                    shutil.copytree(source / day, landing / source.name / day)
        persons = _build(landing, warehouse, night)
        merges = query(warehouse, "select retired_person_id, person_id from marts.person_id_merges")
        nights.append((persons, _identities(warehouse), dict(merges.iter_rows())))
    return nights


def test_growth_never_loses_a_served_identifier(growth):
    for (_, before, _), (_, after, _) in zip(growth, growth[1:], strict=False):
        assert before.keys() <= after.keys()


def test_growth_keeps_the_id_of_every_person_that_neither_merged_nor_split(growth):
    checked = kept = grown = 0
    for (before, _, _), (after, _, merges) in zip(growth, growth[1:], strict=False):
        members: dict[str, set[str]] = {}
        for node, person in before.items():
            members.setdefault(person, set()).add(node)
        now: dict[str, set[str]] = {}
        for node, person in after.items():
            now.setdefault(person, set()).add(node)
        for person, nodes in members.items():
            holders = {after.get(node) for node in nodes}
            if len(holders) != 1 or None in holders:
                continue  # split, or an identifier newly blocked
            (holder,) = holders
            others = {before[n] for n in now[holder] if n in before}
            checked += 1
            if others == {person}:  # nothing merged into it: it keeps its id
                assert holder == person
                kept += 1
                grown += len(now[holder]) > len(nodes)
            else:  # a merge: the older id survives, the others are recorded as retired
                assert person == holder or merges.get(person) == holder
    assert checked > 300 and kept > 300 and grown > 20  # persons that gained identifiers kept their id
