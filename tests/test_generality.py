"""One engine, many conventions (docs/spec.md 8): the engine is general, not a CdG62 program.

What this file proves, part by part:

1. engine/ holds no word of any shipped convention (party, recipient, input, event type, rule id,
   article, court, nor docs/spec.md's list), and imports nothing of tests/.
2. Renaming every rule id, every party label, then every party id of cdg62-demat in a copy of its
   rules file changes nothing in the replay of its scenarios but the names.
3. A fourth convention (a shared data-protection officer, monthly calls, a price per agent) is a
   rules file written in a temporary folder: it loads, replays with hand-computed figures, passes
   `convention check` and every other command, with no change to engine/.
4. Rules files drawn by Hypothesis (term shapes, renewals, notice effects, call frequencies, four
   kinds of formula, random party and rule names) replay scenarios that keep the invariants every
   convention must keep.
5. Bad input (a scenario that does not fit its convention, a rules file with a mistake) is refused
   with one `FILE:LINE: message` line, exit 2, nothing on stdout; and names a rules file must not
   take (a party `expiry`, a figure `refund` or `year`, an input `horizon`, a rule `engine.no_rule`)
   are refused or harmless.

Nothing here edits engine/, rules/ or scenarios/: every file written goes to a temporary folder.
"""
from __future__ import annotations

import ast
import copy
import datetime as dt
import functools
import itertools
import json
import os
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import engine
from engine import cli
from engine.present import render
from engine.conventions import rulesfile
from engine.core.dates import parse_duration
from engine.core.replay import Replay
from tests.invariants import (
    check_allocation_by_due_date,
    check_balance,
    check_money_conserved,
    check_periods_cover,
    check_rows_paid_within_due,
    check_states_monotone,
    check_termination_in_periods,
)

ROOT = Path(__file__).resolve().parent.parent
ENGINE_DIR = ROOT / "engine"
SCENARIOS_DIR = ROOT / "scenarios"
CENT = Decimal("0.01")
ONE_DAY = dt.timedelta(days=1)


# ============================================================================ helpers


class _NoAliasDumper(yaml.SafeDumper):
    """yaml.safe_dump without anchors (the engine refuses anchors and aliases, and a document built
    in Python may hold the same list twice)."""

    def ignore_aliases(self, data):
        return True


def dump_yaml(doc) -> str:
    """A document as YAML: keys in their order (a rules file's order is the rules' priority),
    dates as dates, UTF-8 text as written."""
    return yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=4096)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only occurrence of ``needle`` in ``text``."""
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    return text[: text.index(needle)].count("\n") + 1


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``convention ARGV...`` in this process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def replay_file(path: Path | str) -> engine.Timeline:
    return engine.replay(engine.load_scenario(str(path)))


def round_cent(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


def scenarios_of(convention: str) -> list[Path]:
    out = []
    for p in sorted(SCENARIOS_DIR.glob("*.yaml")):
        if yaml.safe_load(p.read_text(encoding="utf-8")).get("convention") == convention:
            out.append(p)
    return out


def shipped_rules() -> list[rulesfile.RulesFile]:
    return [rulesfile.load(rulesfile.find(i)) for i in rulesfile.shipped_ids()]


# ============================================================================ 1. no convention in engine/

# docs/spec.md's own list (section 8.1): words that must never appear in engine/.
SPEC_WORDS = ("archives", "consultations", "agents", "Annex 1", "Lille", "cdg62", "cdg")

# The lines allowed to hold a convention word: the scenario format's key for current values
# (docs/spec.md 4: `member:`), which is a word of the scenario format, whatever the parties are called;
# and the service's API key roles, named by issue 17 (`--role member|cdg|admin`): words of who may
# call the service, declared on one line and referred to by neutral names everywhere else.
ALLOWED = {("engine/conventions/rulesfile.py", 'CURRENT = "member"'),
           # the service's access roles (docs/service.md): words of its access model, named once
           ("engine/service/auth.py", 'ROLES = TENANT_ONLY, ALL_TENANTS, ADMIN = ("member", "cdg", "admin")')}

def convention_words() -> dict[str, str]:
    """Every word or phrase that names something of a shipped convention -> where it comes from."""
    words: dict[str, str] = {w: "docs/spec.md 8.1" for w in SPEC_WORDS}
    for rf in shipped_rules():
        words.setdefault(rf.id, f"{rf.id}: id")
        for p in rf.parties:
            words.setdefault(p, f"{rf.id}: party")
        for r in rf.recipients:
            words.setdefault(r, f"{rf.id}: recipient")
        for name, inp in rf.inputs.items():
            words.setdefault(name, f"{rf.id}: input")
            words.setdefault(inp.event, f"{rf.id}: event type of input {name}")
        for rid, rule in rf.rules.items():
            words.setdefault(rid, f"{rf.id}: rule id")
            words.setdefault(rule.article, f"{rf.id}: article of {rid}")
            court = dict(rule.args).get("court")
            if court:
                words.setdefault(court, f"{rf.id}: court of {rid}")
                words.setdefault(court.split()[-1], f"{rf.id}: court of {rid} (last word)")
        for path, node in rulesfile.leaves(rf.sources):
            words.setdefault(node["article"], f"{rf.id}: article of parameter {path}")
    return words


def _word_pattern(word: str) -> re.Pattern:
    """Whole word (or phrase, any spacing), case-insensitive; a rule id's dots are literal."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(r"(?<![A-Za-z0-9_])" + body + r"(?![A-Za-z0-9_])", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def convention_word_hits() -> tuple[tuple[str, int, str, str, str], ...]:
    """(file, line, word, where the word comes from, the line) for every match in engine/**/*.py."""
    words = convention_words()
    patterns = [(w, _word_pattern(w)) for w in sorted(words)]
    hits = []
    for f in sorted(ENGINE_DIR.rglob("*.py")):
        rel = f.relative_to(ROOT).as_posix()
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            for w, p in patterns:
                if p.search(line):
                    hits.append((rel, n, w, words[w], line.strip()))
    return tuple(hits)


def _show_hits(hits) -> str:
    return "\n".join(f"  {f}:{n}: {w!r} ({why}): {text}" for f, n, w, why, text in hits)


def test_the_word_list_is_complete():
    """The scan looks for what it should: parties, recipients, inputs, rule ids, articles and the
    court of every shipped file (a guard against a scan that finds nothing because it looks for
    nothing)."""
    words = convention_words()
    for w in ("member", "cdg", "archives", "consultations", "agents", "payroll", "insured_base",
              "art5.member_notice", "art3.payroll", "art4.insured_base", "Annex 1", "Article 5",
              "Tribunal administratif de Lille", "Lille", "cdg62", "cdg62-demat"):
        assert w in words, f"{w!r} is not among the convention words"
    assert _word_pattern("art5.start").search("x = 'art5.start'")
    assert not _word_pattern("cdg").search("cdg62")
    assert _word_pattern("Annex 1").search("see annex  1 here")


def test_the_scenario_key_is_where_the_spec_puts_it():
    """The allowed line is really there (if it moves, ALLOWED must follow)."""
    hits = convention_word_hits()
    assert {(f, text) for f, _, _, _, text in hits} >= ALLOWED, _show_hits(hits)


def test_engine_names_no_convention_at_all_but_the_scenario_key_line():
    """The strict form of the brief: the only hit in engine/ is `CURRENT = "member"`."""
    hits = [h for h in convention_word_hits() if (h[0], h[4]) not in ALLOWED]
    assert not hits, "engine/ names a convention:\n" + _show_hits(hits)


def test_engine_imports_nothing_of_tests():
    """engine/ never imports tests/ (neither `import tests...` nor `from tests...`, nor by name)."""
    bad = []
    for f in sorted(ENGINE_DIR.rglob("*.py")):
        text = f.read_text(encoding="utf-8")
        rel = f.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(text, filename=str(f))):
            if isinstance(node, ast.Import):
                bad += [f"{rel}:{node.lineno}: import {a.name}" for a in node.names
                        if a.name.split(".")[0] == "tests"]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and (node.module or "").split(".")[0] == "tests":
                    bad.append(f"{rel}:{node.lineno}: from {node.module} import ...")
                # above the engine package: engine/x.py may go up one level (.), engine/a/x.py two (..)
                if node.level > len(f.relative_to(ENGINE_DIR).parts):
                    bad.append(f"{rel}:{node.lineno}: relative import above engine/")
        for n, line in enumerate(text.splitlines(), start=1):
            if re.search(r"""import_module\(\s*["']tests\b|["']tests[/\\]""", line):
                bad.append(f"{rel}:{n}: {line.strip()}")
    assert not bad, "engine/ reaches into tests/:\n" + "\n".join(bad)


# ============================================================================ 2. renaming

DEMAT_SCENARIOS = scenarios_of("cdg62-demat")
PARTY_RENAMES = {"member": "adherent", "cdg": "centre", "archives": "depot"}


def renamed_rule(rid: str) -> str:
    return "x." + rid.replace(".", "_")


