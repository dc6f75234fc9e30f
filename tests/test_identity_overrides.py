"""Explaining and correcting merges: `siyu explain` prints the evidence path of an identifier,
and the analysts' overrides file splits a wrong merge (never_link: a minimum cut weighted by
evidence) and merges two persons (always_link), with the effect in audit.identity_overrides
and person ids kept by the merge/split rules.

Hand-written exports in the real shapes (another program than the demo generator), ingested
and built with dbt exactly as the nightly run does, night after night.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dagster_project import cli
from dagster_project.identity.overrides import COLUMNS, OverridesFileError, read_overrides
from tests.landing_builders import TMALL_HEADER, tmall_row, write_csv, write_jsonl
from tests.warehouse import dbt, ingest_landing, query

IDENTITY_MODELS = [
    "build",
    "--select",
    "+customer_identities",
    "+person_id_merges",
    "+identity_overrides",
    "+int_identity__explain",
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
ANN_PHONE, BO_PHONE = "13812345678", "13987654321"


def _landing(landing: Path) -> None:
    """Ann: OA follower since 2024-10-27 (unionid uAnn), Mini Program user with her verified phone,
    Tmall buyer tb_ann shipping to that phone. Bo: CRM member M0002 (his own phone, unionid uBo)
    and a WeCom contact with uBo on which a staff member typed Ann's phone into remark_mobiles:
    the rules join Bo to Ann. Cy: an old OA follower without unionid (oCyOld) and a Mini Program
    user mCy: two persons, though the customer service knows they are one."""
    write_jsonl(
        landing / "wechat_oa_users" / "2026-11-01" / "oa_users.jsonl",
        [
            {
                "openid": "oAnn0000001",
                "unionid": "uAnn000000001",
                "subscribe": 1,
                "subscribe_time": 1730000000,
                "subscribe_scene": "ADD_SCENE_QR_CODE",
            },
            {
                "openid": "oCyOld00001",
                "subscribe": 1,
                "subscribe_time": 1731000000,
                "subscribe_scene": "ADD_SCENE_SEARCH",
            },
        ],
    )
    write_jsonl(
        landing / "wechat_mp_users" / "2026-11-01" / "mp_users.jsonl",
        [
            {
                "openid": "mAnn0000001",
                "unionid": "uAnn000000001",
                "register_time": 1731500000,
                "phone_info": {"phoneNumber": ANN_PHONE, "purePhoneNumber": ANN_PHONE, "countryCode": "86"},
            },
            {"openid": "mCy00000001", "unionid": "uCy0000000001", "register_time": 1732000000},
        ],
    )
    write_jsonl(
        landing / "wecom_contacts" / "2026-11-01" / "contacts.jsonl",
        [
            {
                "external_contact": {
                    "external_userid": "wmBo00000001",
                    "name": "薄先生",
                    "type": 1,
                    "gender": 1,
                    "unionid": "uBo0000000001",
                },
                "follow_user": [
                    {
                        "userid": "zhangsan",
                        "remark": "薄先生",
                        "createtime": 1750000000,
                        "tags": [],
                        "remark_mobiles": [ANN_PHONE],
                        "add_way": 1,
                        "state": "store_sh01",
                    }
                ],
            },
        ],
    )
    write_csv(
        landing / "crm_members" / "2026-11-01" / "members.csv",
        CRM_HEADER,
        [
            [
                "M0002",
                BO_PHONE,
                "uBo0000000001",
                "薄一",
                "男",
                "",
                "2025-06-01 10:00:00",
                "门店",
                "银卡",
                "100",
                "",
            ]
        ],
        encoding="utf-8",
        bom=True,
    )
    write_csv(
        landing / "tmall_orders" / "2026-11-01" / "ExportOrderList202611010900.csv",
        TMALL_HEADER,
        [
            tmall_row(
                "3300000000000001",
                **{
                    "买家会员名": "tb_ann",
                    "联系手机": f"'{ANN_PHONE}",
                    "订单创建时间": "2026-01-05 10:00:00",
                    "订单付款时间": "2026-01-05 10:01:00",
                },
            ),
            tmall_row(
                "3300000000000002",
                **{
                    "买家会员名": "tb_ann",
                    "联系手机": f"'{ANN_PHONE}",
                    "订单创建时间": "2026-03-05 10:00:00",
                    "订单付款时间": "2026-03-05 10:01:00",
                },
            ),
        ],
    )


def _write_overrides(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, list(COLUMNS), rows, encoding="utf-8", bom=True)  # Excel's "CSV UTF-8"


NEVER = [
    "oa_openid",
    "oAnn0000001",
    "crm_member_id",
    "M0002",
    "never_link",
    "Bo is not Ann: staff typed Ann's phone on Bo's WeCom contact (ticket CS-118)",
    "li.na",
    "2026-11-02",
]
ALWAYS = [
    "oa_openid",
    "oCyOld00001",
    "mp_openid",
    "mCy00000001",
    "always_link",
    "same customer, confirmed on the phone; OA account not bound to the Open Platform",
    "wang.wei",
    "2026-11-02",
]


def _persons(warehouse: Path) -> dict[str, str]:
    return dict(
        query(warehouse, "select node_key, person_id from intermediate.int_identity__persons").iter_rows()
    )


def _explain(warehouse: Path, capsys, *args: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WAREHOUSE_DIR", str(warehouse))
        code = cli.main(["explain", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Night 1 without overrides, night 2 with the analysts' two rows."""
    root = tmp_path_factory.mktemp("overrides")
    landing, warehouse = root / "landing", root / "warehouse"
    _landing(landing)
    ingest_landing(landing, warehouse)
    dbt(warehouse, *IDENTITY_MODELS)
    night1 = _persons(warehouse)
    explain_night1 = query(warehouse, "select * from intermediate.int_identity__explain")
    _write_overrides(warehouse / "identity_overrides.csv", [NEVER, ALWAYS])
    dbt(warehouse, *IDENTITY_MODELS)
    night2 = _persons(warehouse)
    return night1, explain_night1, night2, warehouse


