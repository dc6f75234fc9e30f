"""The morning report: one self-contained HTML page for the 私域 operations team.

It reads only the published serving file, read-only, so it shows exactly what BI tools
see; every figure is a column of a mart (marts.md) or a count/sum/mean over one, never a
metric re-defined here. Charts are Plotly figures with plotly.js inlined once in the
page: the file opens from disk with no network request. Labels are Chinese; the README
("Morning report") lists their English equivalents.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

REPORT_NAME = "morning_report"
COHORTS_SHOWN = 12  # cohort heatmap and LTV curves: the last year of first-order cohorts
MP_FUNNEL_WEEKS = 4  # in-app funnel: the last complete Beijing weeks (Monday..Sunday)
CHANNELS_SHOWN = 10
# A channel's average LTV over fewer buyers than this is noise: it is left out of the ranking.
CHANNEL_MIN_BUYERS = 5

LIFECYCLE_STAGES = {
    "aware": "认知",
    "interest": "兴趣",
    "consider": "考虑",
    "purchase": "购买",
    "repeat": "复购",
    "referral": "推荐",
}
MP_STAGES = {
    "view_item": "浏览商品",
    "add_to_cart": "加入购物车",
    "begin_checkout": "提交订单",
    "purchase": "支付",
}
LIFECYCLE_SEGMENTS = {
    "potential": "潜在客户",
    "new": "新客",
    "active": "活跃客户",
    "loyal": "忠诚客户",
    "dormant": "沉睡客户",
    "churned": "流失客户",
}
RFM_SEGMENTS = [
    "重要价值客户",
    "重要发展客户",
    "重要保持客户",
    "重要挽留客户",
    "一般价值客户",
    "一般发展客户",
    "一般保持客户",
    "一般挽留客户",
]
FONT = "PingFang SC, Hiragino Sans GB, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"


@dataclass(frozen=True)
class Kpi:
    column: str  # of marts.agg_kpis_monthly
    label: str
    kind: str  # count | money | rate | ratio (how it is formatted and compared)


KPIS = [
    Kpi("new_persons", "新增客户", "count"),
    Kpi("buyers", "购买客户", "count"),
    Kpi("gmv", "GMV（元）", "money"),
    Kpi("aov", "客单价（元）", "money"),
    Kpi("repurchase_rate", "月度复购率", "rate"),
    Kpi("k_factor", "K 因子", "ratio"),
]


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    as_of: dt.date
    kpi_month: dt.date  # the month the KPI tiles show (against the month before)
    charts: list[str]  # chart ids, in page order
    empty_sections: list[str] = field(default_factory=list)  # sections without data (a note, no chart)

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


def kpi_month(as_of: dt.date) -> dt.date:
    """The last complete Beijing month: the as-of month only when as_of is its last day."""
    if (as_of + dt.timedelta(days=1)).month != as_of.month:
        return as_of.replace(day=1)
    return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def complete_weeks(as_of: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    """Mondays of the first and last of the `weeks` latest weeks that ended by as_of."""
    last = as_of - dt.timedelta(days=as_of.weekday()) - dt.timedelta(days=0 if as_of.weekday() == 6 else 7)
    return last - dt.timedelta(weeks=weeks - 1), last


def render_report(serving_db: Path, out_path: Path, as_of: dt.date) -> ReportSummary:
    """Write the report of serving_db (as of `as_of`) to out_path (atomically)."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        latest = con.execute("select max(month) from marts.agg_kpis_monthly").fetchall()[0][0]
        if latest is not None and latest != as_of.replace(day=1):
            raise ValueError(f"{serving_db} is not as of {as_of}: its last KPI month is {latest:%Y-%m}")
        month = kpi_month(as_of)
        tiles = _kpi_tiles(con, month)
        sections = [
            (
                "lifecycle-funnel",
                "私域生命周期漏斗",
                "全部认知月份与获客渠道；百分比为相对认知人数。",
                _lifecycle_funnel(con),
            ),
            ("mp-funnel", "小程序转化漏斗", _mp_funnel_note(as_of), _mp_funnel(con, as_of)),
            (
                "cohort-retention",
                "同期群留存率",
                f"按首购月份，最近 {COHORTS_SHOWN} 个同期群。",
                _cohort_heatmap(con),
            ),
            (
                "cohort-ltv",
                "同期群累计 LTV（元/人）",
                "按首购月份：首购月起累计净收入 / 同期群人数。",
                _cohort_ltv(con),
            ),
            (
                "lifecycle-segments",
                "生命周期分层",
                "人数与净收入（元）。",
                _segments(con, "lifecycle_segment"),
            ),
            ("rfm-segments", "RFM 分层（购买客户）", "人数与净收入（元）。", _segments(con, "rfm_segment")),
            (
                "channel-ltv",
                "获客渠道 30/90 天 LTV",
                f"每位买家平均 LTV（元），仅计窗口已满的买家；按 90 天 LTV 排名前 "
                f"{CHANNELS_SHOWN}，买家少于 {CHANNEL_MIN_BUYERS} 人的渠道不参与排名。",
                _channel_ltv(con),
            ),
        ]
    body, charts, empty = [], [], []
    for chart_id, title, note, figure in sections:
        body.append(
            f'<section id="{chart_id}"><h2>{html.escape(title)}</h2><p class="note">{html.escape(note)}</p>'
        )
        if figure is None:
            body.append('<p class="empty">暂无数据</p>')
            empty.append(chart_id)
        else:
            body.append(_chart_html(figure, chart_id))
            charts.append(chart_id)
        body.append("</section>")
    page = _page(as_of, month, serving_db, tiles, "\n".join(body))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_path)  # a reader opening the report never sees half a page
    return ReportSummary(out_path, as_of, month, charts, empty)