def _rename_by_in_when(when, names: dict):
    """A `when` with every `by:` value renamed (`by: X`, `by: {eq: X}`, `by: {any: [..]}`)."""
    if isinstance(when, list):
        return [_rename_by_in_when(w, names) for w in when]
    if not isinstance(when, dict):
        return when
    out = {}
    for k, v in when.items():
        if k == "by":
            if isinstance(v, dict):
                v = {op: ([names.get(x, x) for x in arg] if isinstance(arg, list) else names.get(arg, arg))
                     for op, arg in v.items()}
            else:
                v = names.get(v, v)
        elif k in ("any", "all"):
            v = _rename_by_in_when(v, names)
        out[k] = v
    return out


def rename_rules_doc(doc: dict, parties: dict | None = None) -> dict:
    """A rules document with every rule id renamed, every party and recipient label changed and,
    with ``parties``, every party and recipient id renamed wherever the format names one."""
    doc = copy.deepcopy(doc)
    names = parties or {}
    doc["rules"] = {renamed_rule(rid): r for rid, r in doc["rules"].items()}
    for section in ("parties", "recipients"):
        doc[section] = {names.get(k, k): {"label": {"en": f"Renamed {k}", "fr": f"Renommé {k}"}}
                        for k in doc.get(section, {})}
    if names:
        notice = doc["parameters"]["notice"]
        doc["parameters"]["notice"] = {names.get(k, k): v for k, v in notice.items()}
        rec = doc["parameters"]["notice"]["recipients"]
        rec["value"] = {names.get(p, p): [names.get(r, r) for r in who] for p, who in rec["value"].items()}
        for r in doc["rules"].values():
            if "when" in r:  # a citation of a base rule may have none (the base names no party)
                r["when"] = _rename_by_in_when(r["when"], names)
    return doc


def _rename_notice_tree(tree: dict, names: dict) -> dict:
    """An `overrides:` or amendment `set:` tree with its notice.<party> and recipients renamed."""
    tree = copy.deepcopy(tree)
    notice = tree.get("notice")
    if isinstance(notice, dict):
        notice = {names.get(k, k): v for k, v in notice.items()}
        if isinstance(notice.get("recipients"), dict):
            notice["recipients"] = {names.get(p, p): [names.get(r, r) for r in who]
                                    for p, who in notice["recipients"].items()}
        tree["notice"] = notice
    return tree


def rename_scenario_doc(doc: dict, convention: str, names: dict) -> dict:
    """A scenario document pointing at ``convention`` with its party and recipient ids renamed
    (notice `by` and `received`, overrides, amendments, expected termination). The `member:` key
    of current values is the scenario format's and stays."""
    doc = copy.deepcopy(doc)
    doc["convention"] = convention
    if "overrides" in doc:
        doc["overrides"] = _rename_notice_tree(doc["overrides"], names)
    for e in doc.get("events") or ():
        if e["type"] == "notice":
            e["by"] = names.get(e["by"], e["by"])
            e["received"] = {names.get(k, k): v for k, v in e["received"].items()}
        elif e["type"] == "amendment":
            e["set"] = _rename_notice_tree(e["set"], names)
    term = (doc.get("expect") or {}).get("termination")
    if isinstance(term, dict) and "by" in term:
        term["by"] = names.get(term["by"], term["by"])
    return doc


def map_rules_back(timeline: dict, back: dict) -> dict:
    out = copy.deepcopy(timeline)
    for e in out["entries"]:
        e["rule"] = back[e["rule"]]
    if out["termination"] is not None:
        out["termination"]["rule"] = back[out["termination"]["rule"]]
    return out


