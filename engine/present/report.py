"""A self-contained HTML report of a timeline: inline SVG timelines, a legend and the tables.

Pure: a timeline (and the day to mark as today, if any) in, an HTML string out. No network, no
external CSS or JavaScript; every text from the scenario goes through ``html.escape``, and every
text of the engine comes from ``REPORT`` and ``LABELS`` in the chosen language (dates, amounts and
names through ``render.day``, ``render.amount`` and ``render.word``). Each SVG is well-formed XML
(parseable on its own).

The page holds two drawings of the same timeline, and CSS shows one:

* the wide one (screens wider than 760 px, and print): time runs left to right: the notice band,
  the state band, the payment-default stripe, a track of contribution calls and one of payments
  (dots, explained by the legend), then the labels of notices, amendments and the termination in
  rows (``_wide_layout``): no two labels overlap, and no leader line crosses a label unless
  avoiding it would pile up rows on a crowded timeline;
* the narrow one (phones): time runs down; the labels sit right of the bands, as near their
  markers as they can without overlapping (``_stack``), on one or more lines.

On a crowded timeline, notices without effect show only their date and amendments their
reference. Both drawings scale with their ``viewBox`` (``width="100%"``, no fixed pixel size). A
label's box follows from its position, its font size and a conservative width per character
(``text_width``), so that a test can rebuild it from the SVG alone.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any, NamedTuple, cast

from . import render
from .i18n import LABELS, REPORT
from ..core.timeline import Timeline

ONE_DAY = dt.timedelta(days=1)

# Okabe-Ito (colour-blind-safe) for the main colours; a few darker or lighter companions where more
# are needed; every entry differs from every other. Markers also differ by shape.
COLOURS = {
    "initial_term": "#0072B2",   # blue
    "renewed": "#009E73",        # bluish green
    "terminated": "#BBBBBB",     # light grey
    "in_default": "#D55E00",     # vermillion
    "notice_band": "#E69F00",    # orange
    "notice": "#8F5B00",         # dark orange (brown): the notice that starts the orange band
    "notice_void": "#555555",    # dark grey ring: a notice without effect
    "termination": "#000000",    # black square
    "amendment": "#882255",      # wine diamond
    "call": "#56B4E9",           # sky blue dot
    "payment": "#CC79A7",        # reddish purple dot
    "today": "#332288",          # indigo line
}
STATES = ("initial_term", "renewed", "terminated")
SHAPES = {"notice": "dot", "notice_void": "ring", "termination": "square", "amendment": "diamond",
          "call": "dot", "payment": "dot"}
LABELLED = ("notice", "notice_void", "amendment", "termination")  # the markers with a visible label
DOTS = ("call", "payment")                                         # the markers drawn as dots only

# Text geometry. A character is taken as CHAR_EM font sizes wide (more for capitals and m, w):
# conservative for the usual sans-serif fonts (DejaVu Sans, the widest: digits 0.636, lowercase
# ~0.6); a test rebuilds label boxes with CHAR_EM for every character.
CHAR_EM = 0.66
ASCENT, DESCENT = 1.0, 0.3  # of the font size, above and below the baseline (conservative)


def text_width(text: str, size: float) -> float:
    """A conservative width of ``text`` at font size ``size`` (never less than len × CHAR_EM)."""
    em = 0.0
    for c in text:
        if c in "mwMW@%—":
            em += 1.0
        elif c.isupper():
            em += 0.8
        else:
            em += CHAR_EM
    return em * size


def _e(value) -> str:
    return escape(str(value), quote=True)


def _n(v: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width``: cut after its commas first, then between words
    (inside a word only when it alone is too wide)."""
    fits = lambda s: text_width(s, size) <= width  # noqa: E731
    if fits(text):
        return [text]
    segments = text.split(", ")
    lines: list[str] = []
    current = ""
    for i, seg in enumerate(segments):
        comma = "," if i < len(segments) - 1 else ""
        candidate = f"{current}, {seg}" if current else seg
        if fits(candidate + comma):
            current = candidate
            continue
        if current:
            lines.append(current + ",")
        if fits(seg + comma):
            current = seg
            continue
        pieces = _words(seg, size, width)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        lines.append(current)
    return lines


def _words(text: str, size: float, width: float) -> list[str]:
    """``text`` in pieces no wider than ``width``, cut between words (inside a word that alone is
    too wide)."""
    pieces: list[str] = []
    current = ""
    for word in text.split():
        while text_width(word + ",", size) > width:
            n = max(1, int(width / (size * 1.0)) - 1)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:n])
            word = word[n:]
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate + ",", size) > width:
            pieces.append(current)
            current = word
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces or [""]


# ------------------------------------------------------------------ what to draw

class Marker(NamedTuple):
    kind: str            # notice | notice_void | amendment | termination | call | payment
    day: dt.date         # the day it marks
    at: dt.date          # where it is drawn (the termination: the end of its last day)
    title: str           # the hover text
    label: str | None    # the visible label (None: a dot)
    short: str | None = None  # the label on a crowded timeline (None: the label itself)


