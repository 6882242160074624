"""The smaller defects of issue 15: far dates, paths without extension, payments before the start,
CSV cells a spreadsheet would run, the engine imported from a clone's root, the cents of calls
rounded one by one, the install notes for Windows and macOS."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import venv

import pytest

import engine
from engine.answers import batch
from engine.present import catalogue_doc, render
from tests.test_commands import main  # the command run in-process, as the other command tests do
from engine.core import dates
from engine.present.report import report

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
PDC = str(SCEN / "pas-de-calais.yaml")
RATE = str(SCEN / "medecine-rate-change.yaml")


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def demat(name="Test", start="2026-01-01", horizon="2026-12-31", overrides="{}", events=()) -> str:
    lines = "".join(f"  - {e}\n" for e in events) or "  []\n"
    return (f"scenario: 1\nconvention: cdg62-demat\nname: {name}\nstart: {start}\n"
            f"horizon: {horizon}\nmember: {{agents: 5200}}\nconsultations: {{2024: 235}}\n"
            f"overrides: {overrides}\nevents:\n{lines}")


# ------------------------------------------------------------------ 1. far dates

DATE_OPTIONS = [
    ("state", [PDC, "--on"], "--on"),
    ("run", [PDC, "--until"], "--until"),
    ("whatif", [PDC, "--notice", "member", "--on"], "--on"),
    ("deadlines", [PDC, "--as-of"], "--as-of"),
    ("report", [PDC, "--html", "OUT", "--until"], "--until"),
    ("batch", [PDC, "--as-of"], "--as-of"),
]


@pytest.mark.parametrize("day", ["9999-12-31", "2201-01-01", "1899-12-31", "0001-01-01"])
@pytest.mark.parametrize("command,args,option", DATE_OPTIONS, ids=[c for c, _, _ in DATE_OPTIONS])
def test_a_date_out_of_range_is_one_line_naming_the_option(capsys, tmp_path, command, args, option, day):
    """The years a scenario file may name (1900 to 2200) are the command line's: beyond, one
    line naming the option, exit 2, nothing on stdout and no file written (was: internal error:
    OverflowError, exit 3; batch: an internal-error row)."""
    out_file = tmp_path / "r.html"
    argv = [command] + [str(out_file) if a == "OUT" else a for a in args] + [day]
    code, out, err = main(capsys, *argv)
    assert code == 2 and out == ""
    assert err == f"convention: argument {option}: date {day} is out of range (years 1900 to 2200)\n"
    assert not out_file.exists()


@pytest.mark.parametrize("command,args,option", DATE_OPTIONS, ids=[c for c, _, _ in DATE_OPTIONS])
def test_the_last_day_in_range_is_answered(capsys, tmp_path, command, args, option):
    """2200-12-31, 174 years after the start: answered, exit 0 (batch: an ok row)."""
    out_file = tmp_path / "r.html"
    argv = [command] + [str(out_file) if a == "OUT" else a for a in args] + ["2200-12-31"]
    code, out, err = main(capsys, *argv)
    assert (code, err) == (0, "")
    if command == "state":
        assert out.startswith("on 2200-12-31: renewed, in_default\n2200: due 1000.00, paid 0.00")
    if command == "run":
        assert "2200    3       large" in out
    if command == "batch":
        row = next(csv.DictReader(io.StringIO(out)))
        assert (row["status"], row["as_of"], row["year"]) == ("ok", "2200-12-31", "2200")
    if command == "report":
        assert "31/12/2200" not in out_file.read_text(encoding="utf-8")  # English page
        assert 'data-year="2200"' in out_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("field,text,message", [
    ("horizon", "9999-12-31", "date 9999-12-31 is out of range (years 1900 to 2200)"),
    ("start", "2201-01-01", "date 2201-01-01 is out of range (years 1900 to 2200)"),
])
def test_a_far_date_in_a_scenario_file_is_its_line(capsys, tmp_path, field, text, message):
    doc = demat(**{field: text})
    path = write(tmp_path, "far.yaml", doc)
    line = next(n for n, l in enumerate(doc.splitlines(), 1) if l.startswith(field + ":"))
    for argv in (["run", path], ["state", path, "--on", "2026-06-01"], ["check", path]):
        code, out, err = main(capsys, *argv)
        assert code == 2 and err == f"{path}:{line}: {message}\n", argv
        assert "FAIL" in out if argv[0] == "check" else out == ""


def test_an_event_in_9999_is_its_line(capsys, tmp_path):
    path = write(tmp_path, "far.yaml", demat(events=['{date: 9999-01-01, type: payment, amount: "5.00"}']))
    code, out, err = main(capsys, "run", path)
    assert (code, out) == (2, "")
    assert err == f"{path}:10: date 9999-01-01 is out of range (years 1900 to 2200)\n"


@pytest.mark.parametrize("override,where", [
    ("{term: {initial: P9999Y}}", "term.initial"),
    ("{notice: {member: P100Y1D}}", "notice.member"),
    ("{contribution: {payment_term: 101 years}}", "contribution.payment_term"),
])
def test_a_duration_beyond_1000_years_is_its_line(capsys, tmp_path, override, where):
    """A duration is at most 100 years (was: internal error: ValueError: year 12025 is out of
    range, from `term: {initial: P9999Y}`)."""
    path = write(tmp_path, "long.yaml", demat(overrides=override))
    code, out, err = main(capsys, "run", path)
    assert (code, out) == (2, "")
    assert re.fullmatch(rf"{re.escape(path)}:8: overrides: {re.escape(where)}: duration '.*' is too long "
                        r"\(at most 100 years\)\n", err), err


def test_the_longest_durations_at_the_last_date(capsys, tmp_path):
    """Start and horizon on 2200-12-31, every duration 100 years, a payment, an input and a
    notice on that day: every command answers (the dates it computes reach year 2400 at most)."""
    override = ("{term: {initial: P100Y, renewal: periodic, renewal_period: P100Y}, notice: "
                "{member: P100Y, cdg: P100Y, effect: at_period_end}, contribution: {payment_term: P100Y}}")
    path = write(tmp_path, "edge.yaml", demat(
        start="2200-12-31", horizon="2200-12-31", overrides=override,
        events=["{date: 2200-12-31, type: consultations, year: 2200, count: 300}",
                '{date: 2200-12-31, type: payment, amount: "5.00"}',
                "{date: 2200-12-31, type: notice, by: member, received: {cdg: 2200-12-31, archives: 2200-12-31}}"]))
    html = tmp_path / "r.html"
    for argv in (["run", path, "--format", "json"], ["state", path, "--on", "2200-12-31"],
                 ["deadlines", path, "--as-of", "2200-12-31", "--ics", str(tmp_path / "d.ics")],
                 ["whatif", path, "--notice", "cdg", "--on", "2200-12-31", "--reason", "non_payment"],
                 ["report", path, "--html", str(html)], ["batch", path, "--as-of", "2200-12-31"],
                 ["check", path]):
        code, out, err = main(capsys, *argv)
        assert (code, err) == (0, ""), argv
    code, out, _ = main(capsys, "run", path, "--format", "json")
    doc = json.loads(out)
    assert doc["termination"]["last_day"] == "2400-12-30"  # the end of the period after the notice


# ------------------------------------------------------------------ 2. a path without extension

def test_check_reads_a_path_without_extension_as_a_file(capsys, monkeypatch):
    """`check scenarios/pas-de-calais` said "the document is a single value"; like `run`, it
    says the file does not exist."""
    monkeypatch.chdir(ROOT)
    for command in (["check"], ["run"], ["state", "--on", "2027-01-01"], ["batch"]):
        code, out, err = main(capsys, command[0], "scenarios/pas-de-calais", *command[1:])
        assert code == 2, command
        if command[0] == "batch":
            row = next(csv.DictReader(io.StringIO(out)))
            assert row["error"] == "scenarios/pas-de-calais:0: no such file"
        else:
            assert err == "scenarios/pas-de-calais:0: no such file\n", command


def test_the_api_reads_one_line_without_a_colon_as_a_path(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(engine.ScenarioError, match=r"^scenarios/pas-de-calais:0: no such file$"):
        engine.load_scenario("scenarios/pas-de-calais")
    with pytest.raises(engine.ScenarioError, match=r"^<string>:1: scenario file: missing 'convention'$"):
        engine.load_scenario("scenario: 1")  # one line of YAML is still YAML text
    assert engine.load_scenario("scenarios/pas-de-calais.yaml").name == "Département du Pas-de-Calais"


# ------------------------------------------------------------------ 3. a payment before the start

def test_a_payment_before_the_start_counts_and_is_diagnosed(tmp_path):
    path = write(tmp_path, "early.yaml", demat(events=['{date: 2025-12-15, type: payment, amount: "1000.00"}']))
    t = engine.replay(engine.load_scenario(path))
    [d] = [d for d in t.diagnostics if d.code == "payment_before_start"]
    assert (d.date.isoformat(), d.level) == ("2025-12-15", "warning")
    assert d.message == ("payment of 1000.00 received 2025-12-15 (line 10), before the start "
                         "2026-01-01: counted as money received")
    assert d.text("fr") == ("le paiement de 1\u202f000,00\xa0€ reçu le 15/12/2025 (ligne 10) précède "
                            "le début de la convention, le 01/01/2026 : il est compté comme somme reçue")
    # the money still pays the year's call: no default, nothing owed
    [c] = t.contributions
    assert (str(c.due), str(c.paid), str(c.balance)) == ("1000.00", "1000.00", "0.00")
    assert all(p.standing == "current" for p in t.periods)


def test_a_payment_on_the_start_day_is_not_diagnosed(tmp_path):
    path = write(tmp_path, "ontime.yaml", demat(events=['{date: 2026-01-01, type: payment, amount: "1000.00"}']))
    t = engine.replay(engine.load_scenario(path))
    assert "payment_before_start" not in [d.code for d in t.diagnostics]


# ------------------------------------------------------------------ 4. CSV cells

FORMULAS = ['=HYPERLINK("http://x.example","clic")', "+1+2", "-2+3", "@SUM(A1:A9)", "\tTab", "=1"]


def _cells(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def _runs_as_formula(cell: str) -> bool:
    """What a spreadsheet runs: a cell starting with = + - @ (or a tab or CR before them),
    unless it is a plain number."""
    return bool(cell) and cell[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+([.,]\d+)?", cell)


@pytest.mark.parametrize("lang,delimiter", [("en", ","), ("fr", ";")])
def test_batch_csv_neutralises_formula_cells(capsys, tmp_path, monkeypatch, lang, delimiter):
    """A name (or a file) that starts like a formula gets a leading apostrophe, in English and
    French CSVs; negative amounts stay numbers."""
    monkeypatch.chdir(tmp_path)
    for i, name in enumerate(FORMULAS):
        yaml_name = "'" + name.replace("'", "''") + "'"
        write(tmp_path, f"s{i}.yaml", demat(name=yaml_name, events=['{date: 2026-02-01, type: payment, amount: "2000.00"}']))
    write(tmp_path, "=bad.yaml", "nope")
    files = sorted(p.name for p in tmp_path.glob("*.yaml"))  # as given: "=bad.yaml", not "./=bad.yaml"
    code, out, err = main(capsys, "batch", *files, "--lang", lang)
    rows = _cells(out, delimiter)
    assert code == 2  # the invalid file's row
    for row in rows:
        for cell in row:
            assert not _runs_as_formula(cell), (lang, cell)
    names = [r[2] for r in rows[1:] if r[1] in ("ok",)]
    assert sorted(names) == sorted("'" + n for n in FORMULAS)
    balances = {r[12] for r in rows[1:] if r[1] == "ok"}
    assert balances == {"-1000.00" if lang == "en" else "-1000,00"}  # 2000.00 paid for 1000.00
    [error_row] = [r for r in rows[1:] if r[0].endswith("=bad.yaml")]
    assert error_row[0] == "'=bad.yaml" and error_row[13].startswith("'=bad.yaml:1: ")


def test_run_csv_neutralises_formula_cells(capsys, tmp_path):
    """`run --format csv`: a rules file's article (text a user writes) cannot run either."""
    rules = (ROOT / "rules" / "cdg62-demat.yaml").read_text(encoding="utf-8")
    rules = rules.replace("article: Article 4", 'article: "=Article 4"')
    write(tmp_path, "demat.yaml", rules)
    path = write(tmp_path, "s.yaml", demat(events=['{date: 2026-02-01, type: payment, amount: "1000.00"}'])
                 .replace("convention: cdg62-demat", "convention: demat.yaml"))
    code, out, err = main(capsys, "run", path, "--format", "csv")
    assert (code, err) == (0, "")
    rows = _cells(out, ",")
    assert "'=Article 4" in {r[3] for r in rows}
    assert not any(_runs_as_formula(c) for r in rows for c in r)


