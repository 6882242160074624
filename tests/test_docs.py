"""The documentation says what the code does today.

- docs/rules.md is generated from the rules file (engine/present/catalogue_doc.py) and must be current;
- every `>>>` example in docs/*.md runs as a doctest, from the repository root;
- every block marked `<!-- verbatim -->` in docs/*.md is the real output of its command;
- the complete scenario of docs/scenario-format.md loads and passes its own `expect:` block;
- relative links between the pages point at files that exist.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import pathlib
import re
import shlex

import pytest

import engine
from engine.present import catalogue_doc
from engine import cli
from engine.answers.expect import failures

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
CUT = "[…]"


@pytest.mark.parametrize("page", sorted(catalogue_doc.pages()))
def test_rules_md_is_generated_from_the_rules_file(page):
    """docs/rules.md (the index) and docs/rules/<id>.md for every shipped convention."""
    current = (DOCS / page).read_text(encoding="utf-8")
    assert current == catalogue_doc.pages()[page], (
        f"docs/{page} is stale: run `python -m engine.present.catalogue_doc --write docs`")


def test_catalogue_doc_lists_every_rule_and_parameter():
    text = catalogue_doc.render()
    for rule_id in ("art5.member_notice", "art5.non_payment_unfounded", "annex1.band_correction"):
        assert f"`{rule_id}`" in text
    assert "`notice.extend_to_working_day`" in text
    assert "## What is not encoded" in text and "**Article 3**" in text


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_doctests_in_docs_run(page, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples name scenarios/... relative to the repository root
    result = doctest.testfile(str(page.relative_to(ROOT)), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {page.name}"


def test_the_api_guide_has_examples():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in ("load_scenario", "replay(", "state_on", "period_on", "contribution(",
                 "deadlines(", "to_dict()", "to_json()", "Session(", ".apply(", "ScenarioError",
                 "ThreadPoolExecutor"):
        assert name in text, name
    assert text.count(">>> ") > 20


# ---------------------------------------------------------------------------- verbatim blocks

_BLOCK = re.compile(r"<!-- verbatim -->\s*\n```text\n(.*?)\n```", re.S)


def _verbatim_blocks():
    for page in PAGES:
        for m in _BLOCK.finditer(page.read_text(encoding="utf-8")):
            yield page.name, m.group(1).split("\n")


BLOCKS = list(_verbatim_blocks())


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args)
        except SystemExit as e:  # usage errors leave through argparse
            code = e.code
    return code, out.getvalue() + err.getvalue()


def _find(lines: list[str], chunk: list[str], start: int) -> int:
    """Index just after ``chunk`` found as consecutive lines of ``lines`` at or after ``start``."""
    n = len(chunk)
    for i in range(start, len(lines) - n + 1):
        if lines[i:i + n] == chunk:
            return i + n
    return -1


@pytest.mark.parametrize("page,block", BLOCKS, ids=[f"{p}:{b[0][2:60]}" for p, b in BLOCKS])
def test_verbatim_output_is_real(page, block, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert block[0].startswith("$ convention "), f"a verbatim block starts with the command: {block[0]}"
    args = shlex.split(block[0][len("$ convention "):])
    body = block[1:]
    shown_file = None
    if body and body[0].startswith("$ cat "):
        # The block shows a file the command writes: write it to a temporary folder instead.
        shown_file = body[0][len("$ cat "):].strip()
        target = str(tmp_path / shown_file)
        args = [target if a == shown_file else a for a in args]
        body = body[1:]
    status = None
    if body and re.fullmatch(r"\(exit status \d+\)", body[-1]):
        status = int(body[-1][len("(exit status "):-1])
        body = body[:-1]
    code, output = _run(args)
    if shown_file is not None:
        output = (tmp_path / shown_file).read_text(encoding="utf-8").replace("\r\n", "\n")
    if status is not None:
        assert code == status, f"{block[0]}: exit status {code}, the page says {status}"
    actual = [line.rstrip() for line in output.split("\n")]
    chunks, current = [], []
    for line in body:
        if line.strip() == CUT:
            chunks.append(current)
            current = []
        else:
            current.append(line.rstrip())
    chunks.append(current)
    pos = 0
    for chunk in chunks:
        if not chunk:
            continue
        found = _find(actual, chunk, pos)
        assert found >= 0, (f"{page}: `{block[0]}` no longer prints these lines (in this order):\n"
                            + "\n".join(chunk) + "\n--- real output ---\n" + output)
        pos = found


def test_cli_page_shows_the_pas_de_calais_table():
    commands = [b[0] for p, b in BLOCKS if p == "cli.md"]
    assert "$ convention run scenarios/pas-de-calais.yaml" in commands
    block = next(b for p, b in BLOCKS if b[0] == "$ convention run scenarios/pas-de-calais.yaml")
    assert any(line.startswith("2031    3       large") for line in block)


# ---------------------------------------------------------------------------- scenario example


def test_complete_scenario_example_loads_and_passes_its_expectations():
    text = (DOCS / "scenario-format.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- example: complete -->\s*\n```yaml\n(.*?)\n```", text, re.S)
    assert m, "docs/scenario-format.md lost its complete example"
    s = engine.load_scenario(m.group(1) + "\n", filename="scenario-format.md")
    assert {e.type for e in s.events} == {"payment", "consultations", "agents", "amendment",
                                           "notice", "dispute", "signed"}
    assert failures(engine.replay(s), s.expect) == []


# ---------------------------------------------------------------------------- the mechanics table


def test_the_mechanics_table_lists_every_parameter_the_engine_reads():
    """docs/rules-format.md's table of the parameters the engine reads itself has a row for each
    (it once lacked contribution.refund_on_default), and none that the engine does not read."""
    from engine.core import params

    text = (DOCS / "rules-format.md").read_text(encoding="utf-8")
    section = text.split("### The mechanics: parameters the engine reads itself", 1)[1].split("\n### ", 1)[0]
    rows = set(re.findall(r"^\| `([a-z_.<>]+)` \|", section, re.M))
    engine_reads = {p.replace(".member", ".<party>").replace(".cdg", ".<party>")
                    for p in params.Schema(("member", "cdg"), ("member", "cdg"), {}).defaults}
    assert rows == engine_reads


# ---------------------------------------------------------------------------- links

_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")
# Pages another change writes; linked from index.md ahead of time, checked once they exist.
PENDING = {"performance.md"}


@pytest.mark.parametrize("page", PAGES + sorted(DOCS.glob("rules/*.md")) + [ROOT / "README.md"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files(page):
    for target, _ in _LINK.findall(page.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        if target in PENDING and not (page.parent / target).exists():
            continue
        assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
