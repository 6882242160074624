"""`--lang fr` reads as French (issue 9): no English identifier or sentence reaches the French
output of run, state, deadlines, whatif, batch and report, for every shipped scenario.

The English vocabulary is read from the catalogues themselves (engine/i18n.py and the rules files'
English labels and messages), less the words French shares with English (article, date,
convention...); the identifiers are snake_case words. What is not language (rule ids, file
paths, the scenario's own name and references) is taken out before the check.
"""

from __future__ import annotations

import contextlib
import html
import io
import pathlib
import re

import pytest

import engine
from engine import cli, i18n, rulesfile
from tests.sweeps import every_scenario

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
WORD = re.compile(r"[A-Za-zÀ-ÿ]+")
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _strings(x) -> list[str]:
    if isinstance(x, str):
        return [x]
    if isinstance(x, dict):
        return [s for v in x.values() for s in _strings(v)]
    return []


def _words(texts) -> set[str]:
    out = set()
    for t in texts:
        # placeholders ({by}, {year}) are not words of the text
        out.update(w.lower() for w in WORD.findall(re.sub(r"\{[^}]*\}", " ", t)))
    return out


def _vocabulary() -> tuple[set[str], set[str]]:
    en, fr = [], []
    en += _strings(i18n.LABELS["en"]) + _strings(i18n.REPORT["en"]) + _strings(i18n.ICS["en"])
    fr += _strings(i18n.LABELS["fr"]) + _strings(i18n.REPORT["fr"]) + _strings(i18n.ICS["fr"])
    fr += list(i18n.VALUES_FR.values()) + list(i18n.KINDS_FR.values())
    fr += list(i18n.DETAIL_KEYS_FR.values())
    for m in i18n.ENGINE_MESSAGES.values():
        en.append(m["en"])
        fr.append(m["fr"])
    for rid in rulesfile.shipped_ids():
        rf = rulesfile.load(rulesfile.find(rid))
        for m in rf.messages.values():
            en.append(m["en"])
            fr.append(m["fr"])
        for label in rf.words.values():
            en.append(label.en)
            fr.append(label.fr)
    return _words(en), _words(fr)


EN, FR = _vocabulary()
# Words both languages write the same way, and short ones of no language.
SHARED = {"article", "date", "code", "convention", "contribution", "contributions", "message",
          "info", "agents", "annexe", "annex", "total", "base", "minimum", "format", "du", "de",
          "a", "an", "on", "or", "no", "en", "fr", "cdg", "ok", "n", "l", "d", "s"}
ENGLISH_ONLY = {w for w in EN - FR - SHARED if len(w) > 2}


def _run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    assert code in (0, 2), (args, err.getvalue())
    return out.getvalue()


def _neutral(text: str, scenario: pathlib.Path) -> str:
    """The text without what is not language: rule ids, paths, the scenario's name and refs."""
    s = engine.load_scenario(scenario)
    rf = rulesfile.of_scenario(s)
    for rid in sorted(rf.rules, key=len, reverse=True):
        text = text.replace(rid, " ")
    text = text.replace(s.name, " ").replace(html.escape(s.name), " ")
    for e in s.events:
        ref = getattr(e, "ref", None)
        if ref:
            text = text.replace(ref, " ").replace(html.escape(ref), " ")
    text = re.sub(r"\S+\.ya?ml", " ", text)  # file paths
    text = text.replace(rf.id, " ").replace(rf.title, " ").replace(html.escape(rf.title), " ")
    for label in rf.words.values():  # the convention's own French words may hold any letters
        text = text.replace(label.fr, " ")
    return text


def _english(text: str) -> list[str]:
    found = sorted(set(IDENTIFIER.findall(text)))
    found += sorted({w for w in WORD.findall(text) if w.lower() in ENGLISH_ONLY})
    return found


def test_the_english_vocabulary_is_not_empty():
    """A guard: the check looks for real English words (else it would find nothing)."""
    for w in ("due", "paid", "balance", "notice", "renewal", "terminated", "called", "last"):
        assert w in ENGLISH_ONLY, w


def _outputs(scenario: pathlib.Path, tmp_path) -> dict[str, str]:
    s = engine.load_scenario(scenario)
    t = engine.replay(s)
    rf = rulesfile.of_scenario(s)
    days = sorted({s.start, t.horizon, min(t.horizon, s.start.replace(year=s.start.year + 1))}
                  | {e.date for e in s.events})
    out = {"run": _run("run", scenario, "--lang", "fr")}
    for d in days[:: max(1, len(days) // 6)]:
        out[f"state {d}"] = _run("state", scenario, "--on", d.isoformat(), "--lang", "fr")
        out[f"deadlines {d}"] = _run("deadlines", scenario, "--as-of", d.isoformat(), "--lang", "fr")
        ics = tmp_path / f"{d}.ics"
        _run("deadlines", scenario, "--as-of", d.isoformat(), "--lang", "fr", "--ics", ics)
        out[f"ics {d}"] = ics.read_bytes().decode("utf-8").replace("\r\n ", "")
    for party in rf.parties:
        out[f"whatif {party}"] = _run("whatif", scenario, "--notice", party, "--on",
                                      days[len(days) // 2].isoformat(), "--lang", "fr")
    page = tmp_path / "r.html"
    _run("report", scenario, "--html", page, "--lang", "fr")
    body = re.sub(r"<style>.*?</style>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    # the page's words: its text and the attributes a reader sees (titles, labels)
    shown = re.findall(r'(?:aria-label|alt)="([^"]*)"', body)
    out["report"] = html.unescape(re.sub(r"<[^>]+>", " ", body) + " " + " ".join(shown))
    return out


@pytest.mark.parametrize("scenario", every_scenario(SCENARIOS), ids=lambda p: p.stem)
def test_french_output_has_no_english(scenario, tmp_path):
    problems = []
    for what, text in _outputs(scenario, tmp_path).items():
        if what.startswith("ics"):
            text = "\n".join(line.split(":", 1)[1] for line in text.splitlines()
                             if line.startswith(("SUMMARY:", "DESCRIPTION:")))
        found = _english(_neutral(text, scenario))
        if found:
            problems.append(f"{what}: {found}")
    assert not problems, "\n".join(problems)


def test_french_batch_has_no_english(tmp_path):
    text = _run("batch", ROOT / "scenarios", "--lang", "fr")
    # the file column and the scenario names are not language
    for s in SCENARIOS:
        text = _neutral(text, s)
    assert not _english(text)