@pytest.fixture(scope="module")
def demat_doc() -> dict:
    with open(rulesfile.find("cdg62-demat"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def renamed_ids_rules(tmp_path_factory, demat_doc) -> Path:
    """cdg62-demat with every rule id and every party and recipient label renamed."""
    return write(tmp_path_factory.mktemp("renamed-ids") / "demat-renamed.yaml",
                 dump_yaml(rename_rules_doc(demat_doc)))


@pytest.fixture(scope="module")
def renamed_parties_rules(tmp_path_factory, demat_doc) -> Path:
    """cdg62-demat with rule ids, labels and party and recipient ids renamed."""
    return write(tmp_path_factory.mktemp("renamed-parties") / "demat-parties.yaml",
                 dump_yaml(rename_rules_doc(demat_doc, PARTY_RENAMES)))


def test_the_renamed_copies_are_really_renamed(renamed_ids_rules, renamed_parties_rules):
    """The copies load, and none of the old rule ids (nor, in the second, party ids) is left."""
    a = rulesfile.load(str(renamed_ids_rules))
    b = rulesfile.load(str(renamed_parties_rules))
    shipped = rulesfile.load(rulesfile.find("cdg62-demat"))
    assert set(a.rules) == {renamed_rule(r) for r in shipped.rules}
    assert a.label("member") == "Renamed member" and a.label("archives", "fr") == "Renommé archives"
    assert tuple(b.parties) == ("adherent", "centre") and tuple(b.recipients) == ("adherent", "centre", "depot")
    text = renamed_parties_rules.read_text(encoding="utf-8")
    for old in ("by: member", "by: cdg", "  member:", "  cdg:", "archives:", "[cdg", "[member"):
        assert old not in text, f"{old!r} is still in the renamed file"
    assert len(DEMAT_SCENARIOS) >= 8


@pytest.mark.parametrize("scenario", DEMAT_SCENARIOS, ids=lambda p: p.stem)
def test_renaming_rule_ids_and_labels_changes_nothing(scenario, tmp_path, renamed_ids_rules):
    """Each cdg62-demat scenario replays to the same JSON (byte for byte, once the rule ids are
    mapped back) against a copy of the rules file whose rule ids and labels are all renamed."""
    text = scenario.read_text(encoding="utf-8")
    copy_text = re.sub(r"(?m)^convention: cdg62-demat\b", f"convention: {renamed_ids_rules}", text)
    assert copy_text != text
    copy_path = write(tmp_path / scenario.name, copy_text)  # same lines: messages name the same line
    original = json.loads(replay_file(scenario).to_json())
    renamed = json.loads(replay_file(copy_path).to_json())
    back = {renamed_rule(r): r for r in rulesfile.load(rulesfile.find("cdg62-demat")).rules}
    assert {e["rule"] for e in renamed["entries"]} <= set(back), "an entry names an old rule id"
    mapped = map_rules_back(renamed, back)
    assert mapped == original
    assert json.dumps(mapped, ensure_ascii=False, indent=2) + "\n" == replay_file(scenario).to_json()


@pytest.mark.parametrize("scenario", DEMAT_SCENARIOS, ids=lambda p: p.stem)
def test_renaming_party_ids_changes_nothing_but_names(scenario, tmp_path, renamed_parties_rules):
    """With the parties renamed (member -> adherent, cdg -> centre, archives -> depot) in the rules
    file and in the scenario, the periods, contributions, termination, entries (kind, date, rule)
    and diagnostics (code, date) are those of the original."""
    doc = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    renamed_doc = rename_scenario_doc(doc, str(renamed_parties_rules), PARTY_RENAMES)
    copy_path = write(tmp_path / scenario.name, dump_yaml(renamed_doc))
    a = replay_file(scenario).to_dict()
    b = replay_file(copy_path).to_dict()
    back_party = {v: k for k, v in PARTY_RENAMES.items()}
    back_rule = {renamed_rule(r): r for r in rulesfile.load(rulesfile.find("cdg62-demat")).rules}
    assert b["periods"] == a["periods"]
    assert b["contributions"] == a["contributions"]
    assert b["unallocated"] == a["unallocated"]
    if a["termination"] is None:
        assert b["termination"] is None
    else:
        t = dict(b["termination"], by=back_party.get(b["termination"]["by"], b["termination"]["by"]))
        t["rule"] = back_rule[t["rule"]]
        assert t == a["termination"]
    assert [(e["date"], e["kind"], back_rule[e["rule"]], e["article"]) for e in b["entries"]] == \
           [(e["date"], e["kind"], e["rule"], e["article"]) for e in a["entries"]]
    assert [(d["date"], d["code"], d["level"]) for d in b["diagnostics"]] == \
           [(d["date"], d["code"], d["level"]) for d in a["diagnostics"]]
    for e in b["entries"]:  # and the new names are the ones shown
        if "by" in e["detail"]:
            assert e["detail"]["by"] in ("adherent", "centre", "expiry"), e


# ============================================================================ 3. a fourth convention

DPO_RULES = """\
# A shared data-protection officer (DPO): a Centre de gestion lends its officer to a member body
# for a yearly price per agent, called every month. Written for tests/test_generality.py only.
rules_format: 2
id: dpo-shared
title: Convention de mise à disposition d'un délégué à la protection des données mutualisé
source: Texte inventé pour tests/test_generality.py
parties:
  member:
    label: {en: member body, fr: collectivité}
  cdg:
    label: {en: management centre, fr: centre de gestion}
inputs:
  agents:
    current: count
    event: agents
    label: {en: agents, fr: agents}
parameters:
  term:
    initial: {value: P1Y, article: Art. 3, clause: "conclue pour un an"}
    renewal: {value: indefinite, article: Art. 3, clause: "puis reconduite tacitement"}
  notice:
    member: {value: P1M, article: Art. 9, clause: "préavis d'un mois"}
    cdg: {value: P1M, article: Art. 9, clause: "préavis d'un mois"}
    recipients:
      value: {member: [cdg], cdg: [member]}
      article: Art. 9
      clause: "par lettre recommandée adressée à l'autre partie"
    effect: {value: after_period, article: Art. 9, clause: "un mois après sa notification"}
    runs_from: {value: last_recipient, article: Art. 9, clause: "à compter de sa notification"}
    missing_recipient: {value: warn, article: Art. 9, clause: "à l'autre partie"}
    unclaimed: {value: first_presentation, article: Art. 9, clause: "lettre recommandée"}
    extend_to_working_day: {value: false, article: Art. 9, clause: "un mois"}
    within_initial_term: {value: allowed, article: Art. 9, clause: "à tout moment"}
    immediate_on_default: {value: false, article: Art. 8, clause: "le défaut de paiement n'emporte pas résiliation"}
  contribution:
    call: {value: monthly, article: Art. 7, clause: "appelée au début de chaque mois"}
    payment_term: {value: P30D, article: Art. 7, clause: "payée sous trente jours"}
    prorata: {value: days, article: Art. 7, clause: "au prorata des jours pour un mois incomplet"}
    refund_unused: {value: true, article: Art. 7, clause: "le trop-perçu est remboursé"}
    price:
      type: amount
      value: "30.00"
      article: Art. 7
      clause: "30 euros par agent et par an"
amount:
  figures:
    agents: {current: agents}
    annual: {round: {mul: [{param: contribution.price}, {current: agents}]}}
  row: {agents: count}
labels:
  agents: {en: agents, fr: agents}
messages:
  amicable_step_skipped:
    en: "dispute referred to {court} (line {line}) without an amicable attempt first"
    fr: "litige porté devant le {court} (ligne {line}) sans tentative amiable préalable"
rules:
  dpo.start: {article: Art. 3, when: {t: start}, do: started}
  dpo.terminate: {article: Art. 9, when: {t: terminate}, do: terminated}
  dpo.expiry:
    article: Art. 3
    when:
      t: period_end
      any:
        - {renewal: none}
        - {renewal: periodic, k: {gte: {field: max_renewals}}}
    do: expire
  dpo.renewal: {article: Art. 3, when: {t: period_end, renewal: {any: [periodic, indefinite]}}, do: renew}
  dpo.after_termination:
    article: Art. 9
    when: {terminated: true, t: {any: [agents, amendment, notice_received, signed]}}
    do: after_termination
  dpo.agents: {article: Art. 7, when: {t: agents}, do: record}
  dpo.amendment_term: {article: Art. 10, when: {t: amendment, sets_term: true}, do: {amend: {diagnostic: amendment_ineffective}}}
  dpo.amendment: {article: Art. 10, when: {t: amendment}, do: amend}
  dpo.call: {article: Art. 7, when: {t: call}, do: call}
  dpo.default: {article: Art. 8, when: {t: standing, overdue: {gt: 0}, standing: current, daily_check: true}, do: overdue}
  dpo.cured: {article: Art. 8, when: {t: standing, overdue: 0, standing: in_default}, do: cured}
  dpo.payment: {article: Art. 7, when: {t: payment}, do: payment}
  dpo.notice_void:
    article: Art. 9
    when:
      t: notice_received
      any:
        - {counted: 0}
        - {missing: {gt: 0}, missing_recipient: void}
    do: notice_void
  dpo.notice_after_expiry: {article: Art. 3, when: {t: notice, last_day: {gt: {field: final_end}}}, do: {supersede: {because: after_expiry}}}
  dpo.within_initial_term: {article: Art. 3, when: {t: notice, within_initial_term: refused, last_day: {lt: {field: initial_end}}}, do: refuse_notice}
  dpo.notice_ranking:
    article: Art. 9
    when:
      any:
        - {t: displaced}
        - t: notice
          any:
            - {last_day: {gt: {field: ruling_last_day}}}
            - {last_day: {field: ruling_last_day}, n: {gte: {field: ruling_n}}}
    do: {supersede: {because: ranking}}
  dpo.notice: {article: Art. 9, when: {t: notice}, do: schedule_termination}
  dpo.working_day: {article: Art. 9, when: {t: notice_period, extend_to_working_day: true}, do: {take: {figure: working_day}}}
  dpo.at_period_end: {article: Art. 9, when: {t: notice_effect, effect: at_period_end}, do: {take: {figure: end_of_period}}}
  dpo.at_exit_date: {article: Art. 9, when: {t: notice_effect, effect: at_exit_date}, do: {take: {figure: exit_date}}}
  dpo.postponed: {article: Art. 3, when: {t: notice_term, within_initial_term: postponed, day: {lt: {field: initial_end}}}, do: {take: {figure: initial_end}}}
  dpo.after_last_day: {article: Art. 7, when: {t: last_day_call, after_last_day: true}, do: {take: {figure: days_to_last_day}}}
  dpo.prorata:
    article: Art. 7
    when:
      t: last_day_call
      expiry: false
      refund_unused: true
      prorata: days
      days_to_last_day: {lt: {field: covered_days}}
      any:
        - {immediate: false}
        - {refund_on_default: true}
    do: {take: {figure: days_to_last_day}}
  dpo.late_fact: {article: Art. 7, when: {t: adjust, refund: false}, do: adjust}
  dpo.refund: {article: Art. 7, when: {t: adjust, refund: true}, do: adjust}
  dpo.amicable_step_skipped: {article: Art. 11, when: {t: dispute, step: referred, amicable_open: false}, do: {dispute: {court: Tribunal administratif de Rouen, diagnostic: amicable_step_skipped}}}
  dpo.dispute: {article: Art. 11, when: {t: dispute}, do: {dispute: {court: Tribunal administratif de Rouen, opens: opened, closes: referred}}}
  dpo.signed: {article: Signature, when: {t: signed}, do: signed}
"""

DPO_SCENARIO = """\
# A commune joins the shared DPO on 2027-03-10 with 40 agents: 40 x 30.00 = 1200.00 a year, a
# twelfth of it each month (100.00), prorated by the days covered. It has 50 agents from
# 2027-05-15: 50 x 30.00 = 1500.00 a year (125.00 a month) from the June call on; May was called on
# 2027-05-01 with 40 and stays 100.00. It gives notice, received by the centre on 2027-09-15, which
# the centre records late, on 2027-10-20: last day 2027-09-15 + P1M = 2027-10-15, so October, called
# in full on 2027-10-01 and paid, is cut to its 15 days on 2027-10-20 (a credit).
scenario: 1
convention: dpo-rules.yaml
name: Commune de Test-sur-Mer
start: 2027-03-10
horizon: 2027-12-31
member:
  agents: 40
events:
  - {date: 2027-03-25, type: payment, amount: "70.97"}    # March, due 2027-03-10 + P30D = 2027-04-09
  - {date: 2027-04-20, type: payment, amount: "100.00"}   # April, due 2027-05-01
  - {date: 2027-05-15, type: agents, count: 50}
  - {date: 2027-05-20, type: payment, amount: "100.00"}   # May, due 2027-05-31
  - {date: 2027-06-20, type: payment, amount: "125.00"}   # June, due 2027-07-01
  - {date: 2027-07-20, type: payment, amount: "125.00"}
  - {date: 2027-08-20, type: payment, amount: "125.00"}
  - {date: 2027-09-20, type: payment, amount: "125.00"}
  - {date: 2027-10-02, type: payment, amount: "125.00"}   # October in full, before the notice is known
  - {date: 2027-10-20, type: notice, by: member, received: {cdg: 2027-09-15}}
expect:
  termination:
    by: member
    notified: 2027-09-15
    last_day: 2027-10-15          # 2027-09-15 + P1M
    immediate: false
  contributions:
    2027-03-01:
      agents: 40
      annual: "1200.00"           # 40 x 30.00
      covered_days: 22            # 2027-03-10..2027-03-31
      period_days: 31
      due: "70.97"                # 1200.00 x 22 / (12 x 31) = 26400 / 372 = 70.967... -> 70.97
      called_on: 2027-03-10
    2027-04-01: {agents: 40, annual: "1200.00", covered_days: 30, period_days: 30, due: "100.00"}
    2027-05-01: {agents: 40, annual: "1200.00", covered_days: 31, due: "100.00"}   # called before the change
    2027-06-01: {agents: 50, annual: "1500.00", covered_days: 30, due: "125.00"}   # 1500.00 / 12
    2027-09-01: {agents: 50, due: "125.00", paid: "125.00", balance: "0.00"}
    2027-10-01:
      agents: 50
      annual: "1500.00"
      covered_days: 15            # 2027-10-01..2027-10-15, cut on 2027-10-20
      period_days: 31
      due: "60.48"                # 1500.00 x 15 / (12 x 31) = 22500 / 372 = 60.483... -> 60.48
      paid: "125.00"
      balance: "-64.52"           # a credit owed to the member: 60.48 - 125.00
      called_on: 2027-10-01
  states:
    2027-03-10: initial_term
    2027-10-15: initial_term      # the last day, within the initial term (allowed)
    2027-10-16: terminated
  diagnostics: []
"""


@pytest.fixture(scope="module")
def dpo(tmp_path_factory) -> tuple[Path, Path]:
    """(rules file, scenario) of the fourth convention, written in a temporary folder."""
    folder = tmp_path_factory.mktemp("dpo")
    return write(folder / "dpo-rules.yaml", DPO_RULES), write(folder / "dpo-scenario.yaml", DPO_SCENARIO)


@pytest.fixture(scope="module")
def dpo_timeline(dpo) -> engine.Timeline:
    return replay_file(dpo[1])


def test_dpo_rules_file_loads_with_its_own_words(dpo):
    """The new rules file is checked and read: its parties, its current input and its event."""
    rf = rulesfile.load(str(dpo[0]))
    assert rf.id == "dpo-shared"
    assert tuple(rf.parties) == ("member", "cdg") and tuple(rf.recipients) == ("member", "cdg")
    assert rf.event_types == ("payment", "agents", "amendment", "notice", "dispute", "signed")
    assert not rf.inputs["agents"].per_year
    assert rf.amount.basis is None and rf.amount.row == (("agents", "count"),)


def test_dpo_first_call_is_prorated_by_the_days_of_march(dpo_timeline):
    """The first call, on the start day 2027-03-10, covers 22 of March's 31 days:
    1200.00 x 22 / (12 x 31) = 26400 / 372 = 70.967... -> 70.97, due 30 days later."""
    c = dpo_timeline.contribution(dt.date(2027, 3, 1))
    assert (c.first, c.last, c.called_on) == (dt.date(2027, 3, 1), dt.date(2027, 3, 31), dt.date(2027, 3, 10))
    assert (c.agents, c.annual, c.covered_days, c.period_days, c.due) == (40, Decimal("1200.00"), 22, 31, Decimal("70.97"))
    called = [e for e in dpo_timeline.entries if e.kind == "contribution_called"][0]
    assert called.detail["due_date"] == dt.date(2027, 4, 9) and called.rule == "dpo.call"
    assert called.article == "Art. 7"


def test_dpo_a_full_month_is_a_twelfth(dpo_timeline):
    """April, called on 2027-04-01 with 40 agents: 1200.00 x 30 / (12 x 30) = 100.00."""
    c = dpo_timeline.contribution(dt.date(2027, 4, 1))
    assert (c.called_on, c.covered_days, c.period_days, c.due) == (dt.date(2027, 4, 1), 30, 30, Decimal("100.00"))


def test_dpo_agents_change_applies_to_later_calls_only(dpo_timeline):
    """50 agents from 2027-05-15: May (called 2027-05-01 with 40) stays 100.00; June to September
    are 50 x 30.00 / 12 = 125.00 each; the change is recorded under the input's own name."""
    months = {c.first.month: c for c in dpo_timeline.contributions}
    assert (months[5].agents, months[5].due) == (40, Decimal("100.00"))
    for m in (6, 7, 8, 9):
        assert (months[m].agents, months[m].annual, months[m].due) == (50, Decimal("1500.00"), Decimal("125.00")), m
    recorded = [e for e in dpo_timeline.entries if e.kind == "agents_recorded"]
    assert [(e.date, e.detail, e.rule) for e in recorded] == [(dt.date(2027, 5, 15), {"agents": 50}, "dpo.agents")]
    assert not [e for e in dpo_timeline.entries
                if e.kind == "contribution_adjusted" and e.detail.get("period") == dt.date(2027, 5, 1)]


def test_dpo_member_notice_ends_it_one_month_after_receipt(dpo_timeline):
    """Received 2027-09-15: last day 2027-09-15 + P1M = 2027-10-15, terminated from 2027-10-16
    (learned on 2027-10-20, applied from its legal date); no November call."""
    t = dpo_timeline.termination
    assert (t.by, t.notified, t.last_day, t.immediate, t.rule) == (
        "member", dt.date(2027, 9, 15), dt.date(2027, 10, 15), False, "dpo.notice")
    assert dpo_timeline.state_on(dt.date(2027, 10, 15)) == "initial_term"
    assert dpo_timeline.state_on(dt.date(2027, 10, 16)) == "terminated"
    assert [c.first.month for c in dpo_timeline.contributions] == [3, 4, 5, 6, 7, 8, 9, 10]


def test_dpo_month_of_the_last_day_is_refunded(dpo_timeline):
    """October was called in full (125.00) and paid before the notice was known; on 2027-10-20 it
    is cut to its 15 days: 1500.00 x 15 / (12 x 31) = 22500 / 372 = 60.483... -> 60.48, a credit of
    125.00 - 60.48 = 64.52 owed to the member."""
    c = dpo_timeline.contribution(dt.date(2027, 10, 1))
    assert (c.covered_days, c.due, c.paid, c.balance) == (15, Decimal("60.48"), Decimal("125.00"), Decimal("-64.52"))
    adj = [e for e in dpo_timeline.entries if e.kind == "contribution_adjusted"]
    assert [(e.date, e.rule, e.detail["from"], e.detail["to"], e.detail["covered_days"]) for e in adj] == [
        (dt.date(2027, 10, 20), "dpo.refund", Decimal("125.00"), Decimal("60.48"), 15)]


def test_dpo_money_and_standing(dpo_timeline):
    """Every call paid on time: never in default; what was received is all allocated."""
    assert {p.standing for p in dpo_timeline.periods} == {"current"}
    received = Decimal("70.97") + Decimal("100.00") * 2 + Decimal("125.00") * 5
    assert sum(c.paid for c in dpo_timeline.contributions) == received
    assert dpo_timeline.unallocated == 0 and dpo_timeline.diagnostics == ()


def test_dpo_scenario_passes_convention_check(dpo, capsys):
    """`convention check` runs the scenario's expect: block (the figures above): 1 passed."""
    code, out, err = run_cli(capsys, "check", str(dpo[1]))
    assert (code, err) == (0, ""), out + err
    assert out.rstrip().endswith("1 passed, 0 failed")


def test_dpo_catalogue_lists_its_rules(dpo, capsys):
    """`convention rules PATH` (render.catalogue) lists the new file's rules and parameters."""
    text = render.catalogue(str(dpo[0]))
    assert text.startswith("dpo-shared — Convention de mise à disposition")
    rf = rulesfile.load(str(dpo[0]))
    for rid in rf.rules:
        assert rid in text, rid
    assert "contribution.price" in text and "30 euros par agent" in text
    code, out, err = run_cli(capsys, "rules", str(dpo[0]))
    assert (code, err, out) == (0, "", text)


def test_dpo_every_command_works(dpo, tmp_path, capsys):
    """run (json, table, csv, fr), state, deadlines (with ICS), whatif for each party, report and
    batch all work on the new convention."""
    s = str(dpo[1])
    for argv in (["run", s, "--format", "json"], ["run", s], ["run", s, "--format", "csv"],
                 ["run", s, "--lang", "fr"], ["state", s, "--on", "2027-06-01"],
                 ["deadlines", s, "--as-of", "2027-06-01", "--ics", str(tmp_path / "d.ics")],
                 ["whatif", s, "--notice", "member", "--on", "2027-06-01"],
                 ["whatif", s, "--notice", "cdg", "--on", "2027-06-01"],
                 ["report", s, "--html", str(tmp_path / "r.html")], ["batch", s]):
        code, out, err = run_cli(capsys, *argv)
        assert (code, err) == (0, ""), f"{argv}: {err}"
    code, out, err = run_cli(capsys, "run", s, "--format", "json")
    assert out == replay_file(s).to_json()
    code, out, err = run_cli(capsys, "whatif", s, "--notice", "archives", "--on", "2027-06-01")
    assert code == 2 and out == "" and "(accepted: member, member body, cdg, management centre)" in err


# ============================================================================ 4. generated rules files

PARTY_SETS = (("member", "cdg"), ("adherent", "centre"), ("client", "provider", "auditor"),
              ("alpha", "beta"))
ARTICLES = ("Art. 1", "Article 2", "Clause 3.1", "§ 4", "Annexe B", "Préambule", "Article L.452-40")
RULE_PREFIXES = ("g", "Conv-9", "a.b", "R")
EXIT_DATES = (["12-31"], ["06-30", "12-31"], ["03-31", "09-30"], ["01-15"])
PER_YEAR = {"fiscal_year_start": 1, "quarterly": 4, "monthly": 12}
_counter = itertools.count()


def _rates() -> st.SearchStrategy[str]:
    return st.integers(1, 900).map(lambda n: f"0.{n:04d}")


def _money(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda c: f"{c // 100}.{c % 100:02d}")


def _param(value, type_: str | None = None, dated: dict | None = None, article: str = "Art. 1") -> dict:
    out: dict = {}
    if type_:
        out["type"] = type_
    if dated:
        out["values"] = dated
    else:
        out["value"] = value
    out["article"] = article
    out["clause"] = "clause quoted from the text"
    return out


@st.composite
def amounts_of_a_call(draw, basis_year_param: str):
    """(formula kind, inputs, contribution parameters, amount section, messages, whether the
    formula rounds `annual` to the cent, the formula's parameters an amendment may change)."""
    kind = draw(st.sampled_from(("grid", "rate_min", "rate_sum", "unit")))
    basis_in = draw(st.sampled_from(("volume", "wages", "files_x")))
    current_in = draw(st.sampled_from(("staff", "headcount", "seats")))
    est, unk = draw(st.sampled_from((("basis_estimated", "basis_unknown"), ("x_estimated", "x_none"))))
    basis = {"input": basis_in, "year": f"contribution.{basis_year_param}", "estimated": est, "unknown": unk}
    messages = {
        est: {"en": "{year} {period}: {basis_year} unknown, {stand_in} ({value}) stands in; annual {annual}",
              "fr": "{year} : {basis_year} inconnu, {stand_in} ({value}) en tient lieu"},
        unk: {"en": "{period}: nothing known; annual {annual}", "fr": "{period} : rien de connu"},
    }
    choice = {"type": "choice", "choices": ["previous_year", "same_year"],
              "value": draw(st.sampled_from(("previous_year", "same_year"))),
              "article": "Art. 5", "clause": "l'année de référence"}
    label = {"en": "an input", "fr": "une donnée"}
    if kind == "grid":
        n = draw(st.integers(1, 4))
        bounds = sorted(draw(st.sets(st.integers(1, 500), min_size=n, max_size=n)))
        small = draw(st.lists(_money(0, 50_000), min_size=n + 1, max_size=n + 1))
        large = draw(st.lists(_money(0, 500_000), min_size=n + 1, max_size=n + 1))
        inputs = {basis_in: {"per_year": "count", "event": basis_in, "label": label},
                  current_in: {"current": "count", "event": current_in, "label": label}}
        params = {basis_year_param: choice, "grid": {
            "bounds": _param(bounds, "bounds"), "limit": _param(draw(st.integers(0, 1000)), "count"),
            "small": _param(small, "amounts"), "large": _param(large, "amounts")}}
        amount = {"basis": basis, "figures": {
            "band": {"bracket": {"basis": basis_in}, "bounds": {"param": "contribution.grid.bounds"}},
            "column": {"threshold": {"current": current_in}, "upto": {"param": "contribution.grid.limit"},
                       "names": ["small", "large"]},
            "annual": {"item": {"select": {"figure": "column"}, "cases": {
                "small": {"param": "contribution.grid.small"}, "large": {"param": "contribution.grid.large"}}},
                "at": {"figure": "band"}}},
            "row": {"band": "count", "column": "name"}}
        return kind, inputs, params, amount, messages, True, {}
    if kind in ("rate_min", "rate_sum"):
        inputs = {basis_in: {"per_year": "amount", "event": basis_in, "label": label}}
        dated = None
        if draw(st.booleans()):
            d1 = draw(st.dates(dt.date(2024, 1, 1), dt.date(2027, 1, 1)))
            d2 = draw(st.dates(d1 + ONE_DAY, dt.date(2031, 1, 1)))
            dated = {d1: draw(_rates()), d2: draw(_rates())}
        params = {basis_year_param: choice, "rate": _param(draw(_rates()), "rate", dated)}
        figures: dict = {"base": {"default": {"basis": basis_in}, "or": "0.00"},
                         "base_year": {"basis_year": basis_in}}
        if kind == "rate_min":
            params["minimum"] = _param(draw(_money(0, 50_000)), "amount")
            figures["rate"] = {"param": "contribution.rate"}
            figures["annual"] = {"max": [{"round": {"mul": [{"figure": "rate"}, {"figure": "base"}]}},
                                         {"param": "contribution.minimum"}]}
            change = {"minimum": draw(_money(0, 50_000))}
        else:
            params["fee"] = _param(draw(_rates()), "rate")
            figures["rate"] = {"sum": [{"param": "contribution.rate"}, {"param": "contribution.fee"}]}
            figures["annual"] = {"mul": [{"figure": "base"}, {"figure": "rate"}]}
            change = {"fee": draw(_rates())}
        amount = {"basis": basis, "figures": figures,
                  "row": {"base": "amount", "base_year": "year", "rate": "rate"},
                  "detail": {basis_in: {"basis": basis_in}}, "correction_detail": [basis_in],
                  "previous": ["base"]}
        return kind, inputs, params, amount, messages, kind == "rate_min", change
    # unit: a price per unit of a current count
    inputs = {current_in: {"current": "count", "event": current_in, "label": label}}
    params = {"price": _param(draw(_money(1, 20_000)), "amount")}
    product = {"mul": [{"param": "contribution.price"}, {"current": current_in}]}
    rounds = draw(st.booleans())
    amount = {"figures": {"units": {"current": current_in},
                          "annual": {"round": product} if rounds else product},
              "row": {"units": "count"}}
    # price x a whole count has two decimals at most: `annual` is exact either way
    return kind, inputs, params, amount, {}, True, {"price": draw(_money(1, 20_000))}


def _catalogue(prefix: str, articles, parties, inputs: dict, immediate_by: str | None,
               note_by: str | None) -> dict:
    """A complete catalogue, in priority order, with generated ids and articles."""
    rules: dict = {}
    art = itertools.cycle(articles)

    def add(name: str, when: dict, do) -> None:
        rules[f"{prefix}.{name}"] = {"article": next(art), "clause": "clause", "decides": name,
                                     "when": when, "do": do}

    current_events = [i["event"] for i in inputs.values() if "current" in i]
    add("start", {"t": "start"}, "started")
    add("termination", {"t": "terminate"}, "terminated")
    add("expiry", {"t": "period_end", "any": [{"renewal": "none"},
                                              {"renewal": "periodic", "k": {"gte": {"field": "max_renewals"}}}]},
        "expire")
    add("renewal", {"t": "period_end", "renewal": {"any": ["periodic", "indefinite"]}}, "renew")
    add("after_termination", {"terminated": True,
                              "t": {"any": current_events + ["amendment", "notice_received", "signed"]}},
        "after_termination")
    for name, i in inputs.items():
        add(f"record_{name}", {"t": i["event"]}, "record")
    add("amendment_term", {"t": "amendment", "sets_term": True},
        {"amend": {"diagnostic": "amendment_ineffective"}})
    add("amendment", {"t": "amendment"}, "amend")
    add("call", {"t": "call"}, "call")
    add("basis_previous_year", {"t": "basis_year", "choice": "previous_year"},
        {"take": {"figure": "year_before"}})
    add("stand_in", {"t": "stand_in"}, {"take": {"figure": "latest_before"}})
    add("default", {"t": "standing", "overdue": {"gt": 0}, "standing": "current",
                    "daily_check": True}, "overdue")
    add("cured", {"t": "standing", "overdue": 0, "standing": "in_default"}, "cured")
    add("payment", {"t": "payment"}, "payment")
    add("notice_void", {"t": "notice_received", "any": [
        {"counted": 0}, {"missing": {"gt": 0}, "missing_recipient": "void"}]}, "notice_void")
    if immediate_by:
        add("unfounded", {"t": "notice_received", "by": immediate_by, "reason": "non_payment",
                          "standing_at_n": "current"}, {"diagnose": {"diagnostic": "unfounded"}})
        add("immediate", {"t": "notice", "by": immediate_by, "reason": "non_payment",
                          "immediate_on_default": True, "standing_at_n": "in_default",
                          "any": [{"n": {"lt": {"field": "ruling_last_day"}}},
                                  {"n": {"field": "ruling_last_day"}, "ruling_n": {"gt": {"field": "n"}}}]},
            "terminate_now")
    add("after_expiry", {"t": "notice", "last_day": {"gt": {"field": "final_end"}}},
        {"supersede": {"because": "after_expiry"}})
    add("within_initial_term", {"t": "notice", "within_initial_term": "refused",
                                "last_day": {"lt": {"field": "initial_end"}}}, "refuse_notice")
    add("ranking", {"any": [{"t": "displaced"}, {"t": "notice", "any": [
        {"last_day": {"gt": {"field": "ruling_last_day"}}},
        {"last_day": {"field": "ruling_last_day"}, "n": {"gte": {"field": "ruling_n"}}}]}]},
        {"supersede": {"because": "ranking"}})
    for p in parties:
        add(f"notice_{p}", {"t": "notice", "by": p}, "schedule_termination")
    add("working_day", {"t": "notice_period", "extend_to_working_day": True},
        {"take": {"figure": "working_day"}})
    add("at_period_end", {"t": "notice_effect", "effect": "at_period_end"},
        {"take": {"figure": "end_of_period"}})
    add("at_exit_date", {"t": "notice_effect", "effect": "at_exit_date"},
        {"take": {"figure": "exit_date"}})
    add("postponed", {"t": "notice_term", "within_initial_term": "postponed",
                      "day": {"lt": {"field": "initial_end"}}}, {"take": {"figure": "initial_end"}})
    add("after_last_day", {"t": "last_day_call", "after_last_day": True},
        {"take": {"figure": "days_to_last_day"}})
    add("prorata", {"t": "last_day_call", "expiry": False, "refund_unused": True, "prorata": "days",
                    "days_to_last_day": {"lt": {"field": "covered_days"}},
                    "any": [{"immediate": False}, {"refund_on_default": True}]},
        {"take": {"figure": "days_to_last_day"}})
    add("late_fact", {"t": "adjust", "refund": False}, "adjust")
    add("refund", {"t": "adjust", "refund": True}, "adjust")
    if note_by:
        add("files_returned", {"t": "last_day", "by": note_by}, {"note": {"kind": "files_returned"}})
    add("skipped", {"t": "dispute", "step": "referred", "amicable_open": False},
        {"dispute": {"court": "Tribunal de Nulle-Part", "diagnostic": "skipped"}})
    add("dispute", {"t": "dispute"}, {"dispute": {"court": "Tribunal de Nulle-Part", "opens": "opened",
                                                  "closes": "referred"}})
    add("signed", {"t": "signed"}, "signed")
    return rules


@st.composite
def generated_conventions(draw) -> dict:
    """A rules file (as a document) and a scenario of it (as a document, without `convention:`),
    with what the invariants need to know about the file."""
    parties = draw(st.sampled_from(PARTY_SETS))
    extra = draw(st.sampled_from((None, "registry")))
    recipients_of = {}
    for p in parties:
        others = [q for q in parties if q != p]
        who = draw(st.lists(st.sampled_from(others), min_size=1, max_size=len(others), unique=True))
        if extra and draw(st.booleans()):
            who.append(extra)
        recipients_of[p] = who
    start = draw(st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)))
    horizon = start + dt.timedelta(days=draw(st.integers(0, 5 * 366)))

    term: dict = {}
    if draw(st.booleans()):
        term["initial"] = _param(draw(st.sampled_from(("P1Y", "P2Y", "P3Y", "P6M", "P18M", "P90D", "1 year"))))
    else:
        term["ends_on"] = _param(start + dt.timedelta(days=draw(st.integers(0, 1500))))
    renewal = draw(st.sampled_from(("indefinite", "periodic", "none")))
    term["renewal"] = _param(renewal)
    if renewal == "periodic":
        term["renewal_period"] = _param(draw(st.sampled_from(("P1Y", "P6M", "P2Y", "P3M"))))
        term["max_renewals"] = _param(draw(st.sampled_from((None, 0, 1, 2, 3))))
    effect = draw(st.sampled_from(("after_period", "at_period_end", "at_exit_date")))
    notice: dict = {p: _param(draw(st.sampled_from(("P0D", "P15D", "P1M", "P2M", "P3M", "P6M"))))
                    for p in parties}
    notice["recipients"] = _param(recipients_of)
    notice["effect"] = _param(effect)
    if effect == "at_exit_date":
        notice["exit_dates"] = _param(draw(st.sampled_from(EXIT_DATES)))
    notice["runs_from"] = _param(draw(st.sampled_from(("last_recipient", "first_recipient"))))
    notice["missing_recipient"] = _param(draw(st.sampled_from(("warn", "void"))))
    notice["unclaimed"] = _param(draw(st.sampled_from(("first_presentation", "never"))))
    notice["extend_to_working_day"] = _param(draw(st.booleans()))
    notice["within_initial_term"] = _param(draw(st.sampled_from(("allowed", "postponed", "refused"))))
    immediate = draw(st.booleans())
    notice["immediate_on_default"] = _param(immediate)

    call = draw(st.sampled_from(tuple(PER_YEAR)))
    prorata = draw(st.sampled_from(("days", "days", "days", "none")))
    kind, inputs, formula_params, amount, messages, rounds, change = draw(amounts_of_a_call("basis_year"))
    contribution = {"call": _param(call),
                    "payment_term": _param(draw(st.sampled_from(("P0D", "P15D", "P30D", "P2M")))),
                    "prorata": _param(prorata), "refund_unused": _param(draw(st.booleans()))}
    for k, v in formula_params.items():
        contribution[k] = v

    prefix = draw(st.sampled_from(RULE_PREFIXES))
    articles = draw(st.permutations(ARTICLES))
    immediate_by = parties[-1] if draw(st.booleans()) else None
    note_by = draw(st.sampled_from((None,) + parties))
    messages = dict(messages)
    messages["unfounded"] = {"en": "notice by {by} (line {line}) for {reason}: no default",
                             "fr": "dénonciation par {by} (ligne {line}) : pas de défaut"}
    messages["skipped"] = {"en": "referred to {court} (line {line}) first", "fr": "porté devant {court}"}
    rules_doc = {
        "rules_format": 2, "id": f"generated-{kind}", "title": f"Generated convention ({kind})",
        "parties": {p: {"label": {"en": p.title(), "fr": p.upper()}} for p in parties},
        "recipients": {extra: {"label": {"en": "registry", "fr": "greffe"}}} if extra else {},
        "inputs": inputs,
        "parameters": {"term": term, "notice": notice, "contribution": contribution},
        "amount": amount, "messages": messages,
        "rules": _catalogue(prefix, articles, parties, inputs, immediate_by, note_by),
    }
    if not extra:
        del rules_doc["recipients"]

    # ---- a scenario of it
    last_event = horizon + dt.timedelta(days=40)
    day = st.dates(start, last_event)
    doc: dict = {"scenario": 1, "name": f"Generated {kind}", "start": start, "horizon": horizon}
    events: list = []
    for name, i in inputs.items():
        if "current" in i:
            doc["member"] = {name: draw(st.integers(0, 2000))}
            for _ in range(draw(st.integers(0, 2))):
                events.append({"date": draw(day), "type": i["event"], "count": draw(st.integers(0, 2000))})
        else:
            years = range(start.year - 3, start.year + 1)
            given = draw(st.lists(st.sampled_from(years), unique=True, max_size=3))
            value = st.integers(0, 600) if i["per_year"] == "count" else _money(0, 200_000_000)
            if given:
                doc[name] = {y: draw(value) for y in sorted(given)}
            field = "count" if i["per_year"] == "count" else "amount"
            for _ in range(draw(st.integers(0, 3))):
                events.append({"date": draw(day), "type": i["event"],
                               "year": draw(st.integers(start.year - 2, horizon.year)), field: draw(value)})
    for _ in range(draw(st.integers(0, 8))):
        events.append({"date": draw(day), "type": "payment", "amount": draw(_money(1, 3_000_000))})
    for _ in range(draw(st.integers(0, 3))):
        by = draw(st.sampled_from(parties))
        event_date = draw(day)
        received = {}
        for r in recipients_of[by]:
            if draw(st.integers(0, 9)) == 0:
                continue  # a missing recipient now and then
            r_day = event_date - dt.timedelta(days=draw(st.sampled_from((0, 0, 1, 3, 30, 90))))
            if draw(st.integers(0, 5)) == 0:
                received[r] = {"presented": r_day, "unclaimed": True}
            else:
                received[r] = r_day
        if not received:
            received[recipients_of[by][0]] = event_date
        ev = {"date": event_date, "type": "notice", "by": by, "received": received}
        if by == immediate_by and draw(st.booleans()):
            ev["reason"] = "non_payment"
        events.append(ev)
    if change and draw(st.integers(0, 3)) == 0:
        events.append({"date": draw(day), "type": "amendment", "ref": "Avenant 1",
                       "effective": draw(st.dates(start, last_event)), "set": {"contribution": change}})
    for _ in range(draw(st.integers(0, 2))):
        events.append({"date": draw(day), "type": "dispute",
                       "step": draw(st.sampled_from(("opened", "settled", "referred")))})
    if draw(st.booleans()):
        events.append({"date": draw(day), "type": "signed", "ref": "signature"})
    doc["events"] = draw(st.permutations(events))
    return {"rules": rules_doc, "scenario": doc, "per_year": PER_YEAR[call], "prorata": prorata,
            "rounds": rounds, "kind": kind}


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated")