@pytest.mark.parametrize("text,shown", [
    ("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-x", "'-x"), ("@a", "'@a"), ("\t=1", "'\t=1"),
    ("-321.92", "-321.92"), ("-321,92", "-321,92"), ("Ville", "Ville"), ("", ""), ("a=b", "a=b"),
])
def test_csv_cell(text, shown):
    assert render.csv_cell(text) == shown
    row = dict(dict.fromkeys(batch.COLUMNS), name=text, status="ok")
    assert _cells(batch.to_csv([row]), ",")[1][2] == shown


# ------------------------------------------------------------------ 5. from a clone's root

def _copy_tree(dest: pathlib.Path, with_rules: bool = True) -> pathlib.Path:
    """A clone as a user has it: engine/, rules/ and scenarios/ (no engine/rules)."""
    shutil.copytree(ROOT / "engine", dest / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    if with_rules:
        shutil.copytree(ROOT / "rules", dest / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SCEN, dest / "scenarios")
    return dest


def _python_without_site(cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    """This interpreter without its site hooks (so no editable install maps engine.rules) and
    with the installed dependencies on the path: `engine` comes from the working folder, as
    after a non-editable `pip install .` run from the clone."""
    env = dict(os.environ, PYTHONPATH=sysconfig.get_paths()["purelib"])
    return subprocess.run([sys.executable, "-S", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


API_EXAMPLE = ("import engine; s = engine.load_scenario('scenarios/member-notice.yaml'); "
               "print(s.name, engine.replay(s).termination.last_day)")


def test_the_api_example_runs_from_a_clone_root(tmp_path):
    clone = _copy_tree(tmp_path)
    r = _python_without_site(clone, "-c", API_EXAMPLE + "; import engine.conventions.rulesfile as f; print(f._shipped_root())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["Ville de Calais 2027-05-10", str(clone / "rules")]
    r = _python_without_site(clone, "-m", "engine.present.catalogue_doc", "--help")
    assert (r.returncode, r.stderr) == (0, "") and r.stdout.startswith("usage: python -m engine.present.catalogue_doc")
    r = _python_without_site(clone, "-m", "engine.cli", "check", "scenarios/")
    assert r.returncode == 0, r.stderr


def test_a_missing_rules_package_is_an_internal_error_not_the_file(tmp_path):
    """No engine.rules and no rules/ beside the package: the scenario is not blamed; the
    command says internal error, exit 3, one line, no traceback."""
    clone = _copy_tree(tmp_path, with_rules=False)
    r = _python_without_site(clone, "-m", "engine.cli", "run", "scenarios/member-notice.yaml")
    assert (r.returncode, r.stdout) == (3, "")
    assert r.stderr == "convention: internal error: ModuleNotFoundError: No module named 'engine.rules'\n"
    r = _python_without_site(clone, "-m", "engine.present.catalogue_doc", "cdg62-demat")
    assert (r.returncode, r.stdout) == (3, "")
    assert r.stderr == "catalogue_doc: internal error: ModuleNotFoundError: No module named 'engine.rules'\n"
    r = _python_without_site(clone, "-c", API_EXAMPLE)
    assert r.returncode == 1 and r.stderr.splitlines()[-1] == \
        "ModuleNotFoundError: No module named 'engine.rules'"  # not a ScenarioError on the file
    r = _python_without_site(clone, "-m", "engine.cli", "batch", "scenarios/member-notice.yaml")
    assert r.returncode == 2
    assert "scenarios/member-notice.yaml:0: internal error: ModuleNotFoundError" in r.stdout


def test_catalogue_doc_usage(capsys):
    assert catalogue_doc.main(["--help"]) == 0
    assert capsys.readouterr().out == catalogue_doc.USAGE
    assert catalogue_doc.main(["--nope"]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m engine.present.catalogue_doc [ID|PATH]")
    assert catalogue_doc.main(["a", "b"]) == 2


@pytest.mark.slow
def test_a_wheel_install_runs_from_the_clone_root_and_from_anywhere(tmp_path):
    """The real thing: `pip install .` (not editable) into a fresh venv, then the docs' Python
    example from the clone's root and `convention run` from /."""
    src = tmp_path / "src"  # a copy, so that the build's folders stay out of the checkout
    for name in ("engine", "rules"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", str(src)],
                       capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run([str(bindir / "python"), "-c", API_EXAMPLE], cwd=ROOT, capture_output=True,
                       text=True, env=env, timeout=120)
    assert (r.returncode, r.stdout) == (0, "Ville de Calais 2027-05-10\n"), r.stderr
    r = subprocess.run([str(bindir / "python"), "-m", "engine.present.catalogue_doc", "--help"], cwd=ROOT,
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("usage:"), r.stderr
    r = subprocess.run([str(bindir / "convention"), "run", PDC], cwd="/", capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("Département du Pas-de-Calais — cdg62-demat"), r.stderr
    r = subprocess.run([str(bindir / "python"), "-c",
                        "import engine.conventions.rulesfile as f; print(f.shipped_ids(), f._shipped_root())"],
                       cwd="/", capture_output=True, text=True, env=env, timeout=120)
    assert r.stdout.startswith("('cdg62-assurance', 'cdg62-demat', 'cdg62-medecine') ")
    assert "site-packages" in r.stdout


# ------------------------------------------------------------------ 6. the cents of rounded calls

def test_state_explains_calls_that_miss_the_annual_amount(capsys, tmp_path):
    """Four quarters of 4908.26 are 1227.065 each, rounded to 1227.07: 4908.28 in all."""
    path = write(tmp_path, "q.yaml", "scenario: 1\nconvention: cdg62-medecine\nname: Q\nstart: 2026-01-01\n"
                                     "horizon: 2026-12-31\npayroll: {2025: \"1487350.00\"}\nevents: []\n")
    code, out, _ = main(capsys, "state", path, "--on", "2026-12-31")
    assert code == 0
    assert out.splitlines()[1:3] == [
        "2026: due 4908.28, paid 0.00, balance 4908.28",
        "2026: each of the 4 calls is rounded to the cent on its own: 4 × 1227.07 = 4908.28, "
        "0.02 more than the annual amount 4908.26"]
    code, out, _ = main(capsys, "state", path, "--on", "2026-12-31", "--lang", "fr")
    assert out.splitlines()[2] == (
        "2026 : chacun des 4 appels est arrondi au centime : 4 × 1\u202f227,07\xa0€ = "
        "4\u202f908,28\xa0€, soit 0,02\xa0€ de plus que le montant annuel de 4\u202f908,26\xa0€")
    # before the fourth call, nothing to explain yet
    code, out, _ = main(capsys, "state", path, "--on", "2026-09-30")
    assert "rounded" not in out


def test_the_note_after_a_correction(capsys):
    """medecine-rate-change: the 2027 calls, Q1 corrected to the 2026 payroll, are 4 × 1361.55
    against 5446.19."""
    code, out, _ = main(capsys, "state", RATE, "--on", "2027-12-31")
    assert "2027: each of the 4 calls is rounded to the cent on its own: 4 × 1361.55 = 5446.20, " \
           "0.01 more than the annual amount 5446.19" in out.splitlines()


@pytest.mark.parametrize("path,on", [(PDC, "2027-12-31"), (str(SCEN / "medecine-worked-example.yaml"), "2026-12-31"),
                                     (RATE, "2026-12-31")])
def test_no_note_when_there_is_nothing_to_explain(capsys, path, on):
    """A yearly call; a year joined mid-way (its calls are not the whole year); half a year."""
    code, out, _ = main(capsys, "state", path, "--on", on)
    assert code == 0 and "rounded" not in out


def test_the_report_explains_the_cents():
    s = engine.load_scenario(RATE)
    t = engine.replay(s, until=dt.date(2027, 12, 31))
    page = report(t, lang="en")
    assert ('<p class="note rounding" data-year="2027">2027: each of the 4 calls is rounded to the '
            'cent on its own: 4 × 1361.55 = 5446.20, 0.01 more than the annual amount 5446.19</p>') in page
    assert page.count('class="note rounding"') == 1
    page = report(t, lang="fr")
    assert ("2027 : chacun des 4 appels est arrondi au centime : 4 × 1\u202f361,55\xa0€ = "
            "5\u202f446,20\xa0€") in page
    # up to its horizon (2027-06-30) the scenario has half of 2027: nothing to explain
    assert 'class="note rounding"' not in report(engine.replay(s), lang="en")


# ------------------------------------------------------------------ 7. install notes

def test_the_readme_says_how_to_install_on_windows_and_macos():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("xcode-select --install", "Microsoft C++ Build Tools", "py -3.11 -m venv .venv",
                   r".venv\Scripts\pip install .", "apt-get install build-essential"):
        assert needle in text, needle
