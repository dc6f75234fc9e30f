"""Property-based tests of the text-to-type rules (hypothesis): on arbitrary text they never
crash and never turn garbage into a valid phone, amount, timestamp or header mapping.

Each property runs the parser over a whole batch of generated values in one polars call
(the way the ingestion runs it), so a few hundred examples stay fast.
"""

import datetime as dt
import json
import re
import string
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.bronze.readers import UnreadableFile, map_headers
from dagster_project.rules import parsing
from sources.contracts import load_contracts

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FULLWIDTH_DIGITS = "０１２３４５６７８９"

# Text that looks like the cells of a real export: digits (ASCII and full-width), phone and
# money punctuation, masks, Chinese, and any other Unicode hypothesis likes to throw in.
cell_alphabet = st.sampled_from(
    list(string.digits)
    + list(FULLWIDTH_DIGITS)
    + list("+-*/ .:,'()\t元¥￥——RMBe")
    + ["——", "86", "0086", "年", "月"]
)
export_like = st.lists(cell_alphabet, max_size=24).map("".join)
any_text = st.one_of(st.text(max_size=40), export_like)
batches = st.lists(any_text, min_size=1, max_size=50)


def _apply(expr_fn, values, *args) -> list:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(expr_fn(pl.col("v"), *args).alias("out"))["out"].to_list()


def _ascii(text: str) -> str:
    return text.translate(str.maketrans(FULLWIDTH_DIGITS + "．＋－", string.digits + ".+-"))


def _ascii_digits(text: str) -> str:
    return "".join(ch for ch in _ascii(text) if ch in string.digits)


# ---- phones -------------------------------------------------------------------------------

MAINLAND = re.compile(r"^\+861[3-9]\d{9}$")
FOREIGN = re.compile(r"^\+[1-9]\d{6,14}$")


@FAST
@given(batches)
def test_a_phone_is_only_ever_made_of_the_digits_that_were_there(values):
    for raw, phone in zip(values, _apply(parsing.normalize_phone, values), strict=False):
        if phone is None:
            continue
        digits = _ascii_digits(raw)
        if phone.startswith("+86"):
            assert MAINLAND.match(phone), (raw, phone)
            # the 11 digits are the cell's digits, at most behind a 86 / 0086 country code
            assert digits in {phone[3:], "86" + phone[3:], "0086" + phone[3:]}, (raw, phone)
        else:
            assert FOREIGN.match(phone) and digits in {phone[1:], "00" + phone[1:]}, (raw, phone)
        assert "*" not in raw  # a masked number is never a phone


@FAST
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=["Nd", "Cs"]), max_size=30),
        min_size=1,
        max_size=50,
    )
)
def test_text_without_digits_is_never_a_phone_amount_or_timestamp(values):
    assert _apply(parsing.normalize_phone, values) == [None] * len(values)
    assert _apply(parsing.parse_yuan, values) == [None] * len(values)
    assert _apply(parsing.parse_beijing_timestamp, values) == [None] * len(values)
    assert _apply(parsing.parse_int, values) == [None] * len(values)


