"""The HTML report read at a glance, printed and on a phone (issue: colours, labels, scaling).

Each drawing's texts are rebuilt as boxes from their SVG attributes alone (x, y, font-size,
text-anchor and a conservative width per character) and checked pairwise: no two overlap, on
every shipped scenario and on generated long timelines crowded with notices and amendments.
The legend gives one distinct colour per thing drawn, in the page's language; the SVGs scale
(viewBox, width 100 %); every text of a French page is French.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import pathlib
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings, strategies as st

import engine
from engine import cli
from engine.present import render
from engine.present.i18n import LABELS, REPORT
from engine.present.report import COLOURS, report
from tests.sweeps import every_scenario

ROOT = pathlib.Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
NS = "{http://www.w3.org/2000/svg}"
CHAR_EM = 0.66        # a character's width, in font sizes (DejaVu Sans: digits 0.636, lowercase ~0.6)
ASCENT, DESCENT = 1.0, 0.3
D = dt.date.fromisoformat


# ------------------------------------------------------------------ helpers

def svgs(page: str) -> list[ET.Element]:
    """Every SVG of the page, each parsed on its own as XML (so each is well-formed)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def box(el: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a <text> from its attributes alone."""
    x, y, size = float(el.get("x")), float(el.get("y")), float(el.get("font-size"))
    width = len(text_of(el)) * CHAR_EM * size
    anchor = el.get("text-anchor")
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, y - ASCENT * size, left + width, y + DESCENT * size


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_texts(root: ET.Element) -> list[tuple]:
    """Every text has its geometry; no two text boxes overlap; all lie inside the viewBox."""
    _, _, vw, vh = (float(v) for v in root.get("viewBox").split())
    texts = list(root.iter(f"{NS}text"))
    for el in texts:
        assert el.get("x") and el.get("y") and el.get("font-size") and el.get("text-anchor"), el.attrib
    boxes = [(box(el), text_of(el), el.get("class")) for el in texts]
    for (a, ta, _), (b, tb, _) in itertools.combinations(boxes, 2):
        assert not overlap(a, b), f"{ta!r} {a} overlaps {tb!r} {b}"
    for (left, top, right, bottom), t, _ in boxes:
        assert 0 <= left and right <= vw and 0 <= top and bottom <= vh, (t, (left, top, right, bottom), vw, vh)
    return boxes


def labels(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter(f"{NS}text") if "label" in (el.get("class") or "").split()]


class Visible(HTMLParser):
    """The text a reader of the page sees (and hovers): text nodes, titles, aria-labels;
    not the style sheet."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self.legend: list[dict] = []
        self._item: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "style":
            self._skip += 1
        if "aria-label" in a:
            self.parts.append(a["aria-label"])
        if tag == "li" and "legend-item" in (a.get("class") or ""):
            self._item = {"key": a["data-key"], "colour": a["data-colour"], "text": ""}
            self.legend.append(self._item)

    def handle_endtag(self, tag):
        if tag == "style":
            self._skip -= 1
        if tag == "li":
            self._item = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._item is not None:
                self._item["text"] += data


def visible(page: str) -> Visible:
    p = Visible()
    p.feed(page)
    return p


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ]+", re.sub(r"\{[^}]*\}", " ", text))}


# ------------------------------------------------------------------ generated long timelines

