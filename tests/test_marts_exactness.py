"""Every customer mart equals an independent recomputation, on a clean generated landing.

The shared ``clean_warehouse`` fixture (tests/conftest.py) generates a clean landing
(``--clean``: no bad rows, no identity traps), ingests it into a tmp WAREHOUSE_DIR and runs
``dbt build`` in-process with dbtRunner. This module recomputes every mart with polars from

- the generator's ground truth: ``orders.parquet`` (the true final state of every order:
  paid / refunded / net / valid), ``persons.parquet`` (the generator's own person-level
  values) and ``identifiers.parquet``;
- the ingested bronze Parquet for the touch points (OA follows, WeCom adds, MP events and
  registrations, group joins, CRM registrations), which the ground truth does not time;
- the identity graph's identifier -> person_id table, which is the marts' input: marts are
  exact *given* the persons (identity accuracy has its own tests).

None of the dbt SQL is reused. Persons are the graph's persons, not the generator's humans:
an identifier the landing never links to the rest of its human (ground truth
``discoverable = false``, e.g. an OA follower without unionid) is a person of its own, as
marts.md defines a person. So the generator's person-level values are checked on the
"whole" persons (a graph person holding exactly one human's identifiers, all of them), and
the recomputation covers everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dagster_project.clv import fitting as clv
from tests.conftest import AS_OF
from tests.warehouse import query

BJ = "Asia/Shanghai"
AS_OF_DATE = dt.date.fromisoformat(AS_OF)
AS_OF_MONTH = AS_OF_DATE.replace(day=1)
TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(38, 2)
# the thresholds of dbt_project.yml (`# marts` vars); restated on purpose: the test pins the spec
NEW_MAX, LOYAL_MIN, LOYAL_WINDOW, ACTIVE_MAX, DORMANT_MAX = 30, 3, 365, 90, 180
REPURCHASE_WINDOWS = [30, 60, 90]
FUNNEL_WINDOW_DAYS = 7
LTV_WINDOWS = [30, 90, 180, 365]
STAGES = ["aware", "interest", "consider", "purchase", "repeat", "referral"]
MP_STEPS = ["view_item", "add_to_cart", "begin_checkout", "purchase"]


# ----------------------------------------------------------------------------- helpers


def bj_date(col: str | pl.Expr) -> pl.Expr:
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.dt.convert_time_zone(BJ).dt.date()


def bj_month(col: str | pl.Expr) -> pl.Expr:
    return bj_date(col).dt.truncate("1mo")


def months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    return (end.dt.year() - start.dt.year()) * 12 + end.dt.month() - start.dt.month()


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """One dtype per kind, so frames from DuckDB and from polars compare value by value."""
    casts = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            casts.append(pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
        elif isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(MONEY))
        elif dtype.is_integer():
            casts.append(pl.col(name).cast(pl.Int64))
        elif dtype.is_float():
            casts.append(pl.col(name).cast(pl.Float64))
    return frame.with_columns(casts)


def assert_same(actual: pl.DataFrame, expected: pl.DataFrame, key: list[str], name: str) -> None:
    columns = expected.columns
    actual = normalise(actual.select(columns)).sort(key, nulls_last=True)
    expected = normalise(expected).sort(key, nulls_last=True)
    assert actual.height == expected.height, f"{name}: {actual.height} rows, expected {expected.height}"
    diff = actual.join(expected, on=key, how="anti", nulls_equal=True)
    assert diff.height == 0, f"{name}: keys not expected:\n{diff.head()}"
    assert_frame_equal(actual, expected, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def latest(frame: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
    """The landing contract's latest-export-wins rule (ties: later file, later row)."""
    return frame.sort(["_export_date", "_source_file", "_row_number"], descending=True).unique(
        key, keep="first", maintain_order=True
    )


def bronze(warehouse: Path, source: str) -> pl.LazyFrame:
    return pl.scan_parquet(
        str(warehouse / "bronze" / source / "*" / "*.parquet"),
        missing_columns="insert",
        extra_columns="ignore",
    )


def nonempty(col: str) -> pl.Expr:
    trimmed = pl.col(col).str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


# ------------------------------------------------------------------- the recomputation


@dataclass
class Expected:
    orders: pl.DataFrame
    buyers: pl.DataFrame
    events: pl.DataFrame
    first_touch: pl.DataFrame
    lifecycle: pl.DataFrame
    referrals: pl.DataFrame
    customers: pl.DataFrame
    whole_persons: pl.DataFrame


