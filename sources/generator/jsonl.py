"""Build JSON Lines text with polars string expressions (no per-row Python).

A value column holds the JSON text of a value (`"abc"`, `12`, `[..]`) or null
when the key is absent, so absent keys (unbound unionid, unsubscribed users)
really are absent, as in the API bodies. Our generated text never needs escaping
(no quotes, backslashes or control characters), which keeps this exact.
"""

from __future__ import annotations

import polars as pl


def s(expr: pl.Expr) -> pl.Expr:
    """JSON string (null stays null = absent)."""
    return pl.lit('"') + expr + pl.lit('"')


def num(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String)


def obj(fields: dict[str, pl.Expr]) -> pl.Expr:
    parts = [pl.lit(f'"{k}":') + v for k, v in fields.items()]
    return pl.lit("{") + pl.concat_str(parts, separator=",", ignore_nulls=True) + pl.lit("}")


def nested(columns: list[str]) -> pl.Expr:
    """One JSON object from flat columns; a dotted name `a.b` goes into object `a`."""
    top: dict[str, pl.Expr | dict] = {}
    for c in columns:
        head, _, tail = c.partition(".")
        if tail:
            top.setdefault(head, {})[tail] = pl.col(c)
        else:
            top[head] = pl.col(c)

    def inner(fields: dict[str, pl.Expr]) -> pl.Expr:  # absent, not {}, when all its keys are absent
        return pl.when(pl.any_horizontal([f.is_not_null() for f in fields.values()])).then(obj(fields))

    return obj({k: inner(v) if isinstance(v, dict) else v for k, v in top.items()})