def long_scenario(years=30, notices=28, amendments=14, bunched=0, initial="P25Y",
                  name="Syndicat intercommunal de la vallée (trente ans)"):
    """A cdg62-demat convention over ``years`` years: an initial term of ``initial`` inside which
    notices are refused (so they pile up), ``notices`` spread evenly, ``bunched`` more nine days
    apart in 2035, an amendment every few years and a yearly payment; the first notice after the
    initial term ends it."""
    start = dt.date(2026, 1, 1)
    events = []
    for i in range(amendments):
        y = 2026 + (i * years) // max(1, amendments)
        events.append({"date": dt.date(y, 6, 1), "type": "amendment", "ref": f"Avenant n°{i + 1}",
                       "effective": dt.date(y + 1, 1, 1),
                       "set": {"contribution": {"payment_term": f"P{30 + i}D"}}})
    days = [start + dt.timedelta(days=40 + (i * 365 * years) // max(1, notices)) for i in range(notices)]
    days += [dt.date(2035, 3, 1) + dt.timedelta(days=9 * i) for i in range(bunched)]
    for i, d in enumerate(sorted(days)):
        by = "member" if i % 2 else "cdg"
        received = {"cdg": d, "archives": d} if by == "member" else {"member": d}
        events.append({"date": d, "type": "notice", "by": by, "received": received})
    for y in range(years):
        events.append({"date": dt.date(2026 + y, 1, 20), "type": "payment", "amount": "250.00"})
    return engine.load_scenario({
        "scenario": 1, "convention": "cdg62-demat", "name": name, "start": start,
        "horizon": dt.date(2026 + years - 1, 12, 31), "member": {"agents": 410},
        "consultations": {2024: 44, 2025: 38},
        "overrides": {"term": {"initial": initial}, "notice": {"within_initial_term": "refused"}},
        "events": events})


LONG = {"long": dict(), "bunched": dict(notices=6, amendments=30, bunched=14),
        "crowded": dict(notices=60, amendments=29), "short-term": dict(years=30, initial="P3Y"),
        "one-year": dict(years=1, notices=8, amendments=3, initial="P2Y")}


# ------------------------------------------------------------------ labels never overlap

@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", every_scenario(SCENARIOS), ids=lambda p: p.stem)
def test_labels_do_not_overlap_on_every_scenario(path, lang):
    s = engine.load_scenario(str(path))
    t = engine.replay(s)
    today = s.start + (t.horizon - s.start) / 2
    roots = svgs(report(t, today=today, lang=lang))
    assert [r.get("class") for r in roots] == ["timeline timeline-wide", "timeline timeline-narrow"]
    for root in roots:
        check_texts(root)
        # every notice, amendment and the termination has a visible label
        drawn = [g for g in root.iter(f"{NS}g") if "marker" in (g.get("class") or "").split()]
        for g in drawn:
            kind = g.get("class").split()[1][len("marker-"):]
            if kind in ("notice", "notice_void", "amendment", "termination"):
                assert g.findall(f"{NS}text[@class='label']"), (kind, g.get("data-date"))
    wide = roots[0]
    # on these short timelines no leader crosses a label
    boxes = [box(el) for el in labels(wide)]
    for line in wide.iter(f"{NS}line"):
        if line.get("class") == "leader":
            x, y1, y2 = float(line.get("x1")), float(line.get("y1")), float(line.get("y2"))
            for left, top, right, bottom in boxes:
                assert not (left <= x <= right and top < y2 and y1 < bottom), (path.stem, x)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("case", sorted(LONG))
def test_labels_do_not_overlap_on_long_crowded_timelines(case, lang):
    s = long_scenario(**LONG[case])
    t = engine.replay(s)
    kinds = [e.kind for e in t.entries]
    page = report(t, today=D("2031-05-17"), lang=lang)
    wide, narrow = svgs(page)
    for root in (wide, narrow):
        check_texts(root)
    n_labelled = sum(1 for g in wide.iter(f"{NS}g") if g.findall(f"{NS}text[@class='label']"))
    assert n_labelled == kinds.count("notice_refused") + kinds.count("termination_scheduled") \
        + kinds.count("amendment_recorded") + (t.termination is not None) \
        - sum(1 for e in t.entries if e.kind == "amendment_recorded" and e.detail["effective"] > t.horizon)
    if case == "long":
        assert kinds.count("notice_refused") >= 20 and kinds.count("amendment_recorded") >= 13
    # the wide drawing stays printable: a few rows of labels, not one per label
    _, _, vw, vh = (float(v) for v in wide.get("viewBox").split())
    assert vh < vw * 0.75


@pytest.mark.slow
@settings(max_examples=40)
@given(notices=st.lists(st.integers(0, 365 * 12), max_size=25),
       amendments=st.lists(st.integers(0, 365 * 12), max_size=12), lang=st.sampled_from(["en", "fr"]))
def test_labels_never_overlap_whatever_the_dates(notices, amendments, lang):
    start = dt.date(2026, 1, 1)
    events = [{"date": start + dt.timedelta(days=d), "type": "amendment", "ref": f"Avenant n°{i}",
               "effective": start + dt.timedelta(days=d), "set": {"contribution": {"payment_term": "P45D"}}}
              for i, d in enumerate(amendments)]
    for i, d in enumerate(notices):
        day = start + dt.timedelta(days=d)
        events.append({"date": day, "type": "notice", "by": "cdg", "received": {"member": day}}
                      if i % 2 else
                      {"date": day, "type": "notice", "by": "member", "received": {"cdg": day, "archives": day}})
    s = engine.load_scenario({
        "scenario": 1, "convention": "cdg62-demat", "name": "Commune", "start": start,
        "horizon": dt.date(2037, 12, 31), "member": {"agents": 100}, "consultations": {2025: 30},
        "overrides": {"term": {"initial": "P10Y"}, "notice": {"within_initial_term": "refused"}},
        "events": events})
    for root in svgs(report(engine.replay(s), today=dt.date(2030, 1, 1), lang=lang)):
        check_texts(root)


# ------------------------------------------------------------------ colours and legend

@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", every_scenario(SCENARIOS) + ["long"], ids=lambda p: getattr(p, "stem", p))
def test_legend_distinct_colours_one_entry_per_state(path, lang):
    s = long_scenario(bunched=3) if path == "long" else engine.load_scenario(str(path))
    t = engine.replay(s)
    today = s.start + dt.timedelta(days=100)
    page = report(t, today=today, lang=lang)
    legend = visible(page).legend
    keys = [e["key"] for e in legend]
    colours = [e["colour"] for e in legend]
    assert len(set(keys)) == len(keys) and len(set(c.lower() for c in colours)) == len(colours)
    by_key = {e["key"]: e for e in legend}
    for state in {p.state for p in t.periods}:
        assert by_key[f"state-{state}"]["text"] == render.word(state, lang)
    if any(p.standing == "in_default" for p in t.periods):
        assert by_key["in_default"]["text"] == render.word("in_default", lang)
    if any(p.notice for p in t.periods):
        assert by_key["notice_band"]["text"] == REPORT[lang]["notice_band"]
    wide = svgs(page)[0]
    # what is drawn has the colour its legend entry shows, and each kind drawn has an entry
    for rect in wide.iter(f"{NS}rect"):
        cls = rect.get("class") or ""
        if cls.startswith("band "):
            assert rect.get("fill") == by_key[cls.split()[1]]["colour"]
        elif cls == "notice-band":
            assert rect.get("fill") == by_key["notice_band"]["colour"]
        elif cls == "standing in_default":
            assert rect.get("fill") == by_key["in_default"]["colour"]
    for g in wide.findall(f"{NS}g"):
        cls = g.get("class").split()
        if "marker" in cls:
            kind = cls[1][len("marker-"):]
            assert by_key[cls[1]]["text"] == REPORT[lang]["marker_" + kind]
            fills = {el.get("fill") for el in g if el.get("fill") not in (None, "#ffffff")} | \
                    {el.get("stroke") for el in g if el.tag == f"{NS}circle" and el.get("fill") == "#ffffff"}
            assert by_key[cls[1]]["colour"] in fills, (kind, fills)
    assert by_key["today"]["text"] == REPORT[lang]["today"]
    # the dots without labels are explained
    assert REPORT[lang]["dots"] in html.unescape(page)


def test_every_colour_is_distinct():
    assert len({c.lower() for c in COLOURS.values()}) == len(COLOURS)
    for c in COLOURS.values():
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", c)


# ------------------------------------------------------------------ scaling, phone and print

def test_svgs_scale_and_the_page_fits_a_phone_and_prints():
    s = engine.load_scenario(str(ROOT / "scenarios" / "cdg-notice.yaml"))
    page = report(engine.replay(s), today=D("2027-01-01"))
    for root in svgs(page):
        assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
        assert root.get("width") == "100%" and root.get("height") is None
        assert root.get("preserveAspectRatio")
        assert "style" not in root.attrib
    head = page[:page.index("</head>")]
    assert 'name="viewport"' in head
    css = re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)
    assert re.search(r"@media \(max-width: \d+px\)", css)   # the narrow drawing on a phone
    print_css = css[css.index("@media print"):]
    assert "print-color-adjust: exact" in print_css and "svg.timeline-wide" in print_css
    assert ":hover" not in css                               # nothing needs hovering
    # the tables scroll sideways inside their wrapper, not the page
    assert ".table-wrap { max-width: 100%; overflow-x: auto;" in css
    assert page.count('<div class="table-wrap"><table') == 2
    # no fixed pixel width anywhere in the drawings
    assert not re.search(r'<svg[^>]*\s(width|height)="[\d.]+(px)?"', page)


# ------------------------------------------------------------------ French

ENGLISH = set()
for key, en in REPORT["en"].items():
    if en != REPORT["fr"][key]:
        ENGLISH |= words(en) - words(REPORT["fr"][key])
ENGLISH -= {"n", "d", "l"}


def test_the_english_words_looked_for_are_real():
    for w in ("notice", "payment", "called", "due", "received", "legend", "effect", "today"):
        assert w in ENGLISH, w


@pytest.mark.parametrize("path", every_scenario(SCENARIOS) + ["long", "bunched"], ids=lambda p: getattr(p, "stem", p))
def test_every_text_of_a_french_page_is_french(path, tmp_path, capsys):
    if path in ("long", "bunched"):
        s = long_scenario(**LONG[path])
        t = engine.replay(s)
        page = report(t, today=D("2031-05-17"), lang="fr")
    else:
        assert cli.main(["report", str(path), "--html", str(tmp_path / "r.html"), "--lang", "fr"]) == 0
        page = (tmp_path / "r.html").read_text(encoding="utf-8")
        s = engine.load_scenario(str(path))
        t = engine.replay(s)
    text = " ".join(visible(page).parts)
    for name in [s.name] + [getattr(e, "ref", None) or "" for e in s.events]:
        if name:
            text = text.replace(name, " ")
    found = sorted(words(text) & ENGLISH)
    assert not found, found
    # dates and amounts as a French reader writes them, in texts and in hover titles alike
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)
    assert not re.search(r"(?<![\d,])\d+\.\d{2}\b", text)
    # the hover texts come from the French catalogue
    for call in (e for e in t.entries if e.kind == "contribution_called"):
        assert html.escape(REPORT["fr"]["title_call"].format(
            year=call.detail["year"], date=render.day(call.date, "fr"),
            due=render.amount(call.detail["due"], "fr"),
            due_date=render.day(call.detail["due_date"], "fr")), quote=True) in page
    for pay in (e for e in t.entries if e.kind == "payment_received"):
        assert html.escape(REPORT["fr"]["title_payment"].format(
            amount=render.amount(pay.detail["amount"], "fr"), date=render.day(pay.date, "fr")),
            quote=True) in page
    if t.termination is not None and t.termination.by != "expiry" and t.termination.last_day <= t.horizon:
        label = REPORT["fr"]["label_termination"].format(by=render.word(t.termination.by, "fr", t),
                                                         date=render.day(t.termination.last_day, "fr"))
        shown = " ".join(text_of(el) for el in labels(svgs(page)[0]))
        assert label.split(", ")[0] in shown or html.unescape(label) in shown


