"""Stable person ids across nightly runs: untouched and growing persons keep their id, a
merge keeps the older id and records the retired one, the same inputs give the same ids.

Hand-written exports (another program than the demo generator), ingested and built with
dbt exactly as the nightly run does.
"""

from pathlib import Path

import polars as pl
import pytest

from tests.landing_builders import write_csv, write_jsonl
from tests.warehouse import dbt, ingest_landing, query

IDENTITY_MODELS = ["build", "--select", "+customer_identities", "+person_id_merges", "--exclude", "resource_type:unit_test"]
CRM_HEADER = ["会员编号", "手机号", "unionid", "姓名", "性别", "生日", "注册时间", "注册渠道", "会员等级", "积分", "邮箱"]


def _oa(openid, unionid, ts):
    return {"openid": openid, "unionid": unionid, "subscribe": 1, "subscribe_time": ts, "subscribe_scene": "ADD_SCENE_QR_CODE"}


def _crm(member, phone, unionid, registered):
    return [member, phone, unionid, "张三", "男", "", registered, "门店", "银卡", "100", ""]


def _persons(warehouse: Path) -> dict[str, str]:
    rows = query(warehouse, "select node_key, person_id from intermediate.int_identity__persons")
    return dict(rows.iter_rows())


def _build(landing: Path, warehouse: Path) -> dict[str, str]:
    ingest_landing(landing, warehouse)
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
    write_jsonl(landing / "wechat_oa_users" / "2026-11-01" / "oa.jsonl", [
        _oa("oAnn0000001", "uAnn000000001", 1730000000), _oa("oCy00000001", "uCy0000000001", 1731000000),
    ])
    write_csv(landing / "crm_members" / "2026-11-01" / "crm.csv", CRM_HEADER,
              [_crm("M0001", "13912345678", "", "2025-06-01 10:00:00")], encoding="utf-8")
    day1 = _build(landing, warehouse)
    day1_again = _build(landing, warehouse)

    # Day 2: Cy gains an identifier; the CRM record M0001 now shows Ann's unionid.
    write_jsonl(landing / "wechat_mp_users" / "2026-11-02" / "mp.jsonl", [
        {"openid": "mCy00000001", "unionid": "uCy0000000001", "register_time": 1732000000},
    ])
    write_csv(landing / "crm_members" / "2026-11-02" / "crm.csv", CRM_HEADER,
              [_crm("M0001", "13912345678", "uAnn000000001", "2025-06-01 10:00:00")], encoding="utf-8")
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
