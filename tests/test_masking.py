"""Sample values shown in Dagster (check metadata) are masked: no phone, name, address, e-mail or
openid in plain text, while numbers, times and pseudonymous ids stay readable."""

import polars as pl
import pytest

from dagster_project.rules.masking import mask_frame, mask_text, mask_value
from tests.test_privacy import Matcher

PERSONAL = {
    "name": {"王小明", "李雷", "tb_alice88"},
    "address": {"浙江省杭州市西湖区文三路1号"},
    "phone": set(),
    "email": {"wang.xm@qq.com"},
}


@pytest.mark.parametrize(
    "value, shown",
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "+86138****5678"),
        ("86-138-1234-5678", "86138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("王小明", "王*明"),
        ("李雷", "李*"),
        ("tb_alice88", "t******8"),
        ("浙江省杭州市西湖区文三路1号", "浙******号"),
        ("wang.xm@qq.com", "w***@qq.com"),
        ("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "o******M"),
        ("王小明 13812345678", "王******8"),
        # by their shape no personal data: readable
        ("199.0", "199.0"),
        ("3000000000000000001", "3000000000000000001"),
        ("2026-11-22 10:00:00 UTC", "2026-11-22 10:00:00 UTC"),
        ("P0123456789abcdef", "P0123456789abcdef"),
        ("tmall:3000000000000000001", "tmall:3000000000000000001"),
        ("mp_openid:o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "m******M"),
        ("138****5678", "138****5678"),
        (None, "null"),
        ("true", "true"),
    ],
)
def test_a_sample_value_is_masked_by_its_shape(value, shown):
    assert mask_value(value) == shown
    if value is not None and "*" not in value:
        assert Matcher(PERSONAL)(mask_value(value)) is None, mask_value(value)


def test_free_text_keeps_its_words_but_not_phones_or_emails():
    text = mask_text("Conversion Error: could not convert '13812345678' (a.b@qq.com) to INT64")
    assert text == "Conversion Error: could not convert '138****5678' (a***@qq.com) to INT64"


def test_failing_rows_are_masked_cell_by_cell():
    frame = pl.DataFrame(
        {
            "person_id": ["P0123456789abcdef"],
            "receiver_name": ["王小明"],
            "phone": [13812345678],
            "orders": [3],
            "note": [None],
        },
        schema_overrides={"note": pl.String},
    )
    assert mask_frame(frame).rows() == [("P0123456789abcdef", "王*明", "138****5678", "3", None)]