def _write_generated(folder: Path, g: dict) -> tuple[Path, Path]:
    """The drawn rules file and scenario, as YAML files (each example its own rules path: rules
    files are cached by path)."""
    n = next(_counter)
    rules_path = write(folder / f"rules-{n}.yaml", dump_yaml(g["rules"]))
    scenario = dict(g["scenario"], convention=str(rules_path))
    scenario = {k: scenario[k] for k in ("scenario", "convention", *g["scenario"])}
    scenario_path = write(folder / f"scenario-{n}.yaml", dump_yaml(scenario))
    note(f"rules file: {rules_path}\nscenario: {scenario_path}")
    return rules_path, scenario_path


def check_rows_are_calendar_periods(tl, per_year: int) -> None:
    """Each row is one calendar year, quarter or month of the declared frequency, once, in order."""
    months = 12 // per_year
    firsts = [c.first for c in tl.contributions]
    assert firsts == sorted(set(firsts)), f"rows out of order or repeated: {firsts}"
    for c in tl.contributions:
        assert c.first.day == 1 and (c.first.month - 1) % months == 0, f"row {c.first} is not a period start"
        nxt = dt.date(c.first.year + (c.first.month - 1 + months) // 12, (c.first.month - 1 + months) % 12 + 1, 1)
        assert c.last == nxt - ONE_DAY, f"row {c.first}: to {c.last}, not {nxt - ONE_DAY}"
        assert c.year == c.first.year
        assert c.period_days == (c.last - c.first).days + 1
        assert c.yearly == (per_year == 1)


def check_covered_within_period(tl) -> None:
    """0 <= covered_days <= period_days, and no covered day before the start."""
    for c in tl.contributions:
        assert 0 <= c.covered_days <= c.period_days, f"{c.first}: covered {c.covered_days} of {c.period_days}"
        assert c.covered_days <= (c.last - max(c.first, tl.start)).days + 1, (
            f"{c.first}: covered {c.covered_days} counts days before the start {tl.start}")
        assert c.called_on >= tl.start and (c.called_on == c.first or c.called_on == tl.start), (
            f"{c.first}: called on {c.called_on}")


def check_nothing_called_after_termination_by_period(tl) -> None:
    """No period after the known last day is called; one called before the termination was
    learned (a late notice) is cut to nothing."""
    t = tl.termination
    if t is None:
        return
    if t.by == "expiry":
        learned = tl.start
    else:
        learned = min((e.date for e in tl.entries if e.kind == "termination_scheduled"
                       and e.detail.get("last_day") == t.last_day and e.detail.get("by") == t.by),
                      default=None)
    for c in tl.contributions:
        if c.first <= t.last_day and c.called_on <= t.last_day:
            continue
        what = f"period {c.first} called on {c.called_on} after the last day {t.last_day} (by {t.by})"
        # on the day a notice is learned, the call (phase d) comes before the notice (phase f)
        assert learned is not None and c.called_on <= learned, f"{what}, known from {learned}"
        assert c.covered_days == 0 and c.due == 0, f"{what}: not cut to nothing ({c.covered_days}, {c.due})"
        assert c.first > t.last_day, what


def check_entries_name_generated_rules(tl, rules_doc: dict) -> None:
    """Every entry (and the termination) names a rule of this file, with that rule's article."""
    cat = {rid: r["article"] for rid, r in rules_doc["rules"].items()}
    for e in tl.entries:
        assert e.rule in cat, f"{e.date} {e.kind}: rule {e.rule!r} is not in the file"
        assert e.article == cat[e.rule], f"{e.date} {e.kind}: article {e.article!r}, not {cat[e.rule]!r}"
    if tl.termination is not None:
        assert tl.termination.rule in cat, tl.termination


def check_due_from_figures(tl, per_year: int, prorata: str, rounds: bool) -> None:
    """due = round_half_up(annual x covered / (calls a year x period_days)) (prorata days) or
    round(annual / calls a year) (prorata none); exact when the formula rounds `annual`, within a
    cent otherwise (the row shows `annual` rounded, the due is computed before)."""
    for c in tl.contributions:
        if c.covered_days == 0:
            want = Decimal("0.00")
        elif prorata == "none":
            want = round_cent(c.annual / per_year)
        else:
            want = round_cent(c.annual * c.covered_days / (per_year * c.period_days))
        if rounds:
            assert c.due == want, f"{c.first}: due {c.due}, {c.annual} x {c.covered_days} / ({per_year} x {c.period_days}) = {want}"
        else:
            assert abs(c.due - want) <= CENT, f"{c.first}: due {c.due}, about {want}"
        assert c.due >= 0


def check_notice_termination(tl, rules_doc: dict) -> None:
    """A termination by a party ends no earlier than N + that party's period, and not within the
    initial term when within_initial_term is refused or postponed; an immediate one ends on N,
    only for the party whose rule allows it, with the default it requires."""
    t = tl.termination
    if t is None or t.by == "expiry":
        return
    notice = rules_doc["parameters"]["notice"]
    assert t.by in rules_doc["parties"], t
    assert t.notified is not None and t.notified >= tl.start, t
    if t.immediate:
        assert t.last_day == t.notified, t
        assert notice["immediate_on_default"]["value"] is True, t
        assert any(r["do"] == "terminate_now" and r["when"].get("by") == t.by
                   for r in rules_doc["rules"].values()), t
        assert any(e.kind == "payment_overdue" and e.date <= t.notified for e in tl.entries), t
        return
    period = parse_duration(notice[t.by]["value"])
    assert t.last_day >= t.notified + period, f"{t}: before N + {notice[t.by]['value']}"
    started = tl.entries[0]
    assert started.kind == "started", started
    initial_end = started.detail["initial_term_ends"]
    if notice["within_initial_term"]["value"] in ("refused", "postponed"):
        assert t.last_day >= initial_end, f"{t}: within the initial term ending {initial_end}"


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=generated_conventions())
def test_generated_conventions_keep_the_invariants(generated_dir, g):
    """Any rules file of the format, with any term shape, renewal, notice effect, call frequency
    and kind of formula, replays a scenario that keeps the invariants of every convention."""
    rules_path, scenario_path = _write_generated(generated_dir, g)
    rulesfile.load(str(rules_path))  # a drawn file is a valid one
    s = engine.load_scenario(str(scenario_path))
    r = Replay(s)
    tl = r.run()
    doc = yaml.safe_load(scenario_path.read_text(encoding="utf-8"))

    check_periods_cover(tl)
    check_states_monotone(tl)
    check_termination_in_periods(tl)
    check_balance(tl)
    check_money_conserved(doc, tl)
    check_rows_paid_within_due(tl)
    check_allocation_by_due_date(r.state.ledger)
    check_rows_are_calendar_periods(tl, g["per_year"])
    check_covered_within_period(tl)
    check_nothing_called_after_termination_by_period(tl)
    check_entries_name_generated_rules(tl, g["rules"])
    check_due_from_figures(tl, g["per_year"], g["prorata"], g["rounds"])
    check_notice_termination(tl, g["rules"])
    assert tl.convention == g["rules"]["id"]

    first = tl.to_json()
    assert engine.replay(s).to_json() == first, "two replays of the same scenario differ"
    assert engine.replay(engine.load_scenario(str(scenario_path))).to_json() == first, (
        "a second load of the same files replays differently")