def test_without_overrides_the_staff_typo_merges_bo_into_ann(nights):
    night1, *_ = nights
    ann = night1["oa_openid:oAnn0000001"]
    assert night1["crm_member_id:M0002"] == night1["wx_unionid:uBo0000000001"] == ann
    assert night1["oa_openid:oCyOld00001"] != night1["mp_openid:mCy00000001"]


def test_explain_table_holds_each_links_evidence_and_export_file(nights):
    _, explain, *_ = nights
    member = explain.filter(pl.col("node_key") == "crm_member_id:M0002").row(0, named=True)
    assert member["evidence"] == "account" and member["source"] == "crm_members"
    assert member["first_source_file"] == "crm_members/2026-11-01/members.csv" and member["source_files"] == 1
    # the anchor (earliest identifier) has no link; every other identifier has one
    assert explain.filter(pl.col("hops") == 0)["node_key"].to_list() == ["oa_openid:oAnn0000001"] + sorted(
        explain.filter((pl.col("hops") == 0) & (pl.col("node_key") != "oa_openid:oAnn0000001"))["node_key"]
    )
    assert explain.filter((pl.col("hops") > 0) & pl.col("evidence").is_null()).is_empty()


def test_never_link_cuts_the_weakest_evidence_between_the_pair(nights):
    *_, warehouse = nights
    audit = query(warehouse, "select * from audit.identity_overrides where action = 'never_link'")
    # the only paths from Ann's OA openid to Bo's member run through the staff-typed phone:
    # the cut takes that link (weight 5), not the platform's unionid bindings (100 each)
    assert audit.select(
        "change", "link_left_key", "link_right_key", "link_weight", "link_evidence"
    ).rows() == [
        (
            "cut",
            "phone:+8613812345678",
            "wecom_external_userid:wmBo00000001",
            5,
            "phone_staff (wecom_contacts)",
        )
    ]
    row = audit.row(0, named=True)
    assert (row["override_row"], row["author"], row["reason"]) == (2, "li.na", NEVER[5])
    assert row["left_person_id"] != row["right_person_id"]


def test_a_split_keeps_the_id_on_the_part_with_the_anchor(nights):
    night1, _, night2, warehouse = nights
    ann = night1["oa_openid:oAnn0000001"]
    assert (
        night2["oa_openid:oAnn0000001"]
        == night2["phone:+8613812345678"]
        == night2["order:tmall:3300000000000001"]
        == ann
    )
    bo = night2["crm_member_id:M0002"]
    assert bo != ann
    assert (
        night2["wx_unionid:uBo0000000001"]
        == night2["wecom_external_userid:wmBo00000001"]
        == night2["phone:+8613987654321"]
        == bo
    )
    # Bo's part gets the id of its own anchor: the same id a build that never merged him gives
    anchors = query(
        warehouse,
        f"select node_key from intermediate.int_identity__persons where is_anchor and person_id = '{bo}'",
    )["node_key"].to_list()
    assert anchors == ["crm_member_id:M0002"]  # registered 2025-06-01, before the WeCom export