def recompute(warehouse: Path, truth: Path) -> Expected:
    ids = query(
        warehouse,
        "select person_id, identifier_type, identifier_value from intermediate.int_identity__persons",
    )

    def person_of(identifier_type: str, column: str, alias: str = "person_id") -> pl.DataFrame:
        return ids.filter(pl.col("identifier_type") == identifier_type).select(
            pl.col("identifier_value").alias(column), pl.col("person_id").alias(alias)
        )

    persons = ids.select("person_id").unique()

    # ---- orders: the generator's final order state, the graph's buyer, the rank rule
    orders = (
        pl.read_parquet(truth / "orders.parquet")
        .select(
            "order_key",
            "platform",
            "platform_order_id",
            "ordered_at",
            "paid_at",
            "paid_amount",
            "refunded_amount",
            "net_amount",
            "is_valid",
        )
        .join(person_of("order", "order_key"), on="order_key", how="left")
    )
    ranked = (
        orders.filter(pl.col("is_valid") & pl.col("person_id").is_not_null())
        .sort(["person_id", "paid_at", "order_key"])
        .with_columns(valid_order_seq=pl.int_range(1, pl.len() + 1).over("person_id"))
        .select("order_key", "valid_order_seq")
    )
    orders = orders.join(ranked, on="order_key", how="left")

    valid = orders.filter(pl.col("is_valid") & pl.col("person_id").is_not_null())
    buyers = (
        valid.group_by("person_id")
        .agg(
            first_order_at=pl.col("paid_at").filter(pl.col("valid_order_seq") == 1).first(),
            repeat_order_at=pl.col("paid_at").filter(pl.col("valid_order_seq") == 2).first(),
            last_order_at=pl.col("paid_at").max(),
            valid_orders=pl.len(),
            net_revenue=pl.col("net_amount").sum().cast(MONEY),
            orders_in_window=(
                (pl.lit(AS_OF_DATE) - bj_date("paid_at")).dt.total_days() <= LOYAL_WINDOW
            ).sum(),
        )
        .with_columns(d=(pl.lit(AS_OF_DATE) - bj_date("last_order_at")).dt.total_days())
    )

    # ---- MP events: deduplicated, attributed by openid, else by a known device
    events = (
        latest(bronze(warehouse, "wechat_mp_events"), ["event_id"])
        .collect()
        .select("event_id", "event", "event_time", "openid", "anonymous_id", "share_from", "channel")
        .join(person_of("mp_openid", "openid", "by_openid"), on="openid", how="left")
        .join(person_of("mp_anonymous_id", "anonymous_id", "by_device"), on="anonymous_id", how="left")
        .join(person_of("mp_openid", "share_from", "sharer"), on="share_from", how="left")
        .with_columns(person_id=pl.coalesce("by_openid", "by_device"))
    )
    person_events = events.filter(pl.col("person_id").is_not_null())

    # ---- touches (precedence at equal times: referral, WeCom, OA, MP, group, CRM, order)
    first_event = (
        person_events.sort(["event_time", "event_id"]).group_by("person_id", maintain_order=True).first()
    )
    is_referral = pl.col("sharer").is_not_null() & (pl.col("sharer") != pl.col("person_id"))
    mp_first = first_event.select(
        "person_id",
        t="event_time",
        prec=pl.when(is_referral).then(1).otherwise(4),
        channel=pl.when(is_referral)
        .then(pl.lit("referral"))
        .otherwise(pl.lit("mp:") + pl.coalesce(nonempty("channel"), pl.lit("organic"))),
        referred_by=pl.when(is_referral).then("sharer"),
        ref="event_id",
    )
    oa = (
        bronze(warehouse, "wechat_oa_users")
        .filter(pl.col("subscribe_time").is_not_null())
        .collect()
        .join(person_of("oa_openid", "openid"), on="openid")
        .select(
            "person_id",
            t="subscribe_time",
            prec=pl.lit(3),
            channel=pl.lit("oa:")
            + pl.coalesce(nonempty("qr_scene_str"), nonempty("subscribe_scene"), pl.lit("unknown")),
            ref="openid",
        )
    )
    follow = pl.List(
        pl.Struct({"userid": pl.String, "createtime": pl.Int64, "state": pl.String, "add_way": pl.Int64})
    )
    wecom = (
        bronze(warehouse, "wecom_contacts")
        .select("external_userid", "follow_user")
        .collect()
        .with_columns(pl.col("follow_user").str.json_decode(follow))
        .explode("follow_user")
        .unnest("follow_user")
        .filter(pl.col("createtime") > 0)
        .join(person_of("wecom_external_userid", "external_userid"), on="external_userid")
        .select(
            "person_id",
            t=pl.from_epoch("createtime", "s").dt.replace_time_zone("UTC"),
            prec=pl.lit(2),
            channel=pl.when(nonempty("state").is_not_null())
            .then(pl.lit("wecom:") + nonempty("state"))
            .otherwise(
                pl.lit("wecom:add_way_") + pl.coalesce(pl.col("add_way").cast(pl.String), pl.lit("unknown"))
            ),
            ref=pl.col("external_userid") + "/" + pl.col("userid"),
        )
    )
    registrations = (
        latest(bronze(warehouse, "wechat_mp_users"), ["openid"])
        .collect()
        .filter(pl.col("register_time").is_not_null())
        .join(person_of("mp_openid", "openid"), on="openid")
        .join(first_event.select("person_id", first_channel=nonempty("channel")), on="person_id", how="left")
        .select(
            "person_id",
            t="register_time",
            prec=pl.lit(4),
            channel=pl.lit("mp:") + pl.coalesce("first_channel", pl.lit("organic")),
            ref="openid",
        )
    )
    member = pl.List(pl.Struct({"userid": pl.String, "type": pl.Int64, "join_time": pl.Int64}))
    group_joins = (
        bronze(warehouse, "wecom_groups")
        .select("chat_id", "member_list")
        .collect()
        .with_columns(pl.col("member_list").str.json_decode(member))
        .explode("member_list")
        .unnest("member_list")
        .filter((pl.col("type") == 2) & (pl.col("join_time") > 0))
        .join(person_of("wecom_external_userid", "userid"), on="userid")
        .select(
            "person_id",
            t=pl.from_epoch("join_time", "s").dt.replace_time_zone("UTC"),
            prec=pl.lit(5),
            channel=pl.lit("wecom_group"),
            ref="chat_id",
        )
    )
    crm = (
        latest(bronze(warehouse, "crm_members"), ["member_id"])
        .collect()
        .filter(pl.col("registered_at").is_not_null())
        .join(person_of("crm_member_id", "member_id"), on="member_id")
        .select(
            "person_id",
            t="registered_at",
            prec=pl.lit(6),
            channel=pl.lit("crm:") + pl.coalesce(nonempty("register_channel"), pl.lit("unknown")),
            ref="member_id",
        )
    )
    order_touches = orders.filter(
        pl.col("person_id").is_not_null() & pl.col("ordered_at").is_not_null()
    ).select(
        "person_id",
        t="ordered_at",
        prec=pl.lit(7),
        channel=pl.lit("platform:") + pl.col("platform"),
        ref="order_key",
    )
    touches = pl.concat(
        [normalise(f) for f in (mp_first, oa, wecom, registrations, group_joins, crm, order_touches)],
        how="diagonal_relaxed",
    )
    first_touch = persons.join(
        touches.sort(["person_id", "t", "prec", "channel", "ref"])
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", aware_at="t", acquisition_channel="channel", referred_by="referred_by"),
        on="person_id",
        how="left",
    )

    # ---- referrals and lifecycle
    referrals = (
        first_touch.filter(pl.col("acquisition_channel") == "referral")
        .join(buyers.select("person_id", "first_order_at"), on="person_id", how="left")
        .select(
            invitee_person_id="person_id",
            inviter_person_id="referred_by",
            referred_at="aware_at",
            invitee_first_order_at="first_order_at",
        )
    )
    interest = (
        pl.concat(
            [
                normalise(
                    person_events.filter(pl.col("event").is_in(["view_item", "coupon_claim"])).select(
                        "person_id", t="event_time"
                    )
                ),
                normalise(group_joins.select("person_id", "t")),
            ]
        )
        .group_by("person_id")
        .agg(interest_at=pl.col("t").min())
    )
    consider = (
        person_events.filter(pl.col("event").is_in(["add_to_cart", "begin_checkout"]))
        .group_by("person_id")
        .agg(consider_at=pl.col("event_time").min())
    )
    referral_at = (
        referrals.group_by("inviter_person_id")
        .agg(referral_at=pl.col("referred_at").min())
        .rename({"inviter_person_id": "person_id"})
    )
    lifecycle = (
        first_touch.join(interest, on="person_id", how="left")
        .join(consider, on="person_id", how="left")
        .join(buyers.select("person_id", "first_order_at", "repeat_order_at"), on="person_id", how="left")
        .join(referral_at, on="person_id", how="left")
    )
    later = ["aware_at", "interest_at", "consider_at", "first_order_at", "repeat_order_at"]
    lifecycle = lifecycle.with_columns(
        **{
            f"reached_{stage}": pl.any_horizontal([pl.col(c).is_not_null() for c in later[i:]])
            for i, stage in enumerate(STAGES[:5])
        },
        reached_referral=pl.col("referral_at").is_not_null(),
        cohort_month=bj_month("aware_at"),
    )

    # ---- dim_customers: lifecycle and RFM segments
    customers = first_touch.join(buyers, on="person_id", how="left").with_columns(
        valid_orders=pl.col("valid_orders").fill_null(0),
        net_revenue=pl.col("net_revenue").fill_null(0).cast(MONEY),
    )
    d = pl.col("d")
    customers = customers.with_columns(
        lifecycle_segment=(
            pl.when(pl.col("valid_orders") == 0)
            .then(pl.lit("potential"))
            .when((pl.col("valid_orders") == 1) & (d <= NEW_MAX))
            .then(pl.lit("new"))
            .when((pl.col("orders_in_window") >= LOYAL_MIN) & (d <= ACTIVE_MAX))
            .then(pl.lit("loyal"))
            .when(d <= ACTIVE_MAX)
            .then(pl.lit("active"))
            .when(d <= DORMANT_MAX)
            .then(pl.lit("dormant"))
            .otherwise(pl.lit("churned"))
        )
    )
    is_buyer = pl.col("valid_orders") > 0
    r_high = d <= d.filter(is_buyer).cast(pl.Float64).mean()
    f_high = pl.col("valid_orders") >= pl.col("valid_orders").filter(is_buyer).cast(pl.Float64).mean()
    m = pl.col("net_revenue").cast(pl.Float64)
    m_high = m >= m.filter(is_buyer).mean()
    names = {
        (1, 1, 1): "重要价值客户",
        (1, 0, 1): "重要发展客户",
        (0, 1, 1): "重要保持客户",
        (0, 0, 1): "重要挽留客户",
        (1, 1, 0): "一般价值客户",
        (1, 0, 0): "一般发展客户",
        (0, 1, 0): "一般保持客户",
        (0, 0, 0): "一般挽留客户",
    }
    code = r_high.cast(pl.Int32) * 100 + f_high.cast(pl.Int32) * 10 + m_high.cast(pl.Int32)
    customers = customers.with_columns(
        rfm_segment=pl.when(is_buyer).then(
            code.replace_strict(
                {a * 100 + b * 10 + c: v for (a, b, c), v in names.items()}, return_dtype=pl.String
            )
        )
    )

    # ---- graph persons that are exactly one generator human (all of its identifiers)
    truth_ids = pl.read_parquet(truth / "identifiers.parquet").filter(pl.col("person_id").is_not_null())
    joined = truth_ids.rename({"person_id": "human"}).join(
        ids, on=["identifier_type", "identifier_value"], how="left"
    )
    per_human = joined.group_by("human").agg(
        graph_persons=pl.col("person_id").n_unique(),
        person_id=pl.col("person_id").first(),
        unlinked=pl.col("person_id").null_count(),
    )
    per_person = joined.group_by("person_id").agg(humans=pl.col("human").n_unique())
    whole = (
        per_human.filter((pl.col("graph_persons") == 1) & (pl.col("unlinked") == 0))
        .join(per_person.filter(pl.col("humans") == 1), on="person_id")
        .select("human", "person_id")
    )

    return Expected(orders, buyers, events, first_touch, lifecycle, referrals, customers, whole)


