"""Export calendar and time helpers.

All simulated times are int64 epoch milliseconds (UTC). Exports are dated in
Beijing time: an export dated D holds what was created or changed on the
Beijing days (previous export date, D], so the landing volume grows with the
entities, not with entities x exports. Weekly exports cover the history and
daily ones the last 7 days up to as-of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

DAY_MS = 86_400_000
BJ_MS = 8 * 3_600_000  # Asia/Shanghai has no DST
WEEKS = 77  # 77 weekly + 7 daily windows = ~18 months of history
EXCEL_EPOCH_DAYS = 25_569  # 1899-12-30 -> 1970-01-01


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


@dataclass(frozen=True)
class Timeline:
    as_of: dt.date
    export_days: np.ndarray  # Beijing day numbers (days since 1970-01-01), ascending

    @classmethod
    def build(cls, as_of: dt.date) -> Timeline:
        a = _day(as_of)
        weekly = [a - 7 * k for k in range(WEEKS, 0, -1)]
        daily = [a - k for k in range(6, -1, -1)]
        return cls(as_of, np.array(weekly + daily, dtype=np.int64))

    @property
    def start_ms(self) -> int:
        """Beijing midnight starting the first weekly window."""
        return int((self.export_days[0] - 6) * DAY_MS - BJ_MS)

    @property
    def end_ms(self) -> int:
        """Exclusive end of history: the Beijing midnight after as-of."""
        return int((self.export_days[-1] + 1) * DAY_MS - BJ_MS)

    def export_index(self, t_ms: np.ndarray) -> np.ndarray:
        """Index of the export that first carries a change at t_ms (-1 if out of range)."""
        t = np.asarray(t_ms, dtype=np.int64)
        day = (t + BJ_MS) // DAY_MS
        idx = np.searchsorted(self.export_days, day, side="left")
        return np.where((t >= self.start_ms) & (t < self.end_ms), idx, -1)

    def cutoff_ms(self, idx: np.ndarray) -> np.ndarray:
        """Exclusive upper bound of the changes an export carries."""
        return (self.export_days[np.asarray(idx)] + 1) * DAY_MS - BJ_MS

    def date_str(self, idx: int) -> str:
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(self.export_days[idx]))).isoformat()


# --- text renderings of Beijing wall time (polars expressions over int ms) -------------


def _bj(expr: pl.Expr) -> pl.Expr:
    return (expr + BJ_MS).cast(pl.Datetime("ms"))


def ts_text(expr: pl.Expr, style: str) -> pl.Expr:
    """Render epoch ms as the export shows it; null stays null (an empty cell)."""
    if style == "std":
        return _bj(expr).dt.strftime("%Y-%m-%d %H:%M:%S")
    if style == "excel":  # what an Excel re-save does: no padding, no seconds
        return _bj(expr).dt.strftime("%Y/%-m/%-d %-H:%M")
    if style == "date":
        return _bj(expr).dt.strftime("%Y-%m-%d")
    if style == "serial":  # Excel serial day number, Beijing wall time
        return ((expr - expr % 1000 + BJ_MS) / DAY_MS + EXCEL_EPOCH_DAYS).round(9).cast(pl.String)
    raise ValueError(style)


def truncate_to_style(t_ms: pl.Expr, style: str) -> pl.Expr:
    """The instant a reader recovers from `ts_text(style)` (the truth must match it)."""
    if style == "excel":
        return t_ms - (t_ms % 60_000)
    if style == "date":
        return (t_ms + BJ_MS) - ((t_ms + BJ_MS) % DAY_MS) - BJ_MS
    return t_ms - (t_ms % 1000)  # std and serial keep whole seconds