# ============================================================================ 5. bad input


def _assert_refused(code: int, out: str, err: str, path: Path, lines: int | tuple) -> str:
    """Exit 2, nothing on stdout, one line on stderr naming PATH:LINE (LINE one of ``lines``);
    returns the message."""
    lines = (lines,) if isinstance(lines, int) else lines
    assert code == 2, (code, out, err)
    assert out == "", f"stdout should be empty, got {out!r}"
    assert err.endswith("\n") and err.count("\n") == 1, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err
    for line in lines:
        if err.startswith(f"{path}:{line}: "):
            return err[len(f"{path}:{line}: "):]
    raise AssertionError(f"expected {path}:{' or '.join(map(str, lines))}: ..., got {err!r}")


MEDECINE_SCENARIO = """\
scenario: 1
convention: cdg62-medecine
name: Commune
start: 2026-02-15
payroll:
  2025: "1000000.00"
"""

ASSURANCE_SCENARIO = """\
scenario: 1
convention: cdg62-assurance
name: Communauté
start: 2026-04-01
insured_base:
  2025: "400000.00"
"""


@pytest.mark.parametrize("text, needle, words", [
    pytest.param(MEDECINE_SCENARIO + "consultations:\n  2024: 235\n", "consultations:", ("consultations",),
                 id="medecine-consultations"),
    # `member:` is the scenario format's key of current values, of which cdg62-medecine has none:
    # the error may name the key's line or its first value's
    pytest.param(MEDECINE_SCENARIO + "member:\n  agents: 3\n", ("member:", "agents: 3"), ("member",),
                 id="medecine-member-agents"),
    pytest.param(ASSURANCE_SCENARIO + "events:\n  - {date: 2027-01-10, type: consultations, year: 2026, count: 12}\n",
                 "type: consultations", ("consultations", "insured_base"), id="assurance-consultations-event"),
    pytest.param(ASSURANCE_SCENARIO.replace("start: 2026-04-01", "start: 2029-01-01"), "start: 2029-01-01",
                 ("2028-12-31",), id="assurance-start-after-ends-on"),
])
def test_a_scenario_that_does_not_fit_its_convention_is_refused(text, needle, words, tmp_path, capsys):
    """Inputs, event types and start dates are those of the scenario's own convention: anything
    else is refused at its line, before any replay."""
    path = write(tmp_path / "scenario.yaml", text)
    lines = tuple(line_of(text, n) for n in ((needle,) if isinstance(needle, str) else needle))
    message = _assert_refused(*run_cli(capsys, "run", str(path)), path, lines)
    for w in words:
        assert w in message, message
    with pytest.raises(engine.ScenarioError) as e:
        engine.load_scenario(str(path))
    assert e.value.file == str(path) and e.value.line in lines, str(e.value)