@pytest.fixture(scope="module")
def expected(clean_warehouse, clean_landing) -> Expected:
    return recompute(clean_warehouse, clean_landing[1])


@pytest.fixture(scope="module")
def mart(clean_warehouse):
    def read(table: str) -> pl.DataFrame:
        return query(clean_warehouse, f"select * from marts.{table}")

    return read


# ------------------------------------------------------------------------------ tests


def test_fct_orders(mart, expected):
    assert_same(mart("fct_orders"), expected.orders, ["order_key"], "fct_orders")


def test_orders_equal_the_generators_final_state(mart, clean_landing):
    """Straight from orders.parquet: every order, its amounts and validity; the rank of the
    valid orders of the generator's humans is the graph person's rank for whole persons."""
    truth = pl.read_parquet(clean_landing[1] / "orders.parquet")
    columns = [
        "order_key",
        "platform",
        "platform_order_id",
        "ordered_at",
        "paid_at",
        "paid_amount",
        "refunded_amount",
        "net_amount",
        "is_valid",
    ]
    assert_same(mart("fct_orders"), truth.select(columns), ["order_key"], "fct_orders vs orders.parquet")


def test_whole_persons_equal_the_generators_person_values(mart, expected, clean_landing):
    """The generator's own person-level values (persons.parquet) hold for every graph person
    that is exactly one human; this also validates the recomputation of this module."""
    truth = pl.read_parquet(clean_landing[1] / "persons.parquet").rename({"person_id": "human"})
    whole = expected.whole_persons
    assert whole.height >= 0.5 * truth.height, "too few whole persons to judge"
    to_person = whole.rename({"human": "referred_by", "person_id": "referred_by_person_id"})
    truth = truth.join(whole, on="human").join(to_person, on="referred_by", how="left")
    dim = mart("dim_customers").join(
        mart("fct_customer_lifecycle").select(
            "person_id", "interest_at", "consider_at", "repeat_order_at", "referral_at"
        ),
        on="person_id",
    )
    dim = dim.join(whole, on="person_id")
    columns = {
        "first_seen_at": "aware_at",
        "acquisition_channel": "acquisition_channel",
        "first_order_at": "first_order_at",
        "last_order_at": "last_order_at",
        "valid_orders": "valid_orders",
        "net_revenue": "net_revenue",
        "lifecycle_segment": "lifecycle_segment",
        "interest_at": "interest_at",
        "consider_at": "consider_at",
        "repeat_order_at": "repeat_order_at",
        "referred_by_person_id": "referred_by_person_id",
    }
    actual = dim.select("person_id", *columns)
    wanted = truth.select("person_id", *[pl.col(v).alias(k) for k, v in columns.items()])
    # a referrer who is not a whole person has no graph id to compare with: compare the flag
    referred_elsewhere = truth.filter(
        pl.col("referred_by").is_not_null() & pl.col("referred_by_person_id").is_null()
    )["person_id"]
    actual = actual.with_columns(
        referred_by_person_id=pl.when(pl.col("person_id").is_in(referred_elsewhere.implode()))
        .then(pl.lit(None))
        .otherwise("referred_by_person_id")
    )
    assert_same(actual, wanted, ["person_id"], "whole persons vs persons.parquet")
    # Not compared here: rfm_segment (means over all buyers, split humans included) and
    # referral_at (its invitees need not be whole persons); both are checked against the
    # recomputation in test_dim_customers / test_fct_customer_lifecycle.


