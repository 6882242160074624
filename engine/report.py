"""A self-contained HTML report of a timeline: an inline SVG timeline and the contributions table.

Pure: a timeline (and the day to mark as today, if any) in, an HTML string out. No network, no
external CSS or JavaScript; every text from the scenario goes through ``html.escape``. The SVG
part is well-formed XML (parseable on its own).
"""

from __future__ import annotations

import datetime as dt
from html import escape

from . import render
from .i18n import LABELS, REPORT
from .timeline import Timeline

WIDTH, LEFT, RIGHT = 960, 20, 20
BAND_Y, BAND_H = 50, 36
DEFAULT_Y, DEFAULT_H = BAND_Y + BAND_H + 4, 10
NOTICE_Y, NOTICE_H = BAND_Y - 14, 10
MARK_Y = DEFAULT_Y + DEFAULT_H + 16
HEIGHT = MARK_Y + 4 * 16 + 28

COLOURS = {"initial_term": "#4e79a7", "renewed": "#59a14f", "terminated": "#bab0ac",
           "in_default": "#e15759", "notice": "#f28e2b", "call": "#76b7b2",
           "payment": "#59a14f", "termination": "#000000", "today": "#b07aa1"}
MARKERS = ("notice", "call", "payment", "termination")  # one row each, in this order

def _e(value) -> str:
    return escape(str(value), quote=True)


class _Scale:
    def __init__(self, start: dt.date, end: dt.date):
        self.start = start
        self.days = max(1, (end - start).days + 1)  # end inclusive: the range ends at end + 1 day

    def x(self, day: dt.date) -> float:
        frac = (day - self.start).days / self.days
        return round(LEFT + min(1.0, max(0.0, frac)) * (WIDTH - LEFT - RIGHT), 2)


def markers(t: Timeline) -> list[tuple[str, dt.date, str]]:
    """(kind, date, title) of the markers: notices (termination_scheduled, at their notification
    date), contribution calls, payments, and the termination (at its last day)."""
    out = []
    for e in t.entries:
        if e.kind == "termination_scheduled":
            when = e.detail.get("notified") or e.date
            out.append(("notice", max(when, t.start),
                        f"notice by {e.detail.get('by')} notified {when}, last day {e.detail.get('last_day')}"
                        + (f" (learned {e.date})" if e.date != when else "")))
        elif e.kind == "contribution_called":
            out.append(("call", e.date, f"{e.detail.get('year')} contribution called on {e.date}: "
                                        f"due {render.amount(e.detail.get('due'))} by {e.detail.get('due_date')}"))
        elif e.kind == "payment_received":
            out.append(("payment", e.date, f"payment of {render.amount(e.detail.get('amount'))} on {e.date}"))
    r = t.termination
    if r is not None and r.last_day <= t.horizon:
        out.append(("termination", r.last_day, f"terminated by {r.by}: last day {r.last_day}"))
    return out