@st.composite
def written_phones(draw) -> tuple[str, str]:
    """A mainland mobile as exports write it, and its normal form."""
    rest = draw(st.lists(st.sampled_from(string.digits), min_size=9, max_size=9))
    number = "1" + draw(st.sampled_from("3456789")) + "".join(rest)
    prefix = draw(st.sampled_from(["", "'", "86-", "+86 ", "0086-", "+86-"]))
    split = draw(st.sampled_from([(3, 7), (3, 3), (11, 11)]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    body = number[: split[0]] + sep + number[split[0] : split[1] + 4] + sep + number[split[1] + 4 :]
    if draw(st.booleans()):
        body = body.translate(str.maketrans(string.digits, FULLWIDTH_DIGITS))
    lead = draw(st.sampled_from(["", " ", "\t"]))
    return lead + prefix + body, "+86" + number


@FAST
@given(st.lists(written_phones(), min_size=1, max_size=50))
def test_every_written_form_of_a_mainland_phone_normalises_to_the_same_number(pairs):
    raw = [r for r, _ in pairs]
    assert _apply(parsing.normalize_phone, raw) == [n for _, n in pairs]
    masked = [r[:-8] + "****" + r[-4:] for r in raw]
    assert _apply(parsing.normalize_phone, masked) == [None] * len(raw)
    assert _apply(parsing.is_masked_phone, masked) == [True] * len(raw)


# ---- amounts ------------------------------------------------------------------------------


@FAST
@given(batches)
def test_an_amount_is_a_two_place_decimal_built_from_the_cells_own_digits(values):
    for raw, amount in zip(values, _apply(parsing.parse_yuan, values), strict=False):
        if amount is None:
            continue
        assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2, (raw, amount)
        # the number written in the cell (digits, sign and point only), to the cent
        written = re.sub(r"[^0-9.+-]", "", _ascii(raw))
        assert abs(Decimal(written) - amount) <= Decimal("0.005"), (raw, amount)


@st.composite
def written_amounts(draw) -> tuple[str, Decimal]:
    cents = draw(st.integers(min_value=-(10**12), max_value=10**12))
    value = Decimal(cents).scaleb(-2)
    text = f"{value:,.2f}" if draw(st.booleans()) else f"{value:.2f}"
    if draw(st.booleans()):
        text = text.translate(str.maketrans(string.digits, FULLWIDTH_DIGITS))
    decoration = draw(st.sampled_from(["{}", "{}元", "¥{}", "￥ {}", " {} ", "RMB{}"]))
    return decoration.format(text), value


@FAST
@given(st.lists(written_amounts(), min_size=1, max_size=50))
def test_every_written_form_of_an_amount_parses_back_exactly(pairs):
    assert _apply(parsing.parse_yuan, [r for r, _ in pairs]) == [v for _, v in pairs]


@pytest.mark.parametrize(
    "garbage", ["1,2,3", "12 34", "1,23.00", "12,3456", "1e5", "0x10", "12-", "+-3", "1 000元"]
)
def test_misplaced_separators_are_not_amounts(garbage):
    assert _apply(parsing.parse_yuan, [garbage]) == [None]


# ---- timestamps ---------------------------------------------------------------------------

BEIJING = dt.timezone(dt.timedelta(hours=8))


@FAST
@given(batches)
def test_a_parsed_timestamp_is_a_real_instant_that_round_trips(values):
    for raw, ts in zip(values, _apply(parsing.parse_beijing_timestamp, values), strict=False):
        if ts is None:
            continue
        assert ts.tzinfo is not None and dt.datetime(1, 1, 2, tzinfo=dt.UTC) <= ts, (raw, ts)
        wall = ts.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        assert _apply(parsing.parse_beijing_timestamp, [wall]) == [ts], (raw, wall)
        assert len(_ascii_digits(raw)) >= 5, (raw, ts)  # at least a year and a day, or an Excel serial


@st.composite
def written_timestamps(draw) -> tuple[str, dt.datetime]:
    wall = draw(
        st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59, 59))
    )
    shape = draw(st.sampled_from(["iso", "iso_t", "excel", "minutes", "date"]))
    if shape == "iso":
        text = wall.strftime("%Y-%m-%d %H:%M:%S")
    elif shape == "iso_t":
        text = wall.strftime("%Y-%m-%dT%H:%M:%S")
    elif shape == "excel":  # the Excel re-save: unpadded month, day and hour, no seconds
        wall = wall.replace(second=0)
        text = f"{wall.year}/{wall.month}/{wall.day} {wall.hour}:{wall.minute:02d}"
    elif shape == "minutes":
        wall = wall.replace(second=0)
        text = wall.strftime("%Y-%m-%d %H:%M")
    else:
        wall = wall.replace(hour=0, minute=0, second=0)
        text = wall.strftime("%Y-%m-%d")
    wall = wall.replace(microsecond=0)
    return text, wall.replace(tzinfo=BEIJING).astimezone(dt.UTC)