def test_whole_persons_match_the_recomputation_too(expected, clean_landing):
    truth = (
        pl.read_parquet(clean_landing[1] / "persons.parquet")
        .rename({"person_id": "human"})
        .join(expected.whole_persons, on="human")
    )
    mine = expected.lifecycle.join(expected.whole_persons, on="person_id")
    assert_same(
        mine.select("person_id", "aware_at", "acquisition_channel", "interest_at", "consider_at"),
        truth.select("person_id", "aware_at", "acquisition_channel", "interest_at", "consider_at"),
        ["person_id"],
        "recomputation vs persons.parquet",
    )


def test_dim_customers(mart, expected):
    wanted = expected.customers.select(
        "person_id",
        first_seen_at="aware_at",
        acquisition_channel="acquisition_channel",
        first_order_at="first_order_at",
        last_order_at="last_order_at",
        valid_orders="valid_orders",
        net_revenue="net_revenue",
        lifecycle_segment="lifecycle_segment",
        rfm_segment="rfm_segment",
        referred_by_person_id="referred_by",
    )
    assert_same(mart("dim_customers"), wanted, ["person_id"], "dim_customers")


def test_fct_customer_lifecycle(mart, expected):
    columns = [
        "person_id",
        "aware_at",
        "interest_at",
        "consider_at",
        "first_order_at",
        "repeat_order_at",
        "referral_at",
        *[f"reached_{s}" for s in STAGES],
    ]
    assert_same(
        mart("fct_customer_lifecycle"),
        expected.lifecycle.select(columns),
        ["person_id"],
        "fct_customer_lifecycle",
    )


