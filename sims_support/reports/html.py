"""`sims-case report --format html`: one self-contained page, its chart in inline SVG.

No external files, fonts or scripts: the page can be mailed or archived as it is. The
few lines of script at the end only record, on the chart, how many bars the browser
laid out (tests read them back from the DOM).
"""

from __future__ import annotations

from html import escape

from domain.kpi import BucketAttainment, ResolutionAttainment
from domain.kpi_report import KpiReport
from sims_support.reports.format import london, working_time
from sims_support.reports.text import (
    FEEDBACK_HEADERS,
    FEEDBACK_TITLE,
    all_misses,
    behind,
    feedback_rows,
    heading,
    inside,
    limit_label,
    miss_title,
    percent,
)

PANEL_W, PANEL_H, PLOT_H, TOP = 230, 250, 160, 40
MET_COLOUR, MISSED_COLOUR, TARGET_COLOUR = "#2e7d32", "#c62828", "#111111"

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .4em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: right;
  white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td.met { background: #e8f5e9; color: #1b5e20; } td.missed { background: #ffebee; color: #b71c1c; }
.refs { font-family: ui-monospace, monospace; font-size: .9em; }
svg.chart text { font: 12px system-ui, sans-serif; }
"""

# Counts the bars the browser actually laid out, on the chart element itself.
SCRIPT = """
(function () {
  var chart = document.querySelector("svg.chart");
  var bars = Array.prototype.filter.call(chart.querySelectorAll("rect.bar"),
    function (bar) { return bar.getBBox().height > 0 && bar.getBBox().width > 0; });
  chart.setAttribute("data-rendered-bars", String(bars.length));
  var box = chart.getBoundingClientRect();
  chart.setAttribute("data-rendered-width", String(Math.round(box.width)));
})();
"""


def _bar(row: ResolutionAttainment, index: int, bucket: BucketAttainment, slot: float) -> str:
    x = 40 + index * slot
    label = limit_label(bucket.limit)
    parts = [
        f'<text x="{x + slot / 2:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle">{label}</text>'
    ]
    if bucket.share is not None:
        height = max(1.0, bucket.share * PLOT_H)
        colour = MET_COLOUR if bucket.attained else MISSED_COLOUR
        state = "met" if bucket.attained else "missed"
        parts.append(
            f'<rect class="bar {state}" data-priority="{row.priority.name}" '
            f'data-limit="{label}" data-share="{bucket.share:.4f}" x="{x + slot * 0.2:.1f}" '
            f'y="{TOP + PLOT_H - height:.1f}" width="{slot * 0.6:.1f}" height="{height:.1f}" '
            f'fill="{colour}"><title>{row.priority.name} {label}: {percent(bucket.share)} '
            f"(target {percent(bucket.target)})</title></rect>"
        )
    target_y = TOP + PLOT_H - bucket.target * PLOT_H
    parts.append(
        f'<line class="target" x1="{x + slot * 0.1:.1f}" x2="{x + slot * 0.9:.1f}" '
        f'y1="{target_y:.1f}" y2="{target_y:.1f}" stroke="{TARGET_COLOUR}" stroke-width="2"/>'
    )
    return "".join(parts)


def _panel(row: ResolutionAttainment, offset: int) -> str:
    slot = (PANEL_W - 50) / max(1, len(row.buckets))
    axis = "".join(
        f'<line x1="36" x2="{PANEL_W - 8}" y1="{TOP + PLOT_H * (1 - f):.1f}" '
        f'y2="{TOP + PLOT_H * (1 - f):.1f}" stroke="#ddd"/>'
        f'<text x="32" y="{TOP + PLOT_H * (1 - f) + 4:.1f}" text-anchor="end">{f:.0%}</text>'
        for f in (0, 0.5, 1)
    )
    bars = "".join(_bar(row, i, b, slot) for i, b in enumerate(row.buckets))
    if not any(b.counted for b in row.buckets):
        bars += (
            f'<text x="{PANEL_W / 2 + 14}" y="{TOP + PLOT_H / 2}" text-anchor="middle" '
            'fill="#777">no cases</text>'
        )
    return (
        f'<g transform="translate({offset},0)">'
        f'<text x="{PANEL_W / 2}" y="20" text-anchor="middle" font-weight="bold">'
        f"{row.priority.name}</text>{axis}{bars}</g>"
    )


def chart(report: KpiReport) -> str:
    width = PANEL_W * len(report.resolution)
    panels = "".join(_panel(row, i * PANEL_W) for i, row in enumerate(report.resolution))
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{PANEL_H}" viewBox="0 0 {width} {PANEL_H}" role="img" '
        'aria-label="Share of cases resolved within each limit, against the charter">'
        f"{panels}</svg>"
    )


def _table(headers: list[str], rows: list[list[str]]) -> str:
    return _marked_up(headers, [[f"<td>{escape(c)}</td>" for c in row] for row in rows])


def _marked_up(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _graded(bucket: BucketAttainment | None) -> str:
    if bucket is None:
        return "<td></td>"
    if bucket.share is None:
        return "<td>-</td>"
    state = "met" if bucket.attained else "missed"
    mark = "✓" if bucket.attained else "✗"
    return (
        f'<td class="{state}">{percent(bucket.share)} {mark} '
        f"<small>of {bucket.counted}</small></td>"
    )


def resolution_table(report: KpiReport) -> str:
    """Two rows a priority: the charter's shares, then the actual ones, graded."""
    limits = sorted({b.limit for r in report.resolution for b in r.buckets})
    rows = []
    for row in report.resolution:
        found = {b.limit: b for b in row.buckets}
        charter = [percent(found[lim].target) if lim in found else "" for lim in limits]
        rows.append(
            [f'<td rowspan="2">{row.priority.name}</td>', "<td>charter</td>"]
            + [f"<td>{c}</td>" for c in charter]
        )
        rows.append(["<td>actual</td>", *(_graded(found.get(lim)) for lim in limits)])
    return _marked_up(["priority", "", *(limit_label(lim) for lim in limits)], rows)


def render_html(report: KpiReport) -> str:
    title, when, counts = heading(report)
    response = _table(
        ["priority", "target", "met", "due", "actual"],
        [
            [
                r.priority.name,
                limit_label(r.target),
                str(r.met.count),
                str(r.counted),
                percent(r.share),
            ]
            for r in report.response
        ],
    )
    events = _table(
        ["priority", "warnings", "breaches", "escalations", "chasers"],
        [
            [s.priority.name, *map(str, (s.warnings, s.breaches, s.escalations, s.chasers))]
            for s in report.sla_events
        ],
    )
    miss_items = "".join(
        f'<li>{escape(what)}: <span class="refs">{escape(", ".join(behind(cases)))}</span></li>'
        for what, cases in all_misses(report)
    )
    still = inside(report)
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1><p>{escape(when)}<br>{escape(counts)}</p>",
            "<h2>Resolution within working time: actual share against the charter</h2>",
            chart(report),
            "<p><small>Bars: the actual share (green where the charter's share is met, red "
            "where it is missed); black lines: the charter's share.</small></p>",
            resolution_table(report),
            f"<p>Open, inside every limit so far: {escape(', '.join(still) or 'none')}</p>",
            "<h2>First response within target</h2>",
            response,
            "<h2>SLA events in the period</h2>",
            events,
            _feedback(report),
            f"<h2>{escape(miss_title(report))}</h2>",
            f"<ul>{miss_items or '<li>none</li>'}</ul>",
            _at_risk(report),
            f"<script>{SCRIPT}</script></body></html>",
        ]
    )


def _feedback(report: KpiReport) -> str:
    rows = feedback_rows(report)
    if rows is None:
        return ""
    return f"<h2>{escape(FEEDBACK_TITLE)}</h2>" + _table(FEEDBACK_HEADERS, rows)


def _at_risk(report: KpiReport) -> str:
    if report.at_risk_within is None:
        return ""
    rows = [
        [
            r.reference,
            r.priority.name,
            working_time(r.used),
            limit_label(r.limit),
            working_time(r.left),
            london(r.passes_at),
        ]
        for r in report.at_risk
    ]
    within = working_time(report.at_risk_within)
    return (
        f"<h2>At risk: open cases passing their next limit within {escape(within)}</h2>"
        + _table(["reference", "priority", "used", "limit", "left", "passes (London)"], rows)
    )
