"""The text-to-type rules every source shares (dagster_project.rules.parsing)."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from dagster_project.rules import parsing


def _apply(expr_fn, values, *args):
    return (
        pl.DataFrame({"v": values}, schema={"v": pl.String})
        .select(expr_fn(pl.col("v"), *args).alias("out"))["out"]
        .to_list()
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "+8613812345678"),
        ("'13812345678", "+8613812345678"),  # Tmall: Excel text marker
        ("86-13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("0086-138-1234-5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),  # full-width digits
        (" 13812345678\t", "+8613812345678"),
        ("+85261234567", "+85261234567"),  # Mini Program phoneNumber of a Hong Kong user keeps its code
        ("138****1234", None),  # masked: never a join key
        ("1******6198", None),
        ("12345", None),
        ("23812345678", None),  # not a mainland mobile prefix
        ("138123456789", None),  # 12 digits
        ("——", None),
        (None, None),
    ],
)
def test_normalize_phone(raw, expected):
    assert _apply(parsing.normalize_phone, [raw]) == [expected]


def test_masked_phone_flag():
    assert _apply(parsing.is_masked_phone, ["138****1234", "13812345678", None, "1******6198"]) == [
        True,
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1,299.00", Decimal("1299.00")),
        ("12元", Decimal("12.00")),
        ("¥ 8.5", Decimal("8.50")),
        ("１２.５", Decimal("12.50")),
        ("0", Decimal("0.00")),
        ("-5", Decimal("-5.00")),
        ("——", None),  # none, not zero
        ("", None),
        ("-", None),
        ("abc", None),
        ("12.3.4", None),
        ("499.00（系统计算中，该值仅供参考）", None),
    ],
)
def test_parse_yuan(raw, expected):
    assert _apply(parsing.parse_yuan, [raw]) == [expected]


UTC = dt.UTC


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2025-01-05 09:03:07", dt.datetime(2025, 1, 5, 1, 3, 7, tzinfo=UTC)),  # Beijing = UTC+8
        ("2025/1/5 9:03", dt.datetime(2025, 1, 5, 1, 3, tzinfo=UTC)),  # Excel re-save
        ("2025/12/25 23:59:59", dt.datetime(2025, 12, 25, 15, 59, 59, tzinfo=UTC)),
        ("2025-01-05T09:03:07", dt.datetime(2025, 1, 5, 1, 3, 7, tzinfo=UTC)),
        ("2025-01-05 09:03:07.500", dt.datetime(2025, 1, 5, 1, 3, 7, tzinfo=UTC)),
        ("45678.25", dt.datetime(2025, 1, 20, 22, 0, tzinfo=UTC)),  # Excel serial: 2025-01-21 06:00 Beijing
        ("2025-01-01", dt.datetime(2024, 12, 31, 16, 0, tzinfo=UTC)),
        ("2025-13-45 25:61", None),
        ("2025-02-30 10:00:00", None),
        ("昨天", None),
        ("12", None),
        ("", None),
    ],
)
def test_parse_beijing_timestamp(raw, expected):
    assert _apply(parsing.parse_beijing_timestamp, [raw]) == [expected]


def test_parse_epoch_seconds_and_millis():
    assert _apply(parsing.parse_epoch, ["1700000000", "0", "abc"], "s") == [
        dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        None,
        None,
    ]
    assert _apply(parsing.parse_epoch, ["1700000000123"], "ms") == [
        dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    ]


def test_clean_id_unwraps_excel_formula_and_text_marker():
    assert _apply(parsing.clean_id, ['="2876543210987654321"', " 'ABC ", "\t3301\t", "——", " "]) == [
        "2876543210987654321",
        "ABC",
        "3301",
        None,
        None,
    ]


def test_parse_int_accepts_spreadsheet_floats_only_when_whole():
    assert _apply(parsing.parse_int, ["12", "12.0", "1,200", "12.5", "x", None]) == [
        12,
        12,
        1200,
        None,
        None,
        None,
    ]