def test_fct_referrals(mart, expected):
    assert_same(mart("fct_referrals"), expected.referrals, ["invitee_person_id"], "fct_referrals")
    assert expected.referrals.height > 0, "the landing should contain referrals"


def test_agg_funnel_monthly(mart, expected):
    counts = (
        expected.lifecycle.filter(pl.col("aware_at").is_not_null())
        .group_by("cohort_month", "acquisition_channel")
        .agg(**{s: pl.col(f"reached_{s}").sum() for s in STAGES})
    )
    rows = []
    for i, stage in enumerate(STAGES):
        previous = pl.col(STAGES[i - 1]) if i else None
        rows.append(
            counts.select(
                "cohort_month",
                "acquisition_channel",
                stage=pl.lit(stage),
                persons=pl.col(stage),
                conversion_from_previous=(pl.col(stage) / previous).cast(pl.Float64)
                if i
                else pl.lit(None, pl.Float64),
                conversion_from_top=(pl.col(stage) / pl.col("aware")).cast(pl.Float64),
            )
        )
    wanted = (
        pl.concat(rows)
        .filter(pl.col("persons") > 0)
        .with_columns(
            conversion_from_previous=pl.when(pl.col("conversion_from_previous").is_finite()).then(
                "conversion_from_previous"
            )
        )
    )
    assert_same(
        mart("agg_funnel_monthly"),
        wanted,
        ["cohort_month", "acquisition_channel", "stage"],
        "agg_funnel_monthly",
    )


