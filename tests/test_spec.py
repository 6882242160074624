"""docs/spec.md, the product contract in the repository: its examples run, every citation of it
names a section it has, nothing cites the copy kept outside the repository, and its "Not yet
implemented" notes say what the code does today."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import engine
from engine.errors import ScenarioError
from engine.answers.expect import failures

ROOT = Path(__file__).resolve().parent.parent
SPEC = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
SECTIONS = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\. ", SPEC, re.M)) | set(
    re.findall(r"^### (\d+\.\d+) ", SPEC, re.M))


def _section(number: str) -> str:
    """The text of section ``number`` up to the next heading of the same or a higher level."""
    level = "###" if "." in number else "##"
    m = re.search(rf"^{level} {re.escape(number)}\.? .*?(?=^#{{2,{len(level)}}} |\Z)", SPEC, re.M | re.S)
    assert m, f"docs/spec.md lost its section {number}"
    return m.group(0)


def _files(*globs: str) -> list[Path]:
    return sorted(p for g in globs for p in ROOT.glob(g) if p.is_file())


# The places that cite the contract; tests/ too, since they are read beside the code.
CITING = _files("engine/**/*.py", "rules/**/*.yaml", "docs/**/*.md", "tests/**/*.py", "README.md")
# Where the product's text lives: nothing there may point outside the repository.
SHIPPED = _files("engine/**/*.py", "rules/**/*.yaml", "docs/**/*.md", "README.md")


def test_the_sections_keep_the_contracts_numbers():
    expected = {str(n) for n in range(1, 11)} | {f"5.{n}" for n in range(1, 13)} | {
        "8.1", "8.2", "8.3", "10.1", "10.2"}
    assert SECTIONS == expected


def test_every_citation_names_a_section_of_the_spec():
    cited = re.compile(r"docs/spec\.md(?:[\s#*]|sections?)*(\d+(?:\.\d+)?)")
    wrong = [f"{p.relative_to(ROOT)}: {m.group(1)}" for p in CITING
             for m in cited.finditer(p.read_text(encoding="utf-8")) if m.group(1) not in SECTIONS]
    assert wrong == []
    assert sum(len(cited.findall(p.read_text(encoding="utf-8"))) for p in CITING) > 50


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_shipped_cites_the_contract_outside_the_repository(path):
    """The contract the code follows is docs/spec.md; `shared/` (a folder beside the clone) and
    a bare "SPEC 5.2" are places a reader of the repository cannot open."""
    text = path.read_text(encoding="utf-8")
    assert "shared/" not in text
    assert re.findall(r"\bSPEC\b(?!_)", text) == []


def test_the_scenario_example_loads_passes_its_expectations_and_gives_the_timeline_shown():
    yaml_text = re.search(r"```yaml\n(.*?)```", _section("4"), re.S).group(1)
    s = engine.load_scenario(yaml_text, filename="spec.md")
    timeline = engine.replay(s)
    assert failures(timeline, s.expect) == []
    shown = json.loads(re.search(r"```json\n(.*?)```", _section("6"), re.S).group(1))
    got = json.loads(timeline.to_json())
    assert list(got) == list(shown)
    assert got["periods"] == shown["periods"]
    assert {k: v for k, v in got["termination"].items() if k != "rule"} == {
        k: v for k, v in shown["termination"].items() if k != "rule"}
    row = {k: v for k, v in got["contributions"][0].items() if k not in ("from", "to")}  # 8.3
    assert row == shown["contributions"][0]


def _scenario(extra_event: str, convention: str = "cdg62-demat") -> str:
    return (f"scenario: 1\nconvention: {convention}\nname: Spec\nstart: 2026-01-01\n"
            f"member: {{agents: 5200}}\nevents:\n  - {extra_event}\n")


def test_the_money_note_says_whether_payments_may_name_a_year():
    """5.5's note must follow the code: while it says `for:` is refused, the loader refuses it;
    once the loader takes it, the note must go."""
    try:
        engine.load_scenario(_scenario('{date: 2026-01-20, type: payment, amount: "10.00", for: 2026}'))
        takes_for = True
    except ScenarioError:
        takes_for = False
    says_refused = "`for:` is refused" in _section("5.5")
    assert says_refused != takes_for


def test_the_archives_note_says_whether_cdg62_archives_ships():
    try:
        engine.load_scenario(_scenario('{date: 2026-01-20, type: signed}', convention="cdg62-archives"))
        ships = True
    except ScenarioError:
        ships = False
    says_missing = "`cdg62-archives` does not ship" in _section("10")
    assert says_missing != ships
