"""Masking of sample values shown in the Dagster UI (check metadata, failing rows).

Everything a run writes into Dagster's storage (event log, check metadata) can be read by
every user of the UI, so a value copied there from the data must not identify anyone.
The rule, applied to every sample value whatever its column (a name pasted into a status
column is still a name):

* a mainland mobile anywhere in the text, however written (``+86``, spaces, dashes,
  full-width digits), becomes ``138****5678`` (the platforms' own masking);
* an e-mail address keeps only its first character and domain (``z***@qq.com``);
* a value that is by its shape no personal data stays readable: numbers (not phones),
  dates and times, booleans, ``null``, hex digests and person ids (``P`` + 16 hex,
  already pseudonymous), order keys (``tmall:<order id>``), a masked value (it holds ``*``
  already);
* anything else (names, addresses, openids, nicks, free text) keeps its first and last
  character: ``王*明``, ``浙******号``, ``o******M``.

The plain values stay in the restricted places (bronze, the warehouse's audit.rejects and
staging schemas), where an engineer looks a row up by the ``file:row`` the check shows.
"""

from __future__ import annotations

import re
import unicodedata

_FULLWIDTH = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")
# a mainland mobile inside text: optional +86 / 0086 / 86, then 1[3-9] and 9 digits, with
# separators; not inside a longer run of digits or letters (hex digests, ids)
PHONE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])((?:(?:\+|00)?86[\s\-]?)?1[3-9]\d)((?:[\s\-]?\d){4})((?:[\s\-]?\d){4})"
    r"(?![0-9A-Za-z])"
)
EMAIL_IN_TEXT = re.compile(r"([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
_NOT_PERSONAL = re.compile(
    r"^(?:"
    r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"  # a number
    r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?(?:UTC|Z|[+-]\d{2}:?\d{2}))?)?"  # a date/time
    r"|true|false|True|False|null|None|NaN|nan"
    r"|P[0-9a-f]{16}|[0-9a-f]{32,}"  # person ids, digests
    r"|(?:tmall|jd|douyin|youzan|miniprogram|offline):[\w-]+"  # order keys (order ids identify no one)
    r")$"
)
_MAX_STARS = 6


def mask_phones(text: str) -> str:
    """Every mainland mobile in the text as ``138****5678``."""
    text = text.translate(_FULLWIDTH)
    return PHONE_IN_TEXT.sub(
        lambda m: re.sub(r"[\s\-]", "", m.group(1)) + "****" + re.sub(r"\D", "", m.group(3)), text
    )


def mask_text(text: str) -> str:
    """Phones and e-mails inside free text (messages, exception texts) masked; the rest kept."""
    return EMAIL_IN_TEXT.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", mask_phones(text))


def mask_value(value: object) -> str:
    """One sample value as it may be shown in Dagster (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(value)).strip() if value is not None else "null"
    phone = PHONE_IN_TEXT.fullmatch(text)
    if phone:
        return mask_phones(text)
    if EMAIL_IN_TEXT.fullmatch(text):
        return mask_text(text)
    readable = not PHONE_IN_TEXT.search(text) and not EMAIL_IN_TEXT.search(text)
    if readable and ("*" in text or _NOT_PERSONAL.match(text)):
        return text
    if len(text) <= 2:
        return text[:1] + "*" * (len(text) - 1)
    return text[0] + "*" * min(len(text) - 2, _MAX_STARS) + text[-1]


def mask_frame(frame):
    """A polars frame of sample rows with every cell masked by ``mask_value`` (nulls stay null)."""
    import polars as pl

    return pl.DataFrame(
        {
            name: [None if v is None else mask_value(v) for v in frame[name].to_list()]
            for name in frame.columns
        },
        schema={name: pl.String for name in frame.columns},
    )