def test_fct_cohort_retention(mart, expected):
    cohorts = expected.buyers.with_columns(cohort_month=bj_month("first_order_at"))
    sizes = cohorts.group_by("cohort_month").agg(cohort_size=pl.len())
    spine = sizes.with_columns(
        months_since_first_order=pl.int_ranges(
            0, months_between(pl.col("cohort_month"), pl.lit(AS_OF_MONTH)) + 1
        )
    ).explode("months_since_first_order")
    activity = (
        expected.orders.filter(pl.col("is_valid") & pl.col("person_id").is_not_null())
        .join(cohorts.select("person_id", "cohort_month"), on="person_id")
        .with_columns(months_since_first_order=months_between(pl.col("cohort_month"), bj_month("paid_at")))
        .group_by("cohort_month", "months_since_first_order")
        .agg(retained_customers=pl.col("person_id").n_unique(), net_revenue=pl.col("net_amount").sum())
    )
    wanted = (
        spine.join(activity, on=["cohort_month", "months_since_first_order"], how="left")
        .with_columns(
            retained_customers=pl.col("retained_customers").fill_null(0),
            net_revenue=pl.col("net_revenue").fill_null(0).cast(MONEY),
        )
        .sort("cohort_month", "months_since_first_order")
        .with_columns(
            retention_rate=pl.col("retained_customers") / pl.col("cohort_size"),
            cumulative_ltv_per_customer=pl.col("net_revenue").cast(pl.Float64).cum_sum().over("cohort_month")
            / pl.col("cohort_size"),
        )
    )
    actual = mart("fct_cohort_retention")
    assert_same(
        actual,
        wanted.select(actual.columns),
        ["cohort_month", "months_since_first_order"],
        "fct_cohort_retention",
    )
    assert (
        actual.filter(pl.col("months_since_first_order") == 0)["cohort_size"].sum() == expected.buyers.height
    ), "cohort sizes sum to the buyers"


def test_agg_repurchase_rates(mart, expected):
    b = expected.buyers.with_columns(
        cohort_month=bj_month("first_order_at"),
        age=(pl.lit(AS_OF_DATE) - bj_date("first_order_at")).dt.total_days(),
    )
    rows = []
    for n in REPURCHASE_WINDOWS:
        eligible = pl.col("age") >= n
        again = eligible & (
            pl.col("repeat_order_at") < pl.col("first_order_at") + pl.duration(days=n)
        ).fill_null(False)
        rows.append(
            b.group_by("cohort_month").agg(
                n_days=pl.lit(n), eligible_buyers=eligible.sum(), repurchasers=again.sum()
            )
        )
    wanted = pl.concat(rows).with_columns(
        repurchase_rate=pl.when(pl.col("eligible_buyers") > 0).then(
            pl.col("repurchasers") / pl.col("eligible_buyers")
        )
    )
    assert_same(mart("agg_repurchase_rates"), wanted, ["cohort_month", "n_days"], "agg_repurchase_rates")