def svg(t: Timeline, today: dt.date | None = None, lang: str = "en") -> str:
    T = REPORT[lang]
    sc = _Scale(t.start, t.horizon)
    after = dt.timedelta(days=1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{_e(T["timeline"])}">']
    parts.append(f'<title>{_e(t.name)}</title>')
    # year ticks
    year = t.start.year + (t.start > dt.date(t.start.year, 1, 1))
    while dt.date(year, 1, 1) <= t.horizon:
        x = sc.x(dt.date(year, 1, 1))
        parts.append(f'<line class="tick" x1="{x}" y1="{BAND_Y - 20}" x2="{x}" y2="{HEIGHT - 20}" '
                     f'stroke="#dddddd" stroke-width="1"/>')
        parts.append(f'<text class="tick-label" x="{x}" y="{HEIGHT - 6}" font-size="11" '
                     f'text-anchor="middle">{year}</text>')
        year += 1
    for p in t.periods:
        end = p.end or t.horizon
        x1, x2 = sc.x(p.start), sc.x(end + after)
        title = (f"{render.day(p.start, lang)} – {render.day(p.end, lang) if p.end else '…'}: "
                 f"{render.word(p.state, lang)}, {render.word(p.standing, lang)}"
                 + (f", {T['notice_band']}" if p.notice else ""))
        data = (f'data-state="{_e(p.state)}" data-standing="{_e(p.standing)}" '
                f'data-notice="{"true" if p.notice else "false"}" data-from="{p.start.isoformat()}" '
                f'data-to="{p.end.isoformat() if p.end else ""}"')
        parts.append(f'<rect class="band state-{_e(p.state)}" {data} x="{x1}" y="{BAND_Y}" '
                     f'width="{round(x2 - x1, 2)}" height="{BAND_H}" fill="{COLOURS[p.state]}" '
                     f'stroke="#ffffff" stroke-width="0.5">'
                     f'<title>{_e(title)}</title></rect>')
        if p.standing == "in_default":
            parts.append(f'<rect class="standing in_default" {data} x="{x1}" y="{DEFAULT_Y}" '
                         f'width="{round(x2 - x1, 2)}" height="{DEFAULT_H}" '
                         f'fill="{COLOURS["in_default"]}"><title>{_e(title)}</title></rect>')
        if p.notice:
            parts.append(f'<rect class="notice-band" {data} x="{x1}" y="{NOTICE_Y}" '
                         f'width="{round(x2 - x1, 2)}" height="{NOTICE_H}" '
                         f'fill="{COLOURS["notice"]}"><title>{_e(title)}</title></rect>')
    for kind, when, title in markers(t):
        row = MARKERS.index(kind)
        y = MARK_Y + row * 16
        # the termination marker sits at the end of its last day; the others at the start of their day
        x = sc.x(when + after) if kind == "termination" else sc.x(when)
        parts.append(f'<g class="marker marker-{kind}" data-date="{when.isoformat()}">'
                     f'<line x1="{x}" y1="{BAND_Y}" x2="{x}" y2="{y}" stroke="{COLOURS[kind]}" '
                     f'stroke-width="1" stroke-dasharray="2,2"/>'
                     f'<circle cx="{x}" cy="{y}" r="4" fill="{COLOURS[kind]}"/>'
                     f'<title>{_e(title)}</title></g>')
    if today is not None and t.start <= today <= t.horizon:
        x = sc.x(today)
        parts.append(f'<g class="today" data-date="{today.isoformat()}">'
                     f'<line x1="{x}" y1="{BAND_Y - 24}" x2="{x}" y2="{HEIGHT - 20}" '
                     f'stroke="{COLOURS["today"]}" stroke-width="2"/>'
                     f'<text x="{x}" y="{BAND_Y - 26}" font-size="11" text-anchor="middle">'
                     f'{_e(T["today"])}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 1.2em; }
.legend i { display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin-right: 0.3em; }
"""


def report(t: Timeline, today: dt.date | None = None, lang: str = "en") -> str:
    """The whole HTML page. ``today`` (the caller's clock, if any) draws a line when in range."""
    T, L = REPORT[lang], LABELS[lang]
    day = lambda d: render.day(d, lang)  # noqa: E731
    money = lambda a: render.amount(a, lang)  # noqa: E731
    out = ["<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
           f"<title>{_e(T['title'])} — {_e(t.name)}</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>", f"<h1>{_e(t.name)}</h1>",
           f"<p>{_e(t.convention)} · {_e(day(t.start))} → {_e(day(t.horizon))}</p>"]
    r = t.termination
    term = L["none"] if r is None else (
        f"{L['by']} {render.word(r.by, lang, t)}, {L['notified']} {day(r.notified) or '-'}, "
        f"{L['last_day']} {day(r.last_day)}" + (f", {L['immediate']}" if r.immediate else ""))
    out.append(f'<p class="termination"><strong>{_e(T["termination"])}:</strong> {_e(term)}</p>')
    out.append(f"<h2>{_e(T['timeline'])}</h2>")
    out.append(svg(t, today, lang))
    legend = [(COLOURS["initial_term"], render.word("initial_term", lang)),
              (COLOURS["renewed"], render.word("renewed", lang)),
              (COLOURS["terminated"], render.word("terminated", lang)),
              (COLOURS["in_default"], render.word("in_default", lang)),
              (COLOURS["notice"], T["notice_band"])] + [
        (COLOURS[k], T["marker_" + k]) for k in MARKERS]
    out.append('<p class="legend">' + "".join(
        f'<span><i style="background:{c}"></i>{_e(label)}</span>' for c, label in legend) + "</p>")
    out.append(f"<h2>{_e(T['contributions'])}</h2>")
    if t.contributions:
        heads, rows, _ = render.contribution_rows(t, lang)
        out.append('<table class="contributions"><thead><tr>'
                   + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>")
        for c, row in zip(t.contributions, rows):
            kinds = ["" if typ == "name" else "num" for _, typ, _ in c.figures]
            classes = [""] + kinds + ["num"] * 5 + [""]
            cells = list(zip(row, classes))
            out.append(f'<tr data-year="{c.year}">' + "".join(
                f'<td class="{cls}">{_e(v)}</td>' if cls else f"<td>{_e(v)}</td>" for v, cls in cells)
                + "</tr>")
        out.append("</tbody></table>")
        if t.unallocated:
            out.append(f"<p>{_e(L['unallocated'])}: {_e(money(t.unallocated))}</p>")
    else:
        out.append(f"<p>{_e(T['no_contributions'])}</p>")
    out.append(f"<h2>{_e(T['periods'])}</h2>")
    out.append('<table class="periods"><thead><tr>' + "".join(
        f"<th>{_e(L[k])}</th>" for k in ("from", "to", "state", "standing", "notice"))
        + "</tr></thead><tbody>")
    for p in t.periods:
        out.append("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (
            day(p.start), day(p.end) if p.end else L["open"], render.word(p.state, lang),
            render.word(p.standing, lang), L["yes"] if p.notice else L["no"])) + "</tr>")
    out.append("</tbody></table>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"