# Each mistake: (what the DPO rules file says, what the broken copy says instead, the text on the
# line the error must name, words of the message).
RULES_MISTAKES = [
    pytest.param("dpo.start: {article: Art. 3, when: {t: start}, do: started}",
                 "dpo.start: {article: Art. 3, when: {t: start}, do: explode}",
                 "do: explode", ("unknown consequence", "explode"), id="unknown-consequence"),
    pytest.param("dpo.call: {article: Art. 7, when: {t: call}, do: call}",
                 "dpo.call:\n    article: Art. 7\n    when:\n      t: call\n      colour: red\n    do: call",
                 "colour: red", ("unknown field", "colour"), id="unknown-when-field"),
    pytest.param("dpo.default: {article: Art. 8, when: {t: standing, overdue: {gt: 0}, standing: current, daily_check: true}, do: overdue}",
                 "dpo.default:\n    article: Art. 8\n    when:\n      t: standing\n      overdue:\n"
                 "        greater: 0\n      standing: current\n      daily_check: true\n    do: overdue",
                 "greater: 0", ("unknown operator", "greater"), id="unknown-operator"),
    pytest.param("annual: {round: {mul: [{param: contribution.price}, {current: agents}]}}",
                 "annual: {round: {mul: [{param: contribution.cost}, {current: agents}]}}",
                 "contribution.cost", ("unknown parameter", "contribution.cost"), id="formula-unknown-parameter"),
    pytest.param("annual: {round: {mul: [{param: contribution.price}, {current: agents}]}}",
                 "annual: {round: {mul: [{param: contribution.price}, {current: staff}]}}",
                 "current: staff", ("staff",), id="formula-undeclared-input"),
    pytest.param("    agents: {current: agents}\n    annual: {round: {mul: [{param: contribution.price}, {current: agents}]}}",
                 "    annual: {round: {mul: [{param: contribution.price}, {figure: units}]}}\n    units: {current: agents}",
                 "{figure: units}", ("unknown figure", "units"), id="figure-before-definition"),
    # a mapping's line is its first key's: the error names the first line of `figures:`
    pytest.param("    annual: {round: {mul:", "    yearly: {round: {mul:",
                 "    agents: {current: agents}", ("annual",), id="missing-annual"),
    pytest.param("    refund_unused: {value: true, article: Art. 7, clause: \"le trop-perçu est remboursé\"}",
                 "    refund_unused: {value: true, article: Art. 7, clause: \"le trop-perçu est remboursé\"}\n"
                 "    discount: {value: \"5.00\", article: Art. 7}",
                 "discount:", ("contribution.discount", "type"), id="parameter-without-type"),
    # a bad value is reported at its parameter's line (as every parameter error)
    pytest.param("      value: \"30.00\"\n", "      values:\n        2027-01-01: \"30.00\"\n        2028-01-01: thirty\n",
                 "    price:", ("contribution.price", "thirty"), id="bad-dated-value"),
    pytest.param("      value: \"30.00\"\n", "      values:\n        2027-01-01: \"30.00\"\n        2028-02-30: \"31.00\"\n",
                 "2028-02-30", ("2028-02-30",), id="bad-dated-value-date"),
    pytest.param("do: {dispute: {court: Tribunal administratif de Rouen, opens: opened, closes: referred}}",
                 "do: {dispute: {court: Tribunal administratif de Rouen, opens: opened, closes: referred, judge: Salomon}}",
                 "judge: Salomon", ("judge",), id="do-argument-not-allowed"),
    pytest.param("rules_format: 2", "rules_format: 1", "rules_format: 1", ("rules_format", "2"), id="format-1"),
]