def test_agg_kpis_monthly(mart, expected):
    valid = expected.orders.filter(pl.col("is_valid")).with_columns(month=bj_month("paid_at"))
    persons = expected.first_touch.with_columns(month=bj_month("aware_at"))
    first = min(persons["month"].drop_nulls().min(), valid["month"].min())
    months = pl.DataFrame({"month": pl.date_range(first, AS_OF_MONTH, "1mo", eager=True)})
    per_buyer = valid.filter(pl.col("person_id").is_not_null()).group_by("month", "person_id").agg(n=pl.len())
    events = expected.events.filter(pl.col("person_id").is_not_null()).with_columns(
        month=bj_month("event_time")
    )
    active_existing = (
        events.join(persons.select("person_id", aware_month="month"), on="person_id")
        .filter(pl.col("aware_month") < pl.col("month"))
        .group_by("month")
        .agg(active=pl.col("person_id").n_unique())
    )
    parts = [
        persons.group_by("month").agg(new_persons=pl.len()),
        per_buyer.group_by("month").agg(buyers=pl.len(), repeat_buyers=(pl.col("n") >= 2).sum()),
        expected.buyers.group_by(month=bj_month("first_order_at")).agg(new_buyers=pl.len()),
        valid.group_by("month").agg(
            orders=pl.len(), gmv=pl.col("paid_amount").sum(), net_revenue=pl.col("net_amount").sum()
        ),
        expected.referrals.group_by(month=bj_month("referred_at")).agg(referred_new_persons=pl.len()),
        active_existing,
    ]
    wanted = months
    for part in parts:
        wanted = wanted.join(part.filter(pl.col("month").is_not_null()), on="month", how="left")
    counts = [
        "new_persons",
        "buyers",
        "repeat_buyers",
        "new_buyers",
        "orders",
        "referred_new_persons",
        "active",
    ]
    wanted = wanted.with_columns(
        *[pl.col(c).fill_null(0) for c in counts],
        gmv=pl.col("gmv").fill_null(0).cast(MONEY),
        net_revenue=pl.col("net_revenue").fill_null(0).cast(MONEY),
    )

    def ratio(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num).cast(pl.Float64) / pl.col(den))

    wanted = wanted.select(
        "month",
        "new_persons",
        "buyers",
        "new_buyers",
        "orders",
        "gmv",
        "net_revenue",
        aov=ratio("gmv", "orders"),
        orders_per_buyer=ratio("orders", "buyers"),
        repurchase_rate=ratio("repeat_buyers", "buyers"),
        referred_new_persons="referred_new_persons",
        k_factor=ratio("referred_new_persons", "active"),
    )
    assert_same(mart("agg_kpis_monthly"), wanted, ["month"], "agg_kpis_monthly")


def test_agg_mp_conversion_funnel(mart, expected):
    events = expected.events.filter(pl.col("person_id").is_not_null() & pl.col("event").is_in(MP_STEPS))
    chain = events.filter(pl.col("event") == "view_item").select(
        "person_id", view_item_at="event_time", week_start=bj_date("event_time").dt.truncate("1w")
    )
    for previous, step in zip(MP_STEPS, MP_STEPS[1:], strict=False):
        right = events.filter(pl.col("event") == step).select("person_id", at="event_time").sort("at")
        known = chain.filter(pl.col(f"{previous}_at").is_not_null()).sort(f"{previous}_at")
        matched = known.join_asof(
            right,
            left_on=f"{previous}_at",
            right_on="at",
            by="person_id",
            strategy="forward",
            check_sortedness=False,
        ).rename({"at": f"{step}_at"})
        chain = pl.concat(
            [
                matched,
                chain.filter(pl.col(f"{previous}_at").is_null()).with_columns(
                    pl.lit(None, matched.schema[f"{step}_at"]).alias(f"{step}_at")
                ),
            ],
            how="vertical",
        )
    end = pl.col("view_item_at") + pl.duration(days=FUNNEL_WINDOW_DAYS)
    depth = pl.lit(1)
    for i in range(1, len(MP_STEPS)):
        depth = depth + pl.all_horizontal(
            [(pl.col(f"{s}_at") <= end).fill_null(False) for s in MP_STEPS[1 : i + 1]]
        ).cast(pl.Int64)
    weeks = (
        chain.with_columns(depth=depth)
        .group_by("person_id", "week_start")
        .agg(pl.col("depth").max())
        .join(expected.first_touch.select("person_id", "acquisition_channel"), on="person_id", how="left")
        .with_columns(channel=pl.col("acquisition_channel").fill_null("unknown"))
    )
    counts = weeks.group_by("week_start", "channel").agg(
        **{step: (pl.col("depth") >= i + 1).sum() for i, step in enumerate(MP_STEPS)}
    )
    rows = []
    for i, step in enumerate(MP_STEPS):

        def rate(num: str, den: str) -> pl.Expr:
            return pl.when(pl.col(den) > 0).then(pl.col(num).cast(pl.Float64) / pl.col(den))

        rows.append(
            counts.select(
                "week_start",
                "channel",
                stage=pl.lit(step),
                persons=pl.col(step),
                conversion_from_previous=rate(step, MP_STEPS[i - 1]) if i else pl.lit(None, pl.Float64),
                conversion_from_top=rate(step, "view_item"),
            )
        )
    assert_same(
        mart("agg_mp_conversion_funnel"),
        pl.concat(rows),
        ["week_start", "channel", "stage"],
        "agg_mp_conversion_funnel",
    )