def test_always_link_merges_two_persons_and_the_older_id_survives(nights):
    night1, _, night2, warehouse = nights
    old, new = night1["oa_openid:oCyOld00001"], night1["mp_openid:mCy00000001"]
    assert (
        night2["oa_openid:oCyOld00001"]
        == night2["mp_openid:mCy00000001"]
        == night2["wx_unionid:uCy0000000001"]
        == old
    )
    merges = query(warehouse, "select retired_person_id, person_id from marts.person_id_merges")
    assert (new, old) in merges.rows()
    audit = query(
        warehouse,
        "select change, link_left_key, link_right_key, status, left_person_id, right_person_id "
        "from audit.identity_overrides where action = 'always_link'",
    )
    assert audit.rows() == [
        ("added", "oa_openid:oCyOld00001", "mp_openid:mCy00000001", "link added", old, old)
    ]


def test_siyu_explain_prints_the_evidence_path(nights, capsys):
    *_, warehouse = nights
    code, out = _explain(warehouse, capsys, "--phone", "138 1234 5678")  # as a customer says it
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("phone:+8613812345678 belongs to person ")
    path = out[out.index("path to the anchor") : out.index("other identifiers")]
    # phone -> (verified in the Mini Program) -> mp openid -> unionid -> OA openid (the anchor)
    assert [line.strip() for line in path.splitlines() if line.strip() and not line.strip().startswith("|")][
        1:
    ] == [
        "phone:+8613812345678",
        "mp_openid:mAnn0000001",
        "wx_unionid:uAnn000000001",
        "oa_openid:oAnn0000001  (anchor)",
    ]
    assert (
        "phone_verified  wechat_mp_users" in path and "from wechat_mp_users/2026-11-01/mp_users.jsonl" in path
    )
    others = out[out.index("other identifiers") : out.index("overrides touching the person")]
    assert "tmall_buyer:tb_ann" in others and "order:tmall:3300000000000001" in others
    assert "M0002" not in others and "wmBo" not in others  # cut away by the override
    assert "line 2: never_link oa_openid:oAnn0000001 / crm_member_id:M0002 by li.na" in out

    code, out = _explain(warehouse, capsys, "--openid", "mCy00000001")
    assert code == 0, out
    assert (
        "override_always_link  identity_overrides.csv line 3, by wang.wei on 2026-11-02: "
        "same customer, confirmed on the phone"
    ) in out
    assert "line 3: always_link oa_openid:oCyOld00001 / mp_openid:mCy00000001 by wang.wei" in out

    code, out = _explain(warehouse, capsys, "--member-id", "M0002")
    assert code == 0 and "line 2: never_link oa_openid:oAnn0000001 / crm_member_id:M0002 by li.na" in out

    code, out = _explain(warehouse, capsys, "--order", "3300000000000002")
    assert code == 0 and out.startswith("order:tmall:3300000000000002 belongs to person ")
    # the shortest path runs through the receiver phone the gift rules accepted (her usual one)
    assert (
        "phone_receiver  tmall_orders      seen 2026-03-05 .. 2026-03-05 (1x)  "
        "from tmall_orders/2026-11-01/ExportOrderList202611010900.csv"
    ) in out

    code, out = _explain(warehouse, capsys, "--phone", "138****5678")
    assert code == 1 and "not a phone number" in out
    code, out = _explain(warehouse, capsys, "--unionid", "uNobody")
    assert code == 1 and "in no export" in out


def test_identity_health_lists_the_largest_persons_paths_masked(nights):
    import duckdb

    from dagster_project.identity.health import largest_persons_markdown

    *_, warehouse = nights
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        text = largest_persons_markdown(con, persons=2)
    assert "phone_verified" in text and "wechat_mp_users" in text and "account" in text
    for plain in (
        "13812345678",
        "oAnn0000001",
        "uAnn000000001",
        "mAnn0000001",
        "tb_ann",
        "3300000000000001",
        "M0002",
    ):
        assert plain not in text, plain