def markers(t: Timeline, lang: str = "en") -> list[Marker]:
    """The markers of a timeline, in date order: notices (accepted: ``notice``; refused or
    superseded: ``notice_void``) at their notification, amendments at their effective date,
    contribution calls, payments, and the termination at the end of its last day."""
    T, L = REPORT[lang], LABELS[lang]
    day = lambda d: render.day(d, lang)  # noqa: E731
    money = lambda a: render.amount(a, lang)  # noqa: E731
    who = lambda p: render.word(str(p), lang, t)  # noqa: E731
    out: list[Marker] = []
    for e in t.entries:
        d = e.detail
        if e.kind == "termination_scheduled" or (
                e.kind in ("notice_refused", "notice_superseded") and "line" in d):
            # (a notice displaced by a later one that ends earlier has its superseded entry
            # without a line: it is already drawn, from its termination_scheduled entry)
            notified = d.get("notified") or e.date
            when = max(notified, t.start)
            if e.kind == "termination_scheduled":
                title = T["title_notice"].format(by=who(d.get("by")), notified=day(notified),
                                                 last_day=day(d.get("last_day")))
                if e.date != notified:
                    title += T["title_learned"].format(date=day(e.date))
                out.append(Marker("notice", when, when, title,
                                  T["label_notice"].format(by=who(d.get("by")), date=day(notified))))
            else:
                # (LABELS holds text and one nested table, so its values type as Collection[str];
                # "outcomes" is that table: outcome -> its words)
                outcomes = cast(dict[str, str], L["outcomes"])
                outcome = outcomes["refused" if e.kind == "notice_refused" else
                                   "superseded" if "ruling_last_day" in d else "void"]
                title = T["title_notice_void"].format(by=who(d.get("by")), notified=day(notified),
                                                      outcome=outcome)
                out.append(Marker("notice_void", when, when, title,
                                  T["label_notice_void"].format(by=who(d.get("by")),
                                                                date=day(notified)), day(notified)))
        elif e.kind == "amendment_recorded":
            effective = d.get("effective") or e.date
            if effective > t.horizon:
                continue
            ref = d.get("ref") or T["marker_amendment"]
            when = max(effective, t.start)
            out.append(Marker("amendment", when, when,
                              T["title_amendment"].format(ref=ref, date=day(e.date),
                                                          effective=day(effective)),
                              T["label_amendment"].format(ref=ref, date=day(effective)), ref))
        elif e.kind == "contribution_called":
            out.append(Marker("call", e.date, e.date, T["title_call"].format(
                year=d.get("year"), date=day(e.date), due=money(d.get("due")),
                due_date=day(d.get("due_date"))), None))
        elif e.kind == "payment_received":
            out.append(Marker("payment", e.date, e.date, T["title_payment"].format(
                amount=money(d.get("amount")), date=day(e.date)), None))
    r = t.termination
    if r is not None and r.last_day <= t.horizon:
        if r.by == "expiry":
            title = T["title_expiry"].format(last_day=day(r.last_day))
            label = T["label_expiry"].format(date=day(r.last_day))
        else:
            title = T["title_termination"].format(by=who(r.by), last_day=day(r.last_day))
            label = T["label_termination"].format(by=who(r.by), date=day(r.last_day))
        if r.immediate:
            title += f", {L['immediate']}"
        out.append(Marker("termination", r.last_day, r.last_day + ONE_DAY, title, label))
    order = {k: i for i, k in enumerate(("amendment", "call", "payment", "notice_void", "notice",
                                         "termination"))}
    out.sort(key=lambda m: (m.at, order[m.kind]))
    return out


def _period_title(p, t: Timeline, lang: str) -> str:
    T, L = REPORT[lang], LABELS[lang]
    text = T["title_period"].format(start=render.day(p.start, lang),
                                    end=render.day(p.end, lang) if p.end else L["open"],
                                    state=render.word(p.state, lang), standing=render.word(p.standing, lang))
    return text + (f", {T['notice_band']}" if p.notice else "")


def _period_data(p) -> str:
    return (f'data-state="{_e(p.state)}" data-standing="{_e(p.standing)}" '
            f'data-notice="{"true" if p.notice else "false"}" data-from="{p.start.isoformat()}" '
            f'data-to="{p.end.isoformat() if p.end else ""}"')


def _symbol(kind: str, x: float, y: float, r: float = 4.5) -> str:
    """The marker's shape centred on (x, y)."""
    c = COLOURS[kind]
    shape = SHAPES[kind]
    if shape == "ring":
        return (f'<circle class="symbol" cx="{_n(x)}" cy="{_n(y)}" r="{_n(r - 1)}" fill="#ffffff" '
                f'stroke="{c}" stroke-width="2"/>')
    if shape == "square":
        return (f'<rect class="symbol" x="{_n(x - r + 0.5)}" y="{_n(y - r + 0.5)}" '
                f'width="{_n(2 * r - 1)}" height="{_n(2 * r - 1)}" fill="{c}"/>')
    if shape == "diamond":
        return (f'<path class="symbol" d="M{_n(x)} {_n(y - r - 0.5)}L{_n(x + r + 0.5)} {_n(y)}'
                f'L{_n(x)} {_n(y + r + 0.5)}L{_n(x - r - 0.5)} {_n(y)}Z" fill="{c}"/>')
    return f'<circle class="symbol" cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{c}"/>'