def report_path(report_dir: Path, as_of: dt.date) -> Path:
    return report_dir / f"{REPORT_NAME}_{as_of.isoformat()}.html"


def write_morning_report(serving_db: Path, report_dir: Path, as_of: dt.date) -> tuple[ReportSummary, Path]:
    """morning_report_<as_of>.html, and the same page at morning_report_latest.html (a stable link)."""
    summary = render_report(serving_db, report_path(report_dir, as_of), as_of)
    latest = report_dir / f"{REPORT_NAME}_latest.html"
    tmp = latest.with_name(f".{latest.name}.tmp")
    tmp.write_bytes(summary.path.read_bytes())
    os.replace(tmp, latest)
    return summary, latest


# --- data -> figures ------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _kpi_tiles(con: duckdb.DuckDBPyConnection, month: dt.date) -> str:
    before = (month - dt.timedelta(days=1)).replace(day=1)
    columns = ", ".join(k.column for k in KPIS)
    found = {
        r[0]: r[1:]
        for r in _rows(
            con, f"select month, {columns} from marts.agg_kpis_monthly where month in (?, ?)", [month, before]
        )
    }
    now, then = found.get(month), found.get(before)
    tiles = []
    for i, kpi in enumerate(KPIS):
        value = now[i] if now else None
        previous = then[i] if then else None
        tiles.append(
            f'<div class="tile" data-kpi="{kpi.column}"><div class="label">{html.escape(kpi.label)}</div>'
            f'<div class="value">{_format(value, kpi.kind)}</div>'
            f'<div class="delta">{_delta(value, previous, kpi.kind)}</div></div>'
        )
    return "\n".join(tiles)


def _format(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "money":
        return f"¥{float(value):,.2f}"
    if kind == "rate":
        return f"{float(value):.1%}"
    return f"{float(value):.3f}"


def _delta(value, previous, kind: str) -> str:
    """Change against the month before: relative for counts and money, in points for rates."""
    if value is None or previous is None:
        return "上月：—"
    base = f"上月 {_format(previous, kind)}"
    value, previous = float(value), float(previous)
    if kind == "rate":
        change = f"{(value - previous) * 100:+.1f} 个百分点"
    elif kind == "ratio":
        change = f"{value - previous:+.3f}"
    elif previous == 0:
        return base
    else:
        change = f"{value / previous - 1:+.1%}"
    css = "up" if value > previous else "down" if value < previous else "flat"
    return f'<span class="{css}">{change}</span> · {base}'


def _layout(figure: go.Figure, height: int = 420) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        font={"family": FONT, "size": 13},
        margin={"l": 20, "r": 20, "t": 30, "b": 20},
    )
    return figure


def _funnel(stages: list[tuple[str, int]]) -> go.Figure | None:
    if not stages or not any(persons for _, persons in stages):
        return None
    figure = go.Figure(
        go.Funnel(
            y=[s for s, _ in stages],
            x=[p for _, p in stages],
            texttemplate="%{value:,}<br>%{percentInitial:.0%}",
            marker={"color": "#2e7d5b"},
        )
    )
    return _layout(figure, 380)