@FAST
@given(st.lists(written_timestamps(), min_size=1, max_size=50))
def test_every_written_form_of_a_beijing_time_parses_to_its_instant(pairs):
    assert _apply(parsing.parse_beijing_timestamp, [r for r, _ in pairs]) == [t for _, t in pairs]


@FAST
@given(
    st.lists(st.integers(min_value=-(10**20), max_value=10**20).map(str) | any_text, min_size=1, max_size=50)
)
def test_epochs_are_positive_and_never_crash(values):
    for unit in ("s", "ms"):
        for raw, ts in zip(values, _apply(parsing.parse_epoch, values, unit), strict=False):
            assert ts is None or ts > dt.datetime(1970, 1, 1, tzinfo=dt.UTC), (raw, ts)


# ---- spreadsheet error values and bad values inside JSON lists -----------------------------

SOME = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPORT_DATE = dt.date(2025, 3, 5)
TYPED_CELLS = [
    (c.source, col.name) for c in load_contracts().values() for col in c.columns if col.type != "json"
]


FILLER = {
    "timestamp": "2025/3/4 10:01",
    "unix_s": "1741053600",
    "unix_ms": "1741053600000",
    "int": "1",
    "decimal": "1,299.00",
    "phone": "138 0013 8000",
    "json": "[]",
}


def _raw_frame(contract, rows: int, **cells: list) -> pl.DataFrame:
    """An all-text contract frame whose every cell is a good value of its type (ids unique per row)."""
    from dagster_project.bronze.readers import EXTRA, ROW_NUMBER

    data = {ROW_NUMBER: list(range(1, rows + 1))}
    for col in contract.columns:
        data[col.name] = cells.get(col.name, [FILLER.get(col.type, f"x{i}") for i in range(rows)])
    data[EXTRA] = [None] * rows
    return pl.DataFrame(data, schema={k: pl.Int64 if k == ROW_NUMBER else pl.String for k in data})


@SOME
@given(
    st.sampled_from(TYPED_CELLS),
    st.sampled_from(parsing.EXCEL_ERRORS),
    st.sampled_from(["", " ", "\t", "\u3000"]),
)
def test_a_spreadsheet_error_in_any_cell_rejects_its_row_and_only_its_row(cell, error, pad):
    from dagster_project.bronze.ingest import EXCEL_ERROR_REASON, type_file

    contract = load_contracts()[cell[0]]
    col = contract.column(cell[1])
    raw = _raw_frame(contract, 2)
    value = pad + error + pad
    raw = raw.with_columns(
        pl.when(pl.col("_row_number") == 1).then(pl.lit(value)).otherwise(pl.col(col.name)).alias(col.name)
    )
    good, rejects = type_file(raw, contract, EXPORT_DATE)
    assert rejects.rows() == [(1, col.name, value, EXCEL_ERROR_REASON)]  # one reason: not also "unparseable"
    assert good["_row_number"].to_list() == [2]


LATEST = int(dt.datetime(2025, 3, 7, tzinfo=BEIJING).timestamp())  # the day after the export date ends
GOOD_ITEM = {
    "unix_s": st.integers(int(dt.datetime(2000, 1, 2).timestamp()), LATEST - 1).flatmap(
        lambda t: st.sampled_from([t, str(t), f"{t}.0", None])
    ),
    "int": st.integers(-99, 99).flatmap(lambda n: st.sampled_from([n, str(n), None])),
}
BAD_ITEM = {
    "unix_s": st.one_of(
        st.sampled_from(["昨天", "2025-13-01 10:00", "1.5", "", "0x10", *parsing.EXCEL_ERRORS[:7]]),
        st.integers(LATEST * 1000, LATEST * 1000 + 10**9),  # milliseconds in a seconds field
        st.integers(-(10**6), 0),
        st.integers(LATEST, LATEST + 10**8),  # no time, in the future
        st.floats(1e9, 1.7e9).filter(lambda f: f != int(f)),
        st.just({"seconds": 1741053600}),
    ),
    "int": st.one_of(st.sampled_from(["扫码", "1,2", "1.5", "#N/A"]), st.just([1])),
}