def test_french_termination_heading_and_labels():
    s = engine.load_scenario(str(ROOT / "scenarios" / "cdg-notice.yaml"))
    t = engine.replay(s)
    page = report(t, lang="fr")
    assert f'<strong>{REPORT["fr"]["termination"]} :</strong>' in html.unescape(page)
    shown = [text_of(el) for el in labels(svgs(page)[0])]
    cdg = render.word("cdg", "fr", t)
    assert shown == [REPORT["fr"]["label_notice"].format(by=cdg, date="17/04/2029"),
                     REPORT["fr"]["label_termination"].format(by=cdg, date="17/10/2029")]
    en = [text_of(el) for el in labels(svgs(report(t, lang="en"))[0])]
    assert en == ["notice by cdg, 2029-04-17", "end by cdg, last day 2029-10-17"]


# ------------------------------------------------------------------ well-formed, escaped

def test_svgs_are_well_formed_with_hostile_names_and_refs():
    s = long_scenario(years=4, notices=3, amendments=2, initial="P3Y",
                      name='<script>alert("x")</script> & Cie')
    t = engine.replay(s)
    page = report(t, lang="fr")
    assert "<script>" not in page and "&lt;script&gt;" in page
    for root in svgs(page):
        check_texts(root)
    s = engine.load_scenario({
        "scenario": 1, "convention": "cdg62-demat", "name": "Commune", "start": D("2026-01-01"),
        "horizon": D("2028-12-31"), "member": {"agents": 100}, "consultations": {2025: 30},
        "events": [{"date": D("2026-06-01"), "type": "amendment", "ref": 'Avenant <b>"1"</b> & \'bis\'',
                    "effective": D("2027-01-01"), "set": {"contribution": {"payment_term": "P45D"}}}]})
    page = report(engine.replay(s), lang="en")
    wide, narrow = svgs(page)
    for root in (wide, narrow):
        assert " ".join(text_of(el) for el in labels(root)) == \
            'Avenant <b>"1"</b> & \'bis\', in force 2027-01-01'
        check_texts(root)
    assert "<b>" not in page


def test_report_is_deterministic_and_today_is_drawn_in_both_drawings():
    s = long_scenario(bunched=5)
    t = engine.replay(s)
    assert report(t, today=D("2031-05-17")) == report(t, today=D("2031-05-17"))
    for root in svgs(report(t, today=D("2031-05-17"))):
        (today,) = [g for g in root.iter(f"{NS}g") if g.get("class") == "today"]
        assert today.get("data-date") == "2031-05-17"
    for root in svgs(report(t, today=D("2099-01-01"))):
        assert not [g for g in root.iter(f"{NS}g") if g.get("class") == "today"]