def _lifecycle_funnel(con) -> go.Figure | None:
    persons = dict(_rows(con, "select stage, sum(persons) from marts.agg_funnel_monthly group by stage"))
    return _funnel([(label, int(persons.get(stage, 0))) for stage, label in LIFECYCLE_STAGES.items()])


def _mp_funnel_note(as_of: dt.date) -> str:
    first, last = complete_weeks(as_of, MP_FUNNEL_WEEKS)
    return (
        f"最近 {MP_FUNNEL_WEEKS} 个完整自然周（{first:%m-%d} 至 {last + dt.timedelta(days=6):%m-%d}）的人·周："
        "每人每周计一次，按其当周最远到达的步骤。"
    )


def _mp_funnel(con, as_of: dt.date) -> go.Figure | None:
    first, last = complete_weeks(as_of, MP_FUNNEL_WEEKS)
    persons = dict(
        _rows(
            con,
            "select stage, sum(persons) from marts.agg_mp_conversion_funnel "
            "where week_start between ? and ? group by stage",
            [first, last],
        )
    )
    return _funnel([(label, int(persons.get(stage, 0))) for stage, label in MP_STAGES.items()])


def _recent_cohorts(con) -> list[tuple]:
    return _rows(
        con,
        """
        select cohort_month, months_since_first_order, cohort_size, retention_rate, cumulative_ltv_per_customer
        from marts.fct_cohort_retention
        where cohort_month in (select distinct cohort_month from marts.fct_cohort_retention
                               order by cohort_month desc limit ?)
        order by cohort_month, months_since_first_order""",
        [COHORTS_SHOWN],
    )


def _cohort_heatmap(con) -> go.Figure | None:
    rows = _recent_cohorts(con)
    if not rows:
        return None
    cohorts = sorted({r[0] for r in rows})
    months = sorted({r[1] for r in rows})
    rate = {(r[0], r[1]): r[3] for r in rows}
    size = {r[0]: r[2] for r in rows}
    z = [[rate.get((c, m)) for m in months] for c in cohorts]
    # month 0 is 100% by definition: the colour scale spans the later months
    later = [v for (c, m), v in rate.items() if m > 0 and v is not None]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"第 {m} 月" for m in months],
            y=[f"{c:%Y-%m}（{size[c]} 人）" for c in cohorts],
            zmin=0,
            zmax=max(later, default=1.0) or 1.0,
            colorscale="Greens",
            texttemplate="%{z:.0%}",
            hovertemplate="%{y} %{x}: %{z:.1%}<extra></extra>",
            colorbar={"tickformat": ".0%"},
        )
    )
    figure.update_yaxes(autorange="reversed")
    return _layout(figure, 120 + 32 * len(cohorts))


def _cohort_ltv(con) -> go.Figure | None:
    rows = _recent_cohorts(con)
    if not rows:
        return None
    figure = go.Figure()
    for cohort in sorted({r[0] for r in rows}):
        points = [(r[1], r[4]) for r in rows if r[0] == cohort and r[4] is not None]
        figure.add_trace(
            go.Scatter(
                x=[m for m, _ in points],
                y=[v for _, v in points],
                mode="lines+markers",
                name=f"{cohort:%Y-%m}",
                hovertemplate="第 %{x} 月: ¥%{y:,.0f}",
            )
        )
    figure.update_xaxes(title="首购后月数", dtick=1)
    figure.update_yaxes(title="累计 LTV（元/人）", tickprefix="¥")
    return _layout(figure, 440)


