"""The morning report: rendered from a published serving file only, it shows the
marts' own figures, and in headless Chromium every chart draws with no script error and no
request leaving the file. The screenshot is kept in artifacts/morning-report.png."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.browser import artifacts_dir, chromium_page
from tests.conftest import AS_OF

AS_OF_DATE = dt.date.fromisoformat(AS_OF)


@pytest.mark.parametrize(
    "as_of, month",
    [
        ("2026-11-22", "2026-10-01"),  # November is not over: the tiles show October against September
        ("2026-11-30", "2026-11-01"),  # the last day of a month closes it
        ("2026-01-15", "2025-12-01"),
    ],
)
def test_the_kpi_tiles_show_the_last_complete_month(as_of, month):
    from dagster_project.serving.report import kpi_month

    assert kpi_month(dt.date.fromisoformat(as_of)) == dt.date.fromisoformat(month)


@pytest.mark.parametrize(
    "as_of, first, last",
    [
        ("2026-11-22", "2026-10-26", "2026-11-16"),  # a Sunday ends its week
        ("2026-11-23", "2026-10-26", "2026-11-16"),  # a Monday starts an unfinished one
        ("2026-11-21", "2026-10-19", "2026-11-09"),
    ],
)
def test_the_in_app_funnel_covers_complete_weeks(as_of, first, last):
    from dagster_project.serving.report import complete_weeks

    assert complete_weeks(dt.date.fromisoformat(as_of), 4) == (
        dt.date.fromisoformat(first),
        dt.date.fromisoformat(last),
    )


@pytest.fixture(scope="module")
def published(clean_warehouse, tmp_path_factory) -> Path:
    """The clean warehouse's marts published the way the nightly run does (serving.duckdb)."""
    from dagster_project.serving.publish import publish_marts

    serving = tmp_path_factory.mktemp("report") / "serving.duckdb"
    publish_marts(clean_warehouse / "warehouse.duckdb", serving)
    return serving


@pytest.fixture(scope="module")
def report(published):
    from dagster_project.serving.report import write_morning_report

    return write_morning_report(published, published.parent / "report", AS_OF_DATE)


def test_the_report_is_written_with_a_stable_latest_copy(report):
    summary, latest = report
    assert summary.path.name == f"morning_report_{AS_OF}.html"
    assert latest.read_bytes() == summary.path.read_bytes()
    assert summary.kpi_month == dt.date(2026, 10, 1)  # 2026-11-22: November is not over yet
    assert summary.charts == [
        "lifecycle-funnel",
        "mp-funnel",
        "cohort-retention",
        "cohort-ltv",
        "lifecycle-segments",
        "rfm-segments",
        "channel-ltv",
    ]
    assert not summary.empty_sections
    markup = re.sub(
        r"(<script[^>]*>).*?</script>", r"\1</script>", summary.path.read_text(encoding="utf-8"), flags=re.S
    )
    tags = re.findall(r"<(?:script|link|img|iframe|object)\b[^>]*>", markup)
    assert len(tags) == 1 + len(summary.charts)  # plotly.js once, then one script per chart
    assert not [t for t in tags if re.search(r"\b(src|href|data)=", t)], (
        tags
    )  # all inline: nothing is fetched


def test_the_kpi_tiles_show_the_marts_own_figures(report, published):
    summary, _ = report
    page = summary.path.read_text(encoding="utf-8")
    with duckdb.connect(str(published), read_only=True) as con:
        october, september = con.execute(
            "select new_persons, buyers, gmv, repurchase_rate from marts.agg_kpis_monthly "
            "where month in ('2026-10-01', '2026-09-01') order by month desc"
        ).fetchall()
    tiles = dict(re.findall(r'data-kpi="(\w+)">.*?<div class="value">([^<]*)</div>', page))
    assert tiles["new_persons"] == f"{october[0]:,}" and tiles["buyers"] == f"{october[1]:,}"
    assert tiles["gmv"] == f"¥{float(october[2]):,.2f}"
    assert tiles["repurchase_rate"] == f"{october[3]:.1%}"
    assert f"上月 {september[0]:,}" in page  # compared with the month before


def test_the_report_refuses_a_serving_file_of_another_day(published, tmp_path):
    from dagster_project.serving.report import render_report

    with pytest.raises(ValueError, match="is not as of 2026-12-31"):
        render_report(published, tmp_path / "r.html", dt.date(2026, 12, 31))
    assert not (tmp_path / "r.html").exists()


def test_a_month_without_data_becomes_a_note_not_an_empty_chart(published, tmp_path):
    """An in-app funnel with no events in the last four weeks: a 暂无数据 note, the rest renders."""
    from dagster_project.serving.report import render_report

    serving = tmp_path / "serving.duckdb"
    shutil.copyfile(published, serving)
    with duckdb.connect(str(serving)) as con:
        con.execute("delete from marts.agg_mp_conversion_funnel where week_start >= '2026-10-01'")
    summary = render_report(serving, tmp_path / "r.html", AS_OF_DATE)
    assert summary.empty_sections == ["mp-funnel"] and len(summary.charts) == 6
    assert "暂无数据" in summary.path.read_text(encoding="utf-8")


# Per chart: its trace types and drawn marks (bars, line paths, heatmap image), with sizes.
CHART_STATE = """() => [...document.querySelectorAll('section .js-plotly-plot')].map(div => {
    const box = div.getBoundingClientRect();
    const svg = div.querySelector('.main-svg');
    const marks = [...div.querySelectorAll('g.trace.bars .point path, g.trace.scatter path.js-line, .hm image')]
        .map(m => m.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
    return {id: div.id, width: box.width, height: box.height, svg: !!svg,
            traces: (div._fullData || []).map(t => t.type), marks: marks.length};
})"""


def test_every_chart_renders_in_headless_chromium_without_network(report):
    summary, _ = report
    requests: list[str] = []
    with chromium_page(width=1280, height=900) as (page, errors):
        page.on("request", lambda request: requests.append(request.url))
        page.goto(summary.path.as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('section .js-plotly-plot .main-svg').length >= {len(summary.charts)}",
            timeout=30_000,
        )
        charts = page.evaluate(CHART_STATE)
        tiles = page.locator(".tile .value").all_inner_texts()
        page.screenshot(path=str(artifacts_dir() / "morning-report.png"), full_page=True)
    assert not errors, errors
    assert requests == [summary.path.as_uri()], requests  # nothing but the file itself
    assert [c["id"] for c in charts] == [f"chart-{c}" for c in summary.charts]
    expected_types = {
        "chart-lifecycle-funnel": {"funnel"},
        "chart-mp-funnel": {"funnel"},
        "chart-cohort-retention": {"heatmap"},
        "chart-cohort-ltv": {"scatter"},
        "chart-lifecycle-segments": {"bar"},
        "chart-rfm-segments": {"bar"},
        "chart-channel-ltv": {"bar"},
    }
    for chart in charts:
        assert chart["svg"] and chart["width"] > 300 and chart["height"] > 200, chart
        assert set(chart["traces"]) == expected_types[chart["id"]], chart
        assert chart["marks"] > 0, chart  # something is drawn, not an empty canvas
    assert len(tiles) == 6 and all(t != "—" for t in tiles), tiles


def test_the_report_asset_follows_the_publication():
    import dagster as dg

    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    report = graph.get(dg.AssetKey(["serving", "morning_report"]))
    assert dg.AssetKey(["serving", "serving_duckdb"]) in report.parent_keys
    assert report.group_name == "serving"