def _label(x: float, y: float, size: float, anchor: str, text: str) -> str:
    return (f'<text class="label" x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" '
            f'text-anchor="{anchor}">{_e(text)}</text>')


def _year_step(unit_per_year: float, need: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if step * unit_per_year >= need:
            return step
    return 100


def _years(t: Timeline):
    year = t.start.year + (t.start > dt.date(t.start.year, 1, 1))
    while dt.date(year, 1, 1) <= t.horizon:
        yield year
        year += 1


def _svg_open(kind: str, width: float, height: float, t: Timeline, lang: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline timeline-{kind}" '
            f'width="100%" viewBox="0 0 {_n(width)} {_n(height)}" preserveAspectRatio="xMidYMin meet" '
            f'font-family="system-ui, sans-serif" role="img" aria-label="{_e(REPORT[lang]["timeline"])}">',
            f'<title>{_e(t.name)}</title>']


# ------------------------------------------------------------------ the wide drawing

W = 1000                       # viewBox width
LEFT, RIGHT = 24, 24           # the time axis runs from LEFT to W - RIGHT
TODAY_Y = 13                   # baseline of the "today" text
NOTICE_Y, NOTICE_H = 20, 9
BAND_Y, BAND_H = 31, 30
DEFAULT_Y, DEFAULT_H = BAND_Y + BAND_H + 2, 8
CALL_Y, PAY_Y = DEFAULT_Y + DEFAULT_H + 11, DEFAULT_Y + DEFAULT_H + 24
ROWS_Y = PAY_Y + 12            # top of the first row of labels
FONT = 13                      # labels' font size
ROW_H = 20                     # a row of labels (FONT × (ASCENT + DESCENT) = 16.9 < 20)
GAP = 8                        # horizontal space kept between two labels
SYM = 9                        # from a label's symbol centre to its text
LABEL_MAX = 480                # a label wider than this goes on several lines
TICK_FONT = 12


class _Scale:
    def __init__(self, start: dt.date, end: dt.date, lo: float, hi: float):
        self.start = start
        self.days = max(1, (end - start).days + 1)  # end inclusive: the range ends at end + 1 day
        self.lo, self.hi = lo, hi

    def frac(self, day: dt.date) -> float:
        return min(1.0, max(0.0, (day - self.start).days / self.days))

    def at(self, day: dt.date) -> float:
        return round(self.lo + self.frac(day) * (self.hi - self.lo), 2)


class _Block:
    """The labels of markers closer than CLUSTER to each other: their lines stacked under one
    anchor, in one or more rows.

    ``end`` (preferred): the symbol at the last marker, the text to its left, ending there;
    ``start``: the symbol at the first marker, the text to its right. Lines are at most
    ``width`` wide."""

    def __init__(self, members: list[tuple[Marker, float]], orient: str, compact: bool = False,
                 width: float = 0.0):
        self.members = members
        self.orient = orient
        texts = [(m.short or m.label) if compact else m.label for m, _ in members]
        self.own = [_wrap(s or "", FONT, width or LABEL_MAX) for s in texts]  # each one's lines
        self.lines = sum(len(o) for o in self.own)
        self.width = max(text_width(s, FONT) for o in self.own for s in o)
        lo, hi = members[0][1], members[-1][1]
        if orient == "end":
            self.sym_x, self.text_x = hi, hi - SYM
            self.left, self.right = hi - SYM - self.width, hi + SYM - 3
        else:
            self.sym_x, self.text_x = lo, lo + SYM
            self.left, self.right = lo - SYM + 3, lo + SYM + self.width
        self.row = 0

    def fits(self) -> bool:
        return self.left >= 2 and self.right <= W - 2


CLUSTER = 14     # markers whose x differ by less share a block of labels
MAX_ROWS = 8     # more rows of full labels than this: a crowded timeline
MIN_WRAP = 120   # a label may be wrapped to fit the room left of its marker down to this width


def _clusters(points: list[tuple[Marker, float]]) -> list[list[tuple[Marker, float]]]:
    groups: list[list[tuple[Marker, float]]] = []
    for m, x in points:  # in date order, so in x order
        if groups and x - groups[-1][-1][1] < CLUSTER:
            groups[-1].append((m, x))
        else:
            groups.append([(m, x)])
    return groups


def _options(g: list[tuple[Marker, float]], compact: bool) -> list[tuple[float, _Block]]:
    """The ways to lay out a block, each with its own cost: the text left of the marker, on one
    line or wrapped to the room there; or right of it."""
    out = []
    end = _Block(g, "end", compact)
    room = g[-1][1] - SYM - 2
    if end.fits():
        out.append((0.0, end))
    elif room >= MIN_WRAP:
        wrapped = _Block(g, "end", compact, room)
        if wrapped.fits():
            out.append((0.8 * (wrapped.lines - end.lines), wrapped))
    start = _Block(g, "start", compact)
    if start.fits() or not out:
        out.append((0.5, start))
    return out


def _pack(sc: _Scale, labelled: list[Marker], crossing: float, compact: bool) -> list[_Block]:
    """The blocks of labels, placed in rows, left to right.

    Each block takes, among the rows where its box overlaps no other box (GAP apart), and of its
    ways (``_options``), the one of least cost: its row, plus ``crossing`` for each leader that
    would cross a label (its own leaders through the boxes above it, the leaders of blocks placed
    lower through its box, and the markers to come that its box covers)."""
    rows: list[list[tuple[float, float]]] = []
    leaders: list[tuple[float, int]] = []  # (x, row of its block): it goes through the rows above
    blocks = []
    groups = _clusters([(m, sc.at(m.at)) for m in labelled])
    for k, g in enumerate(groups):
        later = [x for h in groups[k + 1:] for _, x in h]
        best: tuple[float, int, _Block] | None = None
        for extra, b in _options(g, compact):
            ahead = sum(1 for x in later if b.left - 2 <= x <= b.right + 2)
            for r in range(len(rows) + 1):
                span = range(r, r + b.lines)
                if any(row < len(rows) and any(b.left < bb + GAP and aa < b.right + GAP
                                               for aa, bb in rows[row]) for row in span):
                    continue
                crossings = ahead + sum(1 for x, depth in leaders for row in span
                                        if depth > row and b.left - 2 <= x <= b.right + 2)
                crossings += sum(1 for _, x in b.members for row in range(min(r, len(rows)))
                                 for aa, bb in rows[row] if aa - 2 <= x <= bb + 2)
                cost = r + crossing * crossings + extra
                if best is None or cost < best[0]:
                    best = (cost, r, b)
        # _options gives at least one way (the text right of the marker when nothing else fits)
        # and row len(rows) is always free, so some (way, row) was costed
        assert best is not None
        _, r, b = best
        while len(rows) < r + b.lines:
            rows.append([])
        for row in range(r, r + b.lines):
            rows[row].append((b.left, b.right))
        leaders.extend((x, r) for _, x in b.members)
        b.row = r
        blocks.append(b)
    return blocks


def _rows(blocks: list[_Block]) -> int:
    return max((b.row + b.lines for b in blocks), default=0)


def _wide_layout(sc: _Scale, labelled: list[Marker]) -> list[_Block]:
    """The labels in rows. Labels never overlap. Leaders do not cross labels, unless avoiding it
    would pile up rows: then the labels are packed in as few rows as they fit, and the leaders run
    behind them. On a crowded timeline (more than MAX_ROWS rows), notices without effect show
    only their date and amendments their reference (the legend tells the symbols apart)."""
    for compact in (False, True):
        clear = _pack(sc, labelled, 1000.0, compact)
        packed = _pack(sc, labelled, 0.01, compact)
        best = clear if _rows(clear) <= max(6, _rows(packed) + 2) else packed
        if _rows(best) <= MAX_ROWS:
            break
    return best


def svg_wide(t: Timeline, today: dt.date | None = None, lang: str = "en") -> str:
    T = REPORT[lang]
    marks = markers(t, lang)
    sc = _Scale(t.start, t.horizon, LEFT, W - RIGHT)
    blocks = _wide_layout(sc, [m for m in marks if m.label is not None])
    axis_y = ROWS_Y + _rows(blocks) * ROW_H + 6
    height = axis_y + TICK_FONT + 10
    parts = _svg_open("wide", W, height, t, lang)
    # year ticks, labelled every `step` years so that the labels never touch
    unit = (sc.hi - sc.lo) / (sc.days / 365.25)
    step = _year_step(unit, text_width("0000", TICK_FONT) + GAP)
    for year in _years(t):
        x = sc.at(dt.date(year, 1, 1))
        major = year % step == 0
        parts.append(f'<line class="tick" x1="{_n(x)}" y1="{NOTICE_Y}" x2="{_n(x)}" y2="{_n(axis_y)}" '
                     f'stroke="{"#c8c8c8" if major else "#e6e6e6"}" stroke-width="1"/>')
        if major:
            parts.append(f'<text class="tick-label" x="{_n(x)}" y="{_n(axis_y + TICK_FONT + 3)}" '
                         f'font-size="{TICK_FONT}" text-anchor="middle">{year}</text>')
    parts.append(f'<line class="axis" x1="{_n(sc.lo)}" y1="{_n(axis_y)}" x2="{_n(sc.hi)}" '
                 f'y2="{_n(axis_y)}" stroke="#888888" stroke-width="1"/>')
    for p in t.periods:
        end = p.end or t.horizon
        x1, x2 = sc.at(p.start), sc.at(end + ONE_DAY)
        title, data = _e(_period_title(p, t, lang)), _period_data(p)
        parts.append(f'<rect class="band state-{_e(p.state)}" {data} x="{_n(x1)}" y="{BAND_Y}" '
                     f'width="{_n(x2 - x1)}" height="{BAND_H}" fill="{COLOURS[p.state]}">'
                     f'<title>{title}</title></rect>')
        if p.standing == "in_default":
            parts.append(f'<rect class="standing in_default" {data} x="{_n(x1)}" y="{DEFAULT_Y}" '
                         f'width="{_n(x2 - x1)}" height="{DEFAULT_H}" fill="{COLOURS["in_default"]}">'
                         f'<title>{title}</title></rect>')
        if p.notice:
            parts.append(f'<rect class="notice-band" {data} x="{_n(x1)}" y="{NOTICE_Y}" '
                         f'width="{_n(x2 - x1)}" height="{NOTICE_H}" fill="{COLOURS["notice_band"]}">'
                         f'<title>{title}</title></rect>')
    for m in marks:
        if m.label is None:
            x, y = sc.at(m.at), CALL_Y if m.kind == "call" else PAY_Y
            parts.append(f'<g class="marker marker-{m.kind}" data-date="{m.day.isoformat()}">'
                         f'<title>{_e(m.title)}</title>'
                         f'<line x1="{_n(x)}" y1="{BAND_Y + BAND_H}" x2="{_n(x)}" y2="{_n(y)}" '
                         f'stroke="{COLOURS[m.kind]}" stroke-width="1"/>'
                         f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{COLOURS[m.kind]}" '
                         f'stroke="#ffffff" stroke-width="0.8"/></g>')
    # all leaders first, so that a label (on its white ground) hides any leader passing behind it
    # (a block of several markers has one leader, at its symbol; the others a short tick)
    for b in blocks:
        for m, x in b.members:
            y1 = NOTICE_Y if m.kind in ("notice", "termination") else BAND_Y + BAND_H
            y2 = ROWS_Y + b.row * ROW_H + 2 if x == b.sym_x else BAND_Y + BAND_H + 6
            parts.append(f'<line class="leader" data-date="{m.day.isoformat()}" x1="{_n(x)}" '
                         f'y1="{y1}" x2="{_n(x)}" y2="{_n(y2)}" '
                         f'stroke="{COLOURS[m.kind]}" stroke-width="1.2" stroke-dasharray="3,2"/>')
    for b in blocks:
        line = b.row
        for (m, x), own in zip(b.members, b.own):
            top = ROWS_Y + line * ROW_H
            width = max(text_width(s, FONT) for s in own)
            ground_x = b.text_x - width if b.orient == "end" else b.text_x
            g = [f'<g class="marker marker-{m.kind}" data-date="{m.day.isoformat()}">',
                 f'<title>{_e(m.title)}</title>',
                 f'<rect class="ground" x="{_n(ground_x - 2)}" y="{_n(top + 1)}" width="{_n(width + 4)}" '
                 f'height="{_n(len(own) * ROW_H - 2)}" fill="#ffffff" fill-opacity="0.9"/>',
                 _symbol(m.kind, b.sym_x, top + ROW_H / 2 - 1)]
            g += [_label(b.text_x, top + i * ROW_H + 14, FONT, b.orient, s) for i, s in enumerate(own)]
            g.append("</g>")
            parts.append("".join(g))
            line += len(own)
    if today is not None and t.start <= today <= t.horizon:
        x = sc.at(today)
        w = text_width(T["today"], TICK_FONT)
        anchor, tx = ("start", x - 3) if x - w / 2 < 2 else ("end", x + 3) if x + w / 2 > W - 2 \
            else ("middle", x)
        # the line stops above the labels (it crosses the bands and the dots only)
        parts.append(f'<g class="today" data-date="{today.isoformat()}">'
                     f'<line x1="{_n(x)}" y1="{TODAY_Y + 3}" x2="{_n(x)}" y2="{PAY_Y + 6}" '
                     f'stroke="{COLOURS["today"]}" stroke-width="2"/>'
                     f'<text class="label today-label" x="{_n(tx)}" y="{TODAY_Y}" font-size="{TICK_FONT}" '
                     f'text-anchor="{anchor}" fill="{COLOURS["today"]}">{_e(T["today"])}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


# ------------------------------------------------------------------ the narrow drawing

NW = 380                          # viewBox width
N_TOP = 14                        # the first day's y
N_YEAR_X = 34                     # year labels end here
N_NOTICE_X, N_NOTICE_W = 38, 6
N_BAND_X, N_BAND_W = 46, 24
N_DEFAULT_X, N_DEFAULT_W = 72, 6
N_CALL_X, N_PAY_X = 86, 95
N_TEXT_X = 116                    # labels start here
N_FONT = 12
N_LINE = 16                       # N_FONT × (ASCENT + DESCENT) = 15.6 < 16
N_GAP = 5
N_PER_YEAR = 64
N_DRIFT = 48                      # labels further than this from their markers: use the short ones


def _stack(ideal: list[float], heights: list[float]) -> tuple[list[float], list[int]]:
    """Tops for boxes of these heights, in this order, none overlapping the next, each as near
    its ideal top as can be: overlapping runs are centred on their ideal tops (and none above 0).
    Also, for each box, the number of its run."""
    # (top, height, count, sum of (ideal - offset in the run))
    runs: list[tuple[float, float, int, float]] = []
    for want, h in zip(ideal, heights):
        run = (max(0.0, want), h, 1, want)
        while runs and runs[-1][0] + runs[-1][1] > run[0]:
            prev = runs.pop()
            total = prev[3] + run[3] - prev[1] * run[2]  # the new run's offsets grow by prev's height
            count = prev[2] + run[2]
            run = (max(0.0, total / count), prev[1] + run[1], count, total)
        runs.append(run)
    tops: list[float] = []
    which: list[int] = []
    i = 0
    for k, run in enumerate(runs):
        y = run[0]
        for _ in range(run[2]):
            tops.append(y)
            which.append(k)
            y += heights[i]
            i += 1
    return tops, which


def svg_narrow(t: Timeline, today: dt.date | None = None, lang: str = "en") -> str:
    T = REPORT[lang]
    years = ((t.horizon - t.start).days + 1) / 365.25
    plot = min(1900.0, max(320.0, years * N_PER_YEAR))
    sc = _Scale(t.start, t.horizon, N_TOP, N_TOP + plot)
    marks = markers(t, lang)
    shown_today = today is not None and t.start <= today <= t.horizon
    # the labels in date order, each near its marker; when a crowd pushes labels of a kind too far
    # from their markers, that kind shows its short labels (notices without effect: their dates;
    # amendments: their refs), all of them alike
    short: set[str] = set()
    for _ in range(4):
        items: list[tuple[str, Marker | None, float, list[str]]] = []
        for m in marks:
            if m.label is not None:
                text = (m.short or m.label) if m.kind in short else m.label
                items.append((m.kind, m, sc.at(m.at), _wrap(text, N_FONT, NW - 4 - N_TEXT_X)))
        if shown_today:
            assert today is not None  # shown_today checks it
            items.append(("today", None, sc.at(today), [T["today"]]))
            items.sort(key=lambda it: it[2])
        tops, _ = _stack([it[2] - N_LINE / 2 for it in items],
                         [len(it[3]) * N_LINE + N_GAP for it in items])
        more = {it[0] for top, it in zip(tops, items)
                if abs(top - (it[2] - N_LINE / 2)) > N_DRIFT and it[1] is not None and it[1].short} - short
        if not more:
            break
        short |= more
    bottom = max((top + len(it[3]) * N_LINE for top, it in zip(tops, items)), default=0)
    height = max(N_TOP + plot + 12, bottom + 6)
    parts = _svg_open("narrow", NW, height, t, lang)
    step = _year_step(plot / max(years, 1e-9), N_FONT * 1.5)
    for year in _years(t):
        y = sc.at(dt.date(year, 1, 1))
        major = year % step == 0
        parts.append(f'<line class="tick" x1="{N_YEAR_X + 2}" y1="{_n(y)}" x2="{N_PAY_X + 6}" y2="{_n(y)}" '
                     f'stroke="{"#c8c8c8" if major else "#e6e6e6"}" stroke-width="1"/>')
        if major:
            parts.append(f'<text class="tick-label" x="{N_YEAR_X}" y="{_n(y + 4)}" font-size="{N_FONT}" '
                         f'text-anchor="end">{year}</text>')
    for p in t.periods:
        end = p.end or t.horizon
        y1, y2 = sc.at(p.start), sc.at(end + ONE_DAY)
        title, data = _e(_period_title(p, t, lang)), _period_data(p)
        parts.append(f'<rect class="band state-{_e(p.state)}" {data} x="{N_BAND_X}" y="{_n(y1)}" '
                     f'width="{N_BAND_W}" height="{_n(y2 - y1)}" fill="{COLOURS[p.state]}">'
                     f'<title>{title}</title></rect>')
        if p.standing == "in_default":
            parts.append(f'<rect class="standing in_default" {data} x="{N_DEFAULT_X}" y="{_n(y1)}" '
                         f'width="{N_DEFAULT_W}" height="{_n(y2 - y1)}" fill="{COLOURS["in_default"]}">'
                         f'<title>{title}</title></rect>')
        if p.notice:
            parts.append(f'<rect class="notice-band" {data} x="{N_NOTICE_X}" y="{_n(y1)}" '
                         f'width="{N_NOTICE_W}" height="{_n(y2 - y1)}" fill="{COLOURS["notice_band"]}">'
                         f'<title>{title}</title></rect>')
    for m in marks:
        if m.label is None:
            y, x = sc.at(m.at), N_CALL_X if m.kind == "call" else N_PAY_X
            parts.append(f'<g class="marker marker-{m.kind}" data-date="{m.day.isoformat()}">'
                         f'<title>{_e(m.title)}</title>'
                         f'<circle cx="{x}" cy="{_n(y)}" r="3.5" fill="{COLOURS[m.kind]}" '
                         f'stroke="#ffffff" stroke-width="0.8"/></g>')
    for (kind, mark, y, lines), top in zip(items, tops):
        mid = top + N_LINE / 2
        colour = COLOURS[kind]
        # the leader: from the bands across to the label, bent when the label was pushed down
        leader = (f'<polyline class="leader" points="{N_DEFAULT_X + N_DEFAULT_W},{_n(y)} {N_PAY_X + 4},{_n(y)} '
                  f'{N_TEXT_X - 13},{_n(mid)}" fill="none" stroke="{colour}" stroke-width="1.2" '
                  f'stroke-dasharray="3,2"/>')
        texts = "".join(_label(N_TEXT_X, top + i * N_LINE + 12, N_FONT, "start", s)
                        for i, s in enumerate(lines))
        if kind == "today":
            assert today is not None  # the "today" item is added only when shown_today
            texts = "".join(
                f'<text class="label today-label" x="{N_TEXT_X}" y="{_n(top + i * N_LINE + 12)}" '
                f'font-size="{N_FONT}" text-anchor="start" fill="{colour}">{_e(s)}</text>'
                for i, s in enumerate(lines))
            parts.append(f'<g class="today" data-date="{today.isoformat()}">'
                         f'<line x1="{N_NOTICE_X - 2}" y1="{_n(y)}" x2="{N_DEFAULT_X + N_DEFAULT_W + 2}" '
                         f'y2="{_n(y)}" stroke="{colour}" stroke-width="2"/>'
                         f'<polyline class="leader" points="{N_DEFAULT_X + N_DEFAULT_W},{_n(y)} '
                         f'{N_PAY_X + 4},{_n(y)} {N_TEXT_X - 13},{_n(mid)}" fill="none" '
                         f'stroke="{colour}" stroke-width="1.2"/>'
                         f'<rect class="symbol" x="{N_TEXT_X - 12}" y="{_n(mid - 2)}" width="10" '
                         f'height="2.5" fill="{colour}"/>{texts}</g>')
        else:
            assert mark is not None  # only the "today" item has no marker
            parts.append(f'<g class="marker marker-{kind}" data-date="{mark.day.isoformat()}">'
                         f'<title>{_e(mark.title)}</title>{leader}{_symbol(kind, N_TEXT_X - 7, mid - 1)}'
                         f'{texts}</g>')
    parts.append("</svg>")
    return "\n".join(parts)


def svg(t: Timeline, today: dt.date | None = None, lang: str = "en") -> str:
    """The wide drawing (the one a printout shows)."""
    return svg_wide(t, today, lang)


# ------------------------------------------------------------------ the legend and the page

def legend(t: Timeline, today: dt.date | None = None, lang: str = "en") -> list[tuple[str, str, str, str]]:
    """(key, shape, colour, text) of what the drawings show, in the chosen language."""
    T = REPORT[lang]
    out = []
    for s in STATES:
        if any(p.state == s for p in t.periods):
            out.append((f"state-{s}", "band", COLOURS[s], render.word(s, lang)))
    if any(p.standing == "in_default" for p in t.periods):
        out.append(("in_default", "stripe", COLOURS["in_default"], render.word("in_default", lang)))
    if any(p.notice for p in t.periods):
        out.append(("notice_band", "stripe", COLOURS["notice_band"], T["notice_band"]))
    kinds = {m.kind for m in markers(t, lang)}
    for k in LABELLED + DOTS:
        if k in kinds:
            out.append((f"marker-{k}", SHAPES[k], COLOURS[k], T["marker_" + k]))
    if today is not None and t.start <= today <= t.horizon:
        out.append(("today", "line", COLOURS["today"], T["today"]))
    return out


_CSS = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; color: #222; line-height: 1.4; max-width: 1200px;
       margin: 1.5em auto; padding: 0 1.5em; -webkit-text-size-adjust: 100%; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 1.2em 0 .4em; }
.chart { margin: 0; }
svg.timeline { display: block; width: 100%; height: auto; overflow: visible; }
svg.timeline-narrow { display: none; max-width: 540px; }
svg text { fill: #222; }
svg text.label { paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
svg text.today-label { fill: #332288; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: .35em 1.4em; list-style: none; margin: .6em 0 .3em; padding: 0; }
.legend li { display: flex; align-items: center; gap: .45em; }
.legend-title { font-weight: 600; }
.swatch { display: inline-block; flex: none; width: 1.6em; height: 1em; }
.swatch.stripe { height: .45em; }
.swatch.line { height: 3px; }
.swatch.dot, .swatch.ring { width: .8em; height: .8em; border-radius: 50%; }
.swatch.ring { border: 2px solid; background: #ffffff !important; }
.swatch.square { width: .75em; height: .75em; }
.swatch.diamond { width: .7em; height: .7em; transform: rotate(45deg); margin: 0 .1em; }
.note { color: #555; font-size: .92em; margin: 0 0 1em; }
.table-wrap { max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
@media (max-width: 760px) {
  body { margin: .8em auto; padding: 0 .8em; }
  h1 { font-size: 1.3em; }
  svg.timeline-wide { display: none; }
  svg.timeline-narrow { display: block; }
}
@page { size: A4 landscape; margin: 12mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  svg.timeline-wide { display: block !important; }
  svg.timeline-narrow { display: none !important; }
  .chart, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  .table-wrap { overflow: visible; }
}
"""


def report(t: Timeline, today: dt.date | None = None, lang: str = "en", arrears: Any = None) -> str:
    """The whole HTML page. ``today`` (the caller's clock, if any) draws a line when in range;
    ``arrears`` (:class:`engine.answers.deadlines.Arrears`, e.g. on the horizon) adds what is overdue
    and what that default allows."""
    T, L = REPORT[lang], LABELS[lang]
    day = lambda d: render.day(d, lang)  # noqa: E731
    money = lambda a: render.amount(a, lang)  # noqa: E731
    out = ["<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
           f"<title>{_e(T['title'])} — {_e(t.name)}</title>",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<style>{_CSS}</style>", "</head>",
           "<body>", f"<h1>{_e(t.name)}</h1>",
           f"<p>{_e(t.convention)} · {_e(day(t.start))} → {_e(day(t.horizon))}</p>"]
    r = t.termination
    if r is None:
        term = L["none"]
    elif r.by == "expiry":
        term = f"{L.get('expiry_end', render.word('expiry', lang))}, {L['last_day']} {day(r.last_day)}"
    else:
        term = (f"{L['by']} {render.word(r.by, lang, t)}, {L['notified']} {day(r.notified) or '-'}, "
                f"{L['last_day']} {day(r.last_day)}" + (f", {L['immediate']}" if r.immediate else ""))
    colon = cast(str, L["colon"]).rstrip()  # a text of LABELS (typed Collection[str]: see markers)
    out.append(f'<p class="termination"><strong>{_e(T["termination"])}{_e(colon)}</strong> {_e(term)}</p>')
    out.append(f"<h2>{_e(T['timeline'])}</h2>")
    out.append('<figure class="chart">')
    out.append(svg_wide(t, today, lang))
    out.append(svg_narrow(t, today, lang))
    out.append(f'<figcaption><ul class="legend" aria-label="{_e(T["legend"])}">'
               f'<li class="legend-title">{_e(T["legend"])}{_e(colon)}</li>')
    for key, shape, colour, text in legend(t, today, lang):
        paint = f"border-color:{colour}" if shape == "ring" else f"background:{colour}"
        out.append(f'<li class="legend-item" data-key="{_e(key)}" data-colour="{colour}">'
                   f'<span class="swatch {shape}" style="{paint}"></span>{_e(text)}</li>')
    out.append("</ul>")
    if any(m.kind in DOTS for m in markers(t, lang)):
        out.append(f'<p class="note">{_e(T["dots"])}</p>')
    out.append("</figcaption>")
    out.append("</figure>")
    out.append(f"<h2>{_e(T['contributions'])}</h2>")
    if t.contributions:
        heads, rows, _ = render.contribution_rows(t, lang)
        out.append('<div class="table-wrap"><table class="contributions"><thead><tr>'
                   + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>")
        for c, row in zip(t.contributions, rows):
            kinds = ["" if typ == "name" else "num" for _, typ, _ in c.figures]
            classes = [""] + kinds + ["num"] * 5 + [""]
            cells = list(zip(row, classes))
            out.append(f'<tr data-year="{c.year}">' + "".join(
                f'<td class="{cls}">{_e(v)}</td>' if cls else f"<td>{_e(v)}</td>" for v, cls in cells)
                + "</tr>")
        out.append("</tbody></table></div>")
        for year in sorted({c.year for c in t.contributions}):
            note = render.rounding_note(t, year, lang)
            if note is not None:
                out.append(f'<p class="note rounding" data-year="{year}">{_e(note)}</p>')
        if t.unallocated:
            out.append(f"<p>{_e(L['unallocated'])}{_e(L['colon'])}{_e(money(t.unallocated))}</p>")
    else:
        out.append(f"<p>{_e(T['no_contributions'])}</p>")
    owed = render.arrears_lines(arrears, t, lang, ended=t.state_on(arrears.on) == "terminated") if arrears else []
    if owed:
        title, *lines = owed
        items = [x.strip() for x in lines[:len(arrears.overdue)]]
        out.append(f'<section class="overdue"><h2>{_e(str(title).rstrip(": "))}</h2><ul>'
                   + "".join(f'<li data-due-date="{o.due_date.isoformat()}">{_e(x)}</li>'
                             for o, x in zip(arrears.overdue, items)) + "</ul>"
                   + "".join(f"<p>{_e(x)}</p>" for x in lines[len(arrears.overdue):]) + "</section>")
    out.append(f"<h2>{_e(T['periods'])}</h2>")
    out.append('<div class="table-wrap"><table class="periods"><thead><tr>' + "".join(
        f"<th>{_e(L[k])}</th>" for k in ("from", "to", "state", "standing", "notice"))
        + "</tr></thead><tbody>")
    for p in t.periods:
        out.append("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (
            day(p.start), day(p.end) if p.end else L["open"], render.word(p.state, lang),
            render.word(p.standing, lang), L["yes"] if p.notice else L["no"])) + "</tr>")
    out.append("</tbody></table></div>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"