def test_fct_customer_ltv_and_clv_params(mart, expected):
    valid = expected.orders.filter(pl.col("is_valid") & pl.col("person_id").is_not_null())
    firsts = expected.buyers.select("person_id", "first_order_at")
    windows = (
        valid.join(firsts, on="person_id")
        .group_by("person_id")
        .agg(
            **{
                f"ltv_{n}d": pl.col("net_amount")
                .filter(pl.col("paid_at") < pl.col("first_order_at") + pl.duration(days=n))
                .sum()
                for n in LTV_WINDOWS
            },
            ltv_to_date=pl.col("net_amount").sum(),
        )
    )
    # the model's inputs: distinct Beijing purchase days, time in days
    days = (
        valid.with_columns(day=bj_date("paid_at"))
        .filter(pl.col("day") <= AS_OF_DATE)
        .group_by("person_id", "day")
        .agg(value=pl.col("net_amount").sum().cast(pl.Float64))
        .with_columns(first=pl.col("day").min().over("person_id"))
    )
    inputs = (
        days.group_by("person_id")
        .agg(
            frequency=pl.len() - 1,
            recency=(pl.col("day").max() - pl.col("first").first()).dt.total_days(),
            T=(pl.lit(AS_OF_DATE) - pl.col("first").first()).dt.total_days(),
            monetary_value=pl.col("value").filter(pl.col("day") > pl.col("first")).mean(),
        )
        .sort("person_id")
    )
    bg, gg = clv.fit_models(inputs)
    assert bg is not None and gg is not None
    predictions = clv.predict(inputs, bg, gg, 365)
    wanted = (
        firsts.join(windows, on="person_id")
        .join(predictions, on="person_id")
        .join(inputs, on="person_id")
        .select(
            "person_id",
            "first_order_at",
            *[f"ltv_{n}d" for n in LTV_WINDOWS],
            "ltv_to_date",
            "p_alive",
            expected_purchases_365d="expected_purchases",
            expected_avg_order_value="expected_avg_order_value",
            clv_frequency="frequency",
            clv_recency_days="recency",
            clv_age_days="T",
            clv_monetary_value="monetary_value",
        )
    )
    actual = mart("fct_customer_ltv")
    exact = [
        c
        for c in wanted.columns
        if c not in ("p_alive", "expected_purchases_365d", "expected_avg_order_value")
    ]
    assert_same(
        actual.select(exact), wanted.select(exact), ["person_id"], "fct_customer_ltv (history, inputs)"
    )
    joined = normalise(actual).join(normalise(wanted), on="person_id", suffix="_wanted")
    for column in ("p_alive", "expected_purchases_365d", "expected_avg_order_value"):
        # two optimiser runs on the same data agree to their tolerance, not to the last bit
        np.testing.assert_allclose(
            joined[column].to_numpy(), joined[f"{column}_wanted"].to_numpy(), rtol=1e-5, atol=1e-8
        )
    clv_value = (joined["expected_purchases_365d"] * joined["expected_avg_order_value"]).to_numpy()
    np.testing.assert_allclose(
        joined["predicted_clv_365d"].cast(pl.Float64).to_numpy(), clv_value, atol=0.006, rtol=1e-5
    )

    params = mart("clv_model_params")
    values = {(r["model"], r["parameter"]): r for r in params.iter_rows(named=True)}
    for name, value in (("r", bg.r), ("alpha", bg.alpha), ("a", bg.a), ("b", bg.b)):
        assert values[("bg_nbd", name)]["value"] == pytest.approx(value, rel=1e-5)
        assert values[("bg_nbd", name)]["n_customers"] == expected.buyers.height
    for name, value in (("p", gg.p), ("q", gg.q), ("gamma", gg.gamma)):
        assert values[("gamma_gamma", name)]["value"] == pytest.approx(value, rel=1e-5)
        assert values[("gamma_gamma", name)]["n_customers"] == int((inputs["frequency"] > 0).sum())