@st.composite
def json_lists(draw, items: tuple) -> tuple[list, dict]:
    """A list of objects with the contract's typed fields, and {path: value} of the values drawn bad."""
    entries, bad = [], {}
    for i in range(draw(st.integers(0, 4))):
        entry = {"userid": f"u{i}"}
        for field, item_type in items:
            if draw(st.booleans()) and draw(st.booleans()):
                value = draw(BAD_ITEM[item_type])
                if value != "":  # an empty string is no value, as an empty cell
                    bad[f"[{i}].{field}"] = value
            else:
                value = draw(GOOD_ITEM[item_type])
            if value is not None or draw(st.booleans()):
                entry[field] = value
        entries.append(entry)
    return entries, bad


def _as_exported(text: str, value) -> bool:
    """The reject's raw value is the value in the file (DuckDB writes numbers back in its own notation)."""
    if isinstance(value, str):
        return text == value
    return json.loads(text) == value if isinstance(value, (dict, list)) else float(text) == value


JSON_LISTS = [(c.source, col.name) for c in load_contracts().values() for col in c.columns if col.items]


@SOME
@given(st.sampled_from(JSON_LISTS), st.data())
def test_a_bad_value_inside_a_json_list_is_named_by_its_path_and_rejects_only_its_line(listed, data):
    from dagster_project.bronze.ingest import type_file

    contract = load_contracts()[listed[0]]
    col = contract.column(listed[1])
    lines = [data.draw(json_lists(col.items)) for _ in range(3)]
    raw = _raw_frame(
        contract, 3, **{col.name: [json.dumps(entries, ensure_ascii=False) for entries, _ in lines]}
    )
    good, rejects = type_file(raw, contract, EXPORT_DATE)
    expected = {
        (n, f"{col.name}{path}"): v for n, (_, bad) in enumerate(lines, start=1) for path, v in bad.items()
    }
    found = {(r, c): v for r, c, v, _ in rejects.rows()}
    assert found.keys() == expected.keys() and len(found) == rejects.height
    assert all(_as_exported(found[k], v) for k, v in expected.items()), (found, expected)
    assert set(good["_row_number"]) == {n for n, (_, bad) in enumerate(lines, start=1) if not bad}


# ---- header mapping -----------------------------------------------------------------------

TABULAR = [c for c in load_contracts().values() if not c.is_json]
every_header = sorted({h for c in TABULAR for col in c.columns for h in col.source_names})


@FAST
@given(
    st.sampled_from(TABULAR),
    st.lists(st.one_of(st.sampled_from(every_header), st.text(max_size=12)), max_size=30),
    st.randoms(use_true_random=False),
)
def test_header_mapping_maps_each_column_once_and_only_from_its_own_names(contract, noise, rnd):
    own = [
        col.source_names[rnd.randrange(len(col.source_names))]
        for col in contract.columns
        if rnd.random() < 0.8
    ]
    headers = [rnd.choice(["", " ", "\t", "\ufeff"]) + h + rnd.choice(["", " "]) for h in own + noise]
    rnd.shuffle(headers)
    try:
        mapping, unmapped = map_headers(headers, contract, "x.csv")
    except UnreadableFile as exc:
        assert str(exc).startswith("x.csv: "), exc
        return
    assert sorted(mapping.values()) == sorted(set(mapping.values()))  # a column at most once
    names = {col.name: col.source_names for col in contract.columns}
    for header, column in mapping.items():
        assert header.strip().lstrip("\ufeff").strip() in names[column]
    assert len(mapping) + len(unmapped) == len(headers)  # nothing lost: unmapped go to _extra
    assert {c.name for c in contract.required_columns} <= set(mapping.values())


def test_the_header_property_covers_every_tabular_source():
    assert {c.source for c in TABULAR} == {
        "tmall_orders",
        "jd_orders",
        "douyin_orders",
        "youzan_orders",
        "crm_members",
        "erp_sales",
        "erp_refunds",
    }