def _broken_rules(tmp_path: Path, old: str, new: str, base: str = DPO_RULES) -> tuple[Path, str]:
    assert base.count(old) == 1, f"{old!r} is not once in the base file"
    text = base.replace(old, new)
    return write(tmp_path / "broken-rules.yaml", text), text


@pytest.mark.parametrize("old, new, at, words", RULES_MISTAKES)
def test_a_rules_file_mistake_is_refused_at_its_line(old, new, at, words, tmp_path):
    """engine.conventions.rulesfile.load refuses the broken file with a RulesError naming the file and the
    line of the mistake."""
    path, text = _broken_rules(tmp_path, old, new)
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(str(path))
    assert (e.value.file, e.value.line) == (str(path), line_of(text, at)), str(e.value)
    for w in words:
        assert w in e.value.message, e.value.message


@pytest.mark.parametrize("old, new, at, words", RULES_MISTAKES)
def test_a_scenario_naming_a_broken_rules_file_is_refused(old, new, at, words, tmp_path, capsys):
    """Through the CLI: exit 2, nothing on stdout, the error at the scenario's `convention:` line
    with the rules file's FILE:LINE in the message."""
    path, text = _broken_rules(tmp_path, old, new)
    scenario = write(tmp_path / "scenario.yaml",
                     "scenario: 1\nname: Commune\nconvention: broken-rules.yaml\nstart: 2027-03-10\n"
                     "member: {agents: 40}\n")
    message = _assert_refused(*run_cli(capsys, "run", str(scenario)), scenario, 3)
    assert message.startswith(f"convention: {os.path.abspath(path)}:{line_of(text, at)}: "), message