def test_a_contradictory_file_fails_the_build_naming_the_line(nights, tmp_path):
    *_, warehouse = nights
    # Cy's two ids are joined only by an always_link row: a never_link on them cannot be honoured
    contradiction = [
        "mp_openid",
        "mCy00000001",
        "oa_openid",
        "oCyOld00001",
        "never_link",
        "no",
        "x",
        "2026-11-03",
    ]
    _write_overrides(warehouse / "identity_overrides.csv", [NEVER, ALWAYS, contradiction])
    try:
        with pytest.raises(AssertionError, match="contradicts"):
            dbt(warehouse, *IDENTITY_MODELS)
    finally:
        _write_overrides(warehouse / "identity_overrides.csv", [NEVER, ALWAYS])


@pytest.mark.parametrize(
    "row, message",
    [
        (
            ["phne", "13812345678", "crm_member_id", "M1", "never_link", "typo", "li.na", "2026-11-02"],
            ":2 left_type: unknown identifier type 'phne'",
        ),
        (
            ["phone", "13812345678", "crm_member_id", "M1", "never_link", "", "li.na", "2026-11-02"],
            ":2 reason: missing",
        ),
        (
            ["phone", "13812345678", "crm_member_id", "M1", "never_link", "why", " ", "2026-11-02"],
            ":2 author: missing",
        ),
        (
            ["phone", "138****5678", "crm_member_id", "M1", "never_link", "why", "li.na", "2026-11-02"],
            ":2 left_value: '138****5678' is not a phone number",
        ),
        (
            ["phone", "13812345678", "crm_member_id", "M1", "unlink", "why", "li.na", "2026-11-02"],
            ":2 action: 'unlink' is not one of never_link, always_link",
        ),
        (
            ["phone", "13812345678", "crm_member_id", "M1", "never_link", "why", "li.na", "2026/11/02"],
            ":2 added_on: '2026/11/02' is not a date",
        ),
    ],
)
def test_bad_override_rows_are_named_by_file_line_and_column(tmp_path, row, message):
    path = _write_overrides(tmp_path / "identity_overrides.csv", [row])
    with pytest.raises(OverridesFileError) as error:
        read_overrides(path)
    assert f"{path}{message}" in str(error.value)


def test_override_file_checks_header_duplicates_and_gbk(tmp_path):
    bad_header = tmp_path / "header.csv"
    write_csv(
        bad_header,
        ["left_type", "left_value", "right_type", "right_value", "action", "reason", "added_on", "who"],
        [],
        encoding="utf-8",
    )
    with pytest.raises(
        OverridesFileError, match=r"header.csv:1 header: missing column\(s\) author; unknown column\(s\) who"
    ):
        read_overrides(bad_header)
    row = [
        "phone",
        "+86 138-1234-5678",
        "crm_member_id",
        "M1",
        "never_link",
        "客服确认不是同一人",
        "李娜",
        "2026-11-02",
    ]
    twice = write_csv(
        tmp_path / "twice.csv", list(COLUMNS), [row, row[:4] + ["always_link"] + row[5:]], encoding="gb18030"
    )
    with pytest.raises(
        OverridesFileError, match=r"twice.csv:3: always_link contradicts \(never_link\) line 2"
    ):
        read_overrides(twice)
    good = read_overrides(write_csv(tmp_path / "good.csv", list(COLUMNS), [row], encoding="gb18030"))
    assert good.select("override_row", "left_key", "reason", "author").rows() == [
        (2, "phone:+8613812345678", "客服确认不是同一人", "李娜")
    ]
    assert read_overrides(tmp_path / "missing.csv").is_empty()


def test_an_erasure_removes_the_override_rows_that_name_the_person(tmp_path):
    """The overrides file holds identifiers in plain text: an erased person's rows go, others stay."""
    from dagster_project.privacy.erasure import denied_hash, erase_overrides
    from dagster_project.rules.pseudonymize import pseudonym_key

    path = tmp_path / "identity_overrides.csv"
    rows = [
        ",".join(COLUMNS),
        "phone,138 0013 8000,crm_member_id,M1,never_link,staff typo,li.na,2026-11-01",
        "oa_openid,oAnn000000000000000000000001,crm_member_id,M2,always_link,same person,li.na,2026-11-02",
    ]
    path.write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    key = pseudonym_key()
    denied = frozenset({denied_hash("+8613800138000", key)})  # the erased person's phone, normalised
    assert erase_overrides(path, denied, key) == 1
    kept = read_overrides(path)
    assert kept.height == 1 and kept["left_value"].to_list() == ["oAnn000000000000000000000001"]
    assert "138" not in path.read_text(encoding="utf-8")
    assert erase_overrides(path, denied, key) == 0  # idempotent
