"""`--lang fr` reads as French (issue 9): no English identifier or sentence reaches the French
output of run, state, deadlines, whatif, batch and report, for every shipped scenario.

The English vocabulary is read from the catalogues themselves (engine/present/i18n.py and the rules files'
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
from engine import cli
from engine.present import i18n
from engine.conventions import rulesfile
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
    out = {"run": _run("run", scenario, "--lang", "fr"),
           "run csv": _run("run", scenario, "--lang", "fr", "--format", "csv")}
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


# --- issue 15, "French that is all French" -----------------------------------------------------

def _call(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse's errors exit through the parser
            code = e.code
    return code, out.getvalue(), err.getvalue()


NNBSP = "\u202f"
MEDECINE = ROOT / "scenarios" / "medecine-worked-example.yaml"
DEMAT = ROOT / "scenarios" / "pas-de-calais.yaml"
NON_PAYMENT = ROOT / "scenarios" / "non-payment.yaml"


@pytest.mark.parametrize("value, text", [
    ("0.0033", "0,33\u202f%"), ("0.0607", "6,07\u202f%"), ("0.00365", "0,365\u202f%"),
    ("0.01", "1\u202f%"), ("0.1", "10\u202f%"), ("0", "0\u202f%"), ("1.25", "125\u202f%")])
def test_a_rate_in_french_is_a_percentage_with_a_decimal_comma(value, text):
    from decimal import Decimal

    assert i18n.rate_text(Decimal(value), "fr") == text
    assert i18n.rate_text(Decimal(value), "en") == value  # English keeps the JSON's form


def test_rates_read_as_percentages_in_the_french_table_detail_and_report(tmp_path):
    fr = _run("run", MEDECINE, "--lang", "fr")
    assert f"0,33{NNBSP}%" in fr and "0.0033" not in fr
    assert f"taux = 0,33{NNBSP}%" in fr  # the call entry's detail too
    en = _run("run", MEDECINE)
    assert "0.0033" in en and "%" not in en  # English unchanged
    page = tmp_path / "r.html"
    _run("report", MEDECINE, "--html", page, "--lang", "fr")
    assert f"0,33{NNBSP}%" in page.read_text(encoding="utf-8")
    assert '"rate": "0.0033"' in _run("run", MEDECINE, "--format", "json")  # the JSON is as it was


def test_annex_reads_annexe_in_french_and_the_json_keeps_the_article():
    fr = _run("run", DEMAT, "--lang", "fr")
    assert "Annexe 1" in fr and "Annex 1 " not in fr and not fr.count("Annex 1\n")
    assert "Annexe 1" in _run("run", DEMAT, "--lang", "fr", "--format", "csv")
    assert "Annex 1" in _run("run", DEMAT) and "Annexe" not in _run("run", DEMAT)
    assert '"article": "Annex 1"' in _run("run", DEMAT, "--format", "json")
    assert i18n.article_text("Article 4", "fr") == "Article 4"
    # the French of an article is the rules file's (its labels), never a word of the engine's
    assert i18n.article_text("Annex 12", "fr") == "Annex 12"
    assert i18n.article_text("Annex 1", "en") == "Annex 1"


def test_a_rules_file_label_gives_the_french_of_an_article():
    class Rules:  # the two things article_text reads of a RulesFile
        words = {"Annex 2": None}

        @staticmethod
        def label(who, lang):
            return "Annexe 2 bis" if (who, lang) == ("Annex 2", "fr") else who

    assert i18n.article_text("Annex 2", "fr", Rules()) == "Annexe 2 bis"
    assert i18n.article_text("Annex 3", "fr", Rules()) == "Annex 3"  # no label: as written


def _rule_ids(scenario) -> list[str]:
    rf = rulesfile.of_scenario(engine.load_scenario(scenario))
    t = engine.replay(engine.load_scenario(scenario))
    used = {e.rule for e in t.entries} | ({t.termination.rule} if t.termination else set())
    assert used <= set(rf.rules)
    return sorted(used)


@pytest.mark.parametrize("scenario", [DEMAT, ROOT / "scenarios" / "member-notice.yaml"],
                         ids=lambda p: p.stem)
def test_french_tables_show_no_rule_ids_unless_asked(scenario):
    ids = _rule_ids(scenario)
    assert ids
    fr = _run("run", scenario, "--lang", "fr")
    assert not [r for r in ids if r in fr]
    assert "règle" not in fr
    shown = _run("run", scenario, "--lang", "fr", "--rule-ids")
    assert all(r in shown for r in ids) and "règle" in shown
    csv_fr = _run("run", scenario, "--lang", "fr", "--format", "csv")
    assert not [r for r in ids if r in csv_fr]
    assert all(r in _run("run", scenario, "--lang", "fr", "--format", "csv", "--rule-ids") for r in ids)
    en = _run("run", scenario)  # English keeps its rule column by default
    assert all(r in en for r in ids)
    assert not [r for r in ids if r in _run("run", scenario, "--no-rule-ids")]


def test_the_french_termination_line_names_the_article_not_the_rule():
    fr = _run("run", ROOT / "scenarios" / "member-notice.yaml", "--lang", "fr")
    line = next(x for x in fr.splitlines() if x.startswith("Fin de la convention :"))
    assert re.search(r"\((Article|Annexe) \d+\)$", line), line


def test_the_french_run_csv_is_a_french_spreadsheet():
    text = _run("run", DEMAT, "--lang", "fr", "--format", "csv")
    assert text.startswith("\ufeffdate;événement;article;détail\n")
    assert "\n01/01/2026;début;Article 5;" in text
    assert "appel de contribution" in text and "contribution_called" not in text
    en = _run("run", DEMAT, "--format", "csv")
    assert en.startswith("date,kind,rule,article,detail\n") and "contribution_called" in en


def test_the_french_batch_csv_has_french_status_words_and_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: 1\n", encoding="utf-8")
    code, out, _ = _call("batch", ROOT / "scenarios" / "non-payment.yaml", bad,
                         tmp_path / "absent.yaml", "--lang", "fr")
    assert code == 2
    rows = out.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("fichier;statut;nom;au;état;paiements;préavis;fin par")
    assert ";erreur;" in out and "fichier introuvable" in out and "no such file" not in out
    assert "« convention » manque" in out
    ok = next(r for r in rows if "non-payment" in r)
    assert ";ok;" in ok and ("défaut de paiement" in ok or "à jour" in ok)
    assert not _english(_neutral(out.replace(str(tmp_path), " "), ROOT / "scenarios" / "non-payment.yaml"))


@pytest.mark.parametrize("word", ["collectivité", "Collectivité", "COLLECTIVITÉ", "la collectivité",
                                  "member", "Member"])
def test_whatif_takes_the_member_by_its_french_label(word):
    code, out, err = _call("whatif", NON_PAYMENT, "--notice", word, "--on", "2027-03-02", "--lang", "fr")
    assert (code, err) == (0, "")
    assert "dénonciation par la collectivité le 02/03/2027" in out


@pytest.mark.parametrize("word", ["cdg", "CdG62", "le CdG62", "cdg62"])
def test_whatif_takes_the_cdg_by_its_label(word):
    code, out, _ = _call("whatif", NON_PAYMENT, "--notice", word, "--on", "2027-03-02", "--lang", "fr")
    assert code == 0 and "dénonciation par le CdG62" in out


def test_an_unknown_party_lists_the_accepted_words_in_the_chosen_language():
    code, out, err = _call("whatif", NON_PAYMENT, "--notice", "collectivite", "--on", "2027-03-02",
                           "--lang", "fr")  # accents as written: without its accent it is unknown
    assert (code, out) == (2, "")
    assert err == ("convention : --notice : partie inconnue 'collectivite' (valeurs acceptées : "
                   "member, collectivité, cdg, CdG62)\n")
    code, _, err = _call("whatif", NON_PAYMENT, "--notice", "mairie", "--on", "2027-03-02")
    assert err == "convention: --notice: unknown party 'mairie' (accepted: member, cdg, CdG62)\n"


# Bad invocations with --lang fr: each answer is one French line on stderr, exit 2, no stdout.
_BAD = {
    "missing file": (["run", "absent.yaml", "--lang", "fr"], "absent.yaml:0: fichier introuvable"),
    "folder": (["run", "scenarios", "--lang", "fr"], "c'est un dossier"),
    "required option": (["state", DEMAT, "--lang", "fr"], "arguments obligatoires manquants : --on"),
    "bad date": (["state", DEMAT, "--on", "2026-13-01", "--lang", "fr"],
                 "argument --on : date invalide '2026-13-01' (attendu AAAA-MM-JJ)"),
    "bad choice": (["run", DEMAT, "--format", "xls", "--lang", "fr"], "argument --format : valeur invalide"),
    "unknown option": (["run", DEMAT, "--lang", "fr", "--colour"], "arguments non reconnus : --colour"),
    "before start": (["run", DEMAT, "--until", "2020-01-01", "--lang", "fr"],
                     "--until 01/01/2020 est antérieur au début de"),
    "unknown reason": (["whatif", NON_PAYMENT, "--notice", "cdg", "--on", "2027-03-02", "--reason",
                        "retard", "--lang", "fr"], "--reason : motif inconnu 'retard'"),
    "empty folder": (["batch", ROOT / "docs" / "rules", "--lang", "fr"], "aucun fichier de scénario"),
}


@pytest.mark.parametrize("case", sorted(_BAD))
def test_the_errors_of_lang_fr_are_french(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    args, expected = _BAD[case]
    code, out, err = _call(*args)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1 and expected in err, err
    # what is not language: options, paths, values as typed, the reasons' ids
    neutral = re.sub(r"--[\w-]+|\S*/\S*|'[^']*'|\(\*\.yaml\)|\bnon_payment\b", " ", err)
    assert not _english(neutral), err
    # the same mistake in English is still answered in English
    code, _, err_en = _call(*[a for a in args if a not in ("--lang", "fr")])
    assert code == 2 and err_en != err


def test_a_scenario_error_keeps_its_field_names_in_french(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("scenario: 1\nconvention: cdg62-demat\nname: X\nstart: 2026-01-01\ncolour: red\n",
                   encoding="utf-8")
    code, out, err = _call("run", bad, "--lang", "fr")
    assert (code, out) == (2, "")
    assert err.startswith(f"{bad}:5: ") and "clé inconnue « colour »" in err and "start" in err


def test_no_leftover_wording_in_french():
    """Words an officer would not write, found in earlier French output."""
    texts = [_run("deadlines", DEMAT, "--as-of", "2028-12-01", "--lang", "fr"),
             _run("state", DEMAT, "--on", "2028-12-01", "--lang", "fr"),
             _run("whatif", NON_PAYMENT, "--notice", "cdg", "--on", "2027-03-02", "--lang", "fr")]
    assert "31/10/2028 (délai expiré)" in texts[0]
    assert texts[1].startswith("Au 01/12/2028 : ")
    assert "dû 2027" in texts[2]
    for text in texts:
        for leftover in ("dépassé", "2027 dû", "à la place de"):
            assert leftover not in text