def test_a_basis_message_with_an_unknown_placeholder_is_refused(tmp_path):
    """A message of the basis diagnostics may only use the values the engine gives it."""
    with open(rulesfile.find("cdg62-medecine"), encoding="utf-8") as fh:
        base = fh.read()
    old = '    en: "{period}: the {basis_year} payroll is not declared yet;'
    path, text = _broken_rules(tmp_path, old, '    en: "{period}: the {basis_yaer} payroll is not declared yet;', base)
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(str(path))
    assert e.value.line == line_of(text, "  basis_estimated:\n") and "basis_yaer" in e.value.message


def test_a_do_diagnostic_message_with_an_unknown_placeholder_is_refused(tmp_path):
    """The message of a diagnostic a rule's `do` names (here the dispute's, given line, court and
    step) may only use the values that consequence gives it."""
    old = 'en: "dispute referred to {court} (line {line}) without'
    path, text = _broken_rules(tmp_path, old, 'en: "dispute referred to {judge} (line {line}) without')
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(str(path))
    assert e.value.line == line_of(text, "  amicable_step_skipped:\n") and "judge" in e.value.message


def test_a_reworded_engine_message_with_an_unknown_placeholder_is_refused(tmp_path):
    """Rewording an engine message (ENGINE_MESSAGES) keeps to the values the engine gives it."""
    path, text = _broken_rules(tmp_path, "messages:\n", "messages:\n  notice_superseded:\n"
                               "    en: \"notice by {by} superseded on {nonsense}\"\n"
                               "    fr: \"dénonciation par {by} remplacée le {nonsense}\"\n")
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(str(path))
    assert e.value.line == line_of(text, "  notice_superseded:\n") and "nonsense" in e.value.message


# ---------------------------------------------------------------------------- names a rules file
# may not take. Each would mean two things in the output or to the engine, so the loader refuses
# it at its line (docs/rules-format.md, "names that would mean two things"): coping silently
# would leave the user with a timeline that reads one way and means another.


def _refusal(tmp_path: Path, rules_text: str, needle: str) -> rulesfile.RulesError:
    """The loader's error for ``rules_text``, which must point at the line holding ``needle``."""
    rules_path = write(tmp_path / "dpo-rules.yaml", rules_text)
    with pytest.raises(rulesfile.RulesError) as e:
        rulesfile.load(str(rules_path))
    assert (e.value.file, e.value.line) == (str(rules_path), line_of(rules_text, needle)), str(e.value)
    return e.value


def test_a_row_figure_named_like_a_decision_field_is_refused(tmp_path):
    """Row figures are posted with the adjust decision beside its own fields (refund,
    beyond_last_day): a figure of that name would hide the engine's field."""
    rules = DPO_RULES.replace("    agents: {current: agents}\n    annual", "    refund: {current: agents}\n    annual")
    rules = rules.replace("row: {agents: count}", "row: {refund: count}")
    e = _refusal(tmp_path, rules, "row: {refund: count}")
    assert "'refund'" in e.message and "posts itself" in e.message, e.message


def test_a_party_named_expiry_is_refused(tmp_path):
    """`expiry` is what `termination.by` says of an expiry: a party of that name would make a
    termination by notice and an expiry read the same."""
    rules = DPO_RULES.replace("  member:\n    label", "  expiry:\n    label")
    rules = rules.replace("    member: {value: P1M", "    expiry: {value: P1M")
    rules = rules.replace("{member: [cdg], cdg: [member]}", "{expiry: [cdg], cdg: [expiry]}")
    e = _refusal(tmp_path, rules, "  expiry:\n    label")
    assert e.message.startswith("parties: 'expiry'"), e.message


def test_an_input_named_like_a_scenario_key_is_refused(tmp_path):
    """Per-year inputs are top-level keys of a scenario: one named `horizon` would take the place
    of the scenario's own horizon."""
    rules = DPO_RULES.replace("inputs:\n", "inputs:\n  horizon:\n    per_year: count\n    event: hours\n"
                                           "    label: {en: hours, fr: heures}\n")
    e = _refusal(tmp_path, rules, "  horizon:\n")
    assert "'horizon' is already a key of the scenario format" in e.message, e.message


def test_a_row_figure_named_like_a_row_key_is_refused(tmp_path):
    """A contribution row has its own keys (year, from, to, annual, due, paid...): a figure of that
    name would replace the row's own value."""
    rules = DPO_RULES.replace("    agents: {current: agents}\n    annual", "    year: {current: agents}\n    annual")
    rules = rules.replace("row: {agents: count}", "row: {year: count}")
    e = _refusal(tmp_path, rules, "row: {year: count}")
    assert "'year' is already a key of every row" in e.message, e.message


def test_the_catch_all_rule_id_is_refused(tmp_path):
    """`engine.no_rule` is the engine's own catch-all in durable_rules: a rule of that id would
    be taken for it; every id beginning with `engine.` is the engine's."""
    e = _refusal(tmp_path, DPO_RULES.replace("  dpo.call: {", "  engine.no_rule: {"), "  engine.no_rule: {")
    assert "'engine.no_rule'" in e.message and "engine's own" in e.message, e.message