def _segments(con, column: str) -> go.Figure | None:
    found = {
        r[0]: (r[1], float(r[2]))
        for r in _rows(
            con,
            f"select {column}, count(*), sum(net_revenue) from marts.dim_customers "
            f"where {column} is not null group by all",
        )
    }
    if not found:
        return None
    if column == "lifecycle_segment":
        order = [
            (LIFECYCLE_SEGMENTS.get(k, k), k)
            for k in [*LIFECYCLE_SEGMENTS, *sorted(set(found) - set(LIFECYCLE_SEGMENTS))]
        ]
    else:
        order = [(k, k) for k in [*RFM_SEGMENTS, *sorted(set(found) - set(RFM_SEGMENTS))]]
    order = [(label, key) for label, key in order if key in found]
    labels = [label for label, _ in order]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("人数", "净收入（元）"), horizontal_spacing=0.18)
    figure.add_trace(
        go.Bar(
            y=labels,
            x=[found[k][0] for _, k in order],
            orientation="h",
            name="人数",
            marker={"color": "#2e7d5b"},
            texttemplate="%{x:,}",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            y=labels,
            x=[found[k][1] for _, k in order],
            orientation="h",
            name="净收入",
            marker={"color": "#c58b2b"},
            texttemplate="¥%{x:,.0f}",
        ),
        row=1,
        col=2,
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(showlegend=False)
    return _layout(figure, 120 + 34 * len(order))


def _channel_ltv(con) -> go.Figure | None:
    # fct_customer_ltv: a window not yet elapsed holds the revenue so far, so each average
    # is over the buyers whose window is complete (days_since_first_order >= N, its yml)
    rows = _rows(
        con,
        """
        select c.acquisition_channel,
               avg(l.ltv_30d) filter (where l.days_since_first_order >= 30) as ltv_30d,
               count(*) filter (where l.days_since_first_order >= 30) as buyers_30d,
               avg(l.ltv_90d) filter (where l.days_since_first_order >= 90) as ltv_90d,
               count(*) filter (where l.days_since_first_order >= 90) as buyers_90d
        from marts.fct_customer_ltv as l
        join marts.dim_customers as c using (person_id)
        group by c.acquisition_channel
        having count(*) filter (where l.days_since_first_order >= 90) >= ?
        order by ltv_90d desc, c.acquisition_channel
        limit ?""",
        [CHANNEL_MIN_BUYERS, CHANNELS_SHOWN],
    )
    if not rows:
        return None
    channels = [r[0] for r in rows]
    figure = go.Figure(
        [
            go.Bar(
                y=channels,
                x=[float(r[1]) for r in rows],
                orientation="h",
                name="30 天 LTV",
                customdata=[r[2] for r in rows],
                marker={"color": "#8fc1a9"},
                texttemplate="¥%{x:,.0f}",
                hovertemplate="%{y}: ¥%{x:,.2f}（%{customdata} 位买家）<extra>30 天 LTV</extra>",
            ),
            go.Bar(
                y=channels,
                x=[float(r[3]) for r in rows],
                orientation="h",
                name="90 天 LTV",
                customdata=[r[4] for r in rows],
                marker={"color": "#2e7d5b"},
                texttemplate="¥%{x:,.0f}",
                hovertemplate="%{y}: ¥%{x:,.2f}（%{customdata} 位买家）<extra>90 天 LTV</extra>",
            ),
        ]
    )
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": 1.08})
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(tickprefix="¥")
    return _layout(figure, 160 + 44 * len(rows))


# --- page ------------------------------------------------------------------------------------


def _chart_html(figure: go.Figure, chart_id: str) -> str:
    return pio.to_html(
        figure,
        include_plotlyjs=False,
        full_html=False,
        div_id=f"chart-{chart_id}",
        config={"displaylogo": False, "responsive": True},
    )


STYLE = f"""
body {{ font-family: {FONT}; margin: 0 auto; max-width: 1200px; padding: 24px; color: #1f2a24; background: #f6f8f7; }}
header h1 {{ margin: 0 0 4px; }} header p {{ margin: 0; color: #5b6b62; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 20px 0; }}
.tile {{ background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }}
.tile .label {{ color: #5b6b62; font-size: 14px; }} .tile .value {{ font-size: 26px; font-weight: 600; margin: 6px 0; }}
.tile .delta {{ font-size: 13px; color: #5b6b62; }} .up {{ color: #1b8a4b; }} .down {{ color: #c0392b; }}
section {{ background: #fff; border-radius: 8px; padding: 12px 16px; margin: 16px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }}
section h2 {{ font-size: 18px; margin: 4px 0; }} .note {{ color: #5b6b62; font-size: 13px; margin: 0 0 8px; }}
.empty {{ color: #8a9a91; padding: 24px; text-align: center; }}
"""


def _page(as_of: dt.date, month: dt.date, serving_db: Path, tiles: str, body: str) -> str:
    before = (month - dt.timedelta(days=1)).replace(day=1)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>私域晨报 {as_of.isoformat()}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>私域晨报</h1>
<p>数据截至 {as_of.isoformat()}（北京时间）· 数据源 {html.escape(serving_db.name)}（与 BI 相同）</p>
</header>
<h2>{month:%Y 年 %m 月}经营指标（对比 {before:%Y 年 %m 月}）</h2>
<div class="tiles">
{tiles}
</div>
{body}
</body>
</html>
"""
