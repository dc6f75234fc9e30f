"""Gifts never merge people: receiver phones judged on what the export rows say.

Hand-written exports (another program than the demo generator), ingested and built with
dbt exactly as the nightly run does. Four CRM members are known persons with their phones.
"""

import pytest

from tests.landing_builders import TMALL_HEADER, write_csv
from tests.warehouse import dbt, ingest_landing, query

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
YOUZAN_HEADER = [
    "订单号",
    "订单状态",
    "订单创建时间",
    "买家付款时间",
    "订单实付金额",
    "订单已退款金额",
    "买家昵称",
    "买家手机号",
    "收货人手机号",
    "销售渠道",
    "分销员",
    "全部商品名称",
]
ANN, BEA, CAT, DAN = "13911110001", "13911110002", "13911110003", "13911110004"
STRANGER = "13911119999"  # a Youzan buyer whose phone is on no record


def _youzan(order_id, created, buyer_phone, receiver_phone):
    return [
        order_id,
        "交易成功",
        created,
        created,
        "199.00",
        "——",
        "小爱",
        buyer_phone,
        receiver_phone,
        "微商城",
        "",
        "面霜",
    ]


def _tmall(order_id, created, nick, phone):
    return [
        order_id,
        nick,
        "199.00",
        "0.00",
        "199.00",
        "199.00",
        "交易成功",
        "王芳",
        "上海市 浦东新区 人民路1号",
        phone,
        created,
        created,
        "面霜",
        "1",
        "悦颜官方旗舰店",
        "0.00",
    ]


@pytest.fixture(scope="module")
def persons(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("gifts")
    landing, warehouse = root / "landing", root / "warehouse"
    write_csv(
        landing / "crm_members" / "2026-10-01" / "crm.csv",
        CRM_HEADER,
        [
            [m, p, "", n, "女", "", f"2025-01-0{i} 10:00:00", "门店", "银卡", "0", ""]
            for i, (m, p, n) in enumerate(
                [("M1", ANN, "安"), ("M2", BEA, "贝"), ("M3", CAT, "凯"), ("M4", DAN, "丹")], 1
            )
        ],
        encoding="utf-8",
    )
    write_csv(
        landing / "youzan_orders" / "2026-10-08" / "youzan.csv",
        YOUZAN_HEADER,
        [
            # Ann (buyer phone on the row) ships three times to Bea, once to herself: all Ann's
            _youzan("E1", "2026-10-01 10:00:00", ANN, BEA),
            _youzan("E2", "2026-10-02 10:00:00", ANN, BEA),
            _youzan("E3", "2026-10-03 10:00:00", ANN, BEA),
            _youzan("E4", "2026-10-04 10:00:00", ANN, ANN),
            # an unknown buyer's only order, shipped to Cat: the buyer is not Cat
            _youzan("E5", "2026-10-05 10:00:00", STRANGER, CAT),
            # a masked buyer phone that is not Cat's number: not Cat either
            _youzan("E6", "2026-10-06 10:00:00", "139****8888", CAT),
        ],
        encoding="utf-8",
    )
    write_csv(
        landing / "tmall_orders" / "2026-10-08" / "tmall.csv",
        TMALL_HEADER,
        [
            # a Tmall account known only by its name: first to Dan (its owner), then a gift to Bea
            _tmall("2835000000000000001", "2026-10-01 09:00:00", "甜甜8888", DAN),
            _tmall("2835000000000000002", "2026-10-05 09:00:00", "甜甜8888", BEA),
            # another account: one order each to Ann and Cat at the same time: no usual phone at all
            _tmall("2835000000000000003", "2026-10-03 09:00:00", "柠檬7777", ANN),
            _tmall("2835000000000000004", "2026-10-03 09:00:00", "柠檬7777", CAT),
        ],
    )
    ingest_landing(landing, warehouse)
    dbt(
        warehouse,
        "build",
        "--select",
        "+int_identity__persons",
        "identity_dropped_links",
        "--exclude",
        "resource_type:unit_test",
    )
    rows = query(warehouse, "select node_key, person_id from intermediate.int_identity__persons")
    return dict(rows.iter_rows())


def _crm(persons, member):
    return persons[f"crm_member_id:{member}"]


def test_a_receiver_phone_that_differs_from_the_buyer_phone_never_joins_the_buyer(persons):
    ann, bea, cat = _crm(persons, "M1"), _crm(persons, "M2"), _crm(persons, "M3")
    assert len({ann, bea, cat}) == 3
    for order in ("E1", "E2", "E3", "E4"):  # a gift giver: more gifts to Bea than orders to herself
        assert persons[f"order:youzan:{order}"] == ann
    assert persons[f"phone:+86{BEA}"] == bea
    stranger = persons[f"phone:+86{STRANGER}"]
    assert persons["order:youzan:E5"] == stranger != cat
    assert persons["order:youzan:E6"] != cat


def test_a_tie_goes_to_the_phone_the_buyer_shipped_to_first(persons):
    dan, bea = _crm(persons, "M4"), _crm(persons, "M2")
    assert persons["tmall_buyer:甜甜8888"] == persons["order:tmall:2835000000000000002"] == dan
    assert persons[f"phone:+86{BEA}"] == bea != dan


def test_a_tie_at_the_same_time_joins_neither_phone(persons):
    ann, cat = _crm(persons, "M1"), _crm(persons, "M3")
    buyer = persons["tmall_buyer:柠檬7777"]
    assert buyer not in (ann, cat)
    assert persons["order:tmall:2835000000000000003"] == persons["order:tmall:2835000000000000004"] == buyer
