"""The command line: outputs, exit statuses, errors on one line."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from engine import cli

ROOT = pathlib.Path(__file__).parent.parent
PDC = str(ROOT / "scenarios" / "pas-de-calais.yaml")


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_run_json_is_the_spec_shape(capsys):
    assert cli.main(["run", PDC, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["format", "convention", "name", "start", "horizon", "periods",
                         "termination", "unallocated", "contributions", "entries", "diagnostics"]
    assert doc["format"] == "convention-timeline/1"
    assert doc["contributions"][0]["due"] == "1000.00"
    for e in doc["entries"]:
        assert e["rule"] and e["article"]


def test_json_is_byte_identical_across_hash_seeds(tmp_path):
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = run("run", PDC, "--format", "json", env=env, cwd=str(tmp_path))
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1
    out = outs.pop()
    assert out.endswith("}\n") and "-0.00" not in out


def test_table_and_csv(capsys):
    assert cli.main(["run", PDC]) == 0
    table = capsys.readouterr().out
    assert "Periods" in table and "Contributions" in table and "Article 5" in table
    assert cli.main(["run", PDC, "--format", "csv"]) == 0
    csv_out = capsys.readouterr().out
    assert csv_out.splitlines()[0] == "date,kind,rule,article,detail"
    assert "contribution_called" in csv_out


def test_until_replaces_the_horizon(capsys):
    assert cli.main(["run", PDC, "--format", "json", "--until", "2027-06-30"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["horizon"] == "2027-06-30"
    assert doc["periods"][-1]["to"] == "2027-06-30"
    assert [c["year"] for c in doc["contributions"]] == [2026, 2027]


def test_until_before_start_is_invalid(capsys):
    assert cli.main(["run", PDC, "--until", "2020-01-01"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "before the start" in out.err and len(out.err.splitlines()) == 1


@pytest.mark.parametrize("text,line", [
    ("scenario: 1\nconvention: cdg62-demat\nname: x\nstart: 2026-02-30\nmember: {agents: 1}\nevents: []\n", 4),
    ("scenario: 1\nconvention: cdg62-demat\nname: x\nstart: 2026-01-01\nmember: {agents: 1}\nevents:\n  - {date: 2026-02-01, type: payment, amount: \"-5\"}\n", 7),
    ("scenario: 1\nconvention: nope\nname: x\nstart: 2026-01-01\nmember: {agents: 1}\nevents: []\n", 2),
])
def test_invalid_file_one_line_exit_2_nothing_on_stdout(tmp_path, text, line):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    r = run("run", str(f))
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"{f}:{line}: ")
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr


def test_missing_file_is_clean(tmp_path):
    r = run("run", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr


def test_usage_error_exit_2():
    r = run("run")
    assert r.returncode == 2 and r.stdout == ""


def test_check_counts_and_fails(tmp_path, capsys):
    assert cli.main(["check", str(ROOT / "scenarios")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("passed, 0 failed")
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(PDC).read().replace('due: "1000.00"', 'due: "999.00"', 1))
    assert cli.main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "expected 999.00, got 1000.00" in out and out.splitlines()[-1] == "0 passed, 1 failed"


def test_folders_skip_their_rules_files_silently(tmp_path, capsys):
    """docs/cli.md, "Folders": check, batch and deadlines DIR leave a folder's rules files out
    without a word; a rules file named on the command line is read as a scenario."""
    import shutil

    for name in ("dpo-rules.yaml", "dpo-scenario.yaml"):
        shutil.copy(ROOT / "docs" / "examples" / name, tmp_path / name)
    shutil.copy(ROOT / "rules" / "base.yaml", tmp_path / "base.yaml")
    assert cli.main(["check", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"ok   {tmp_path / 'dpo-scenario.yaml'}", "1 passed, 0 failed"]
    assert err == ""
    assert cli.main(["batch", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == [str(tmp_path / "dpo-scenario.yaml")]
    assert err == ""
    assert cli.main(["deadlines", str(tmp_path), "--as-of", "2026-06-01"]) == 0
    out, err = capsys.readouterr()
    assert "Saint-Exemple" in out and err == ""
    assert cli.main(["check", str(tmp_path / "dpo-rules.yaml")]) == 2
    assert "unknown key 'rules_format'" in capsys.readouterr().err


def test_rules_catalogue_lists_articles(capsys):
    assert cli.main(["rules", "cdg62-demat"]) == 0
    out = capsys.readouterr().out
    assert "art5.immediate_on_default" in out and "Article 5" in out
    assert "délai de 2 mois" in out


def test_state_on_a_date(capsys):
    assert cli.main(["state", PDC, "--on", "2029-06-01"]) == 0
    assert "renewed" in capsys.readouterr().out


def test_works_from_another_folder(tmp_path):
    r = run("run", PDC, "--format", "json", cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr


def test_check_an_invalid_file_goes_to_stderr_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: 1\nconvention: cdg62-demat\nname: x\nstart: 2026-13-01\nmember: {agents: 1}\n")
    assert cli.main(["check", str(bad), PDC]) == 2
    out = capsys.readouterr()
    assert out.err == f"{bad}:4: invalid date 2026-13-01\n"
    assert out.out.splitlines()[-1] == "1 passed, 1 failed"


def test_check_with_no_files_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("mutate,message", [
    (lambda t: t.replace("\nrules:\n", "\nrules_gone:\n"), "needs its `rules:` catalogue"),
    (lambda t: t.replace("do: record\n", "do: record_everything\n"), "unknown consequence"),
])
def test_a_broken_custom_rules_file_is_refused_at_its_line(tmp_path, mutate, message):
    rules = (ROOT / "rules" / "cdg62-demat.yaml").read_text(encoding="utf-8")
    (tmp_path / "custom.yaml").write_text(mutate(rules), encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("scenario: 1\nconvention: custom.yaml\nname: x\nstart: 2026-01-01\n"
                        "member: {agents: 1}\n", encoding="utf-8")
    r = run("run", str(scenario))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith(f"{scenario}:2: ") and message in r.stderr


def test_every_consequence_a_rules_file_may_name_is_carried_out():
    from engine.core import contract
    from engine.core.replay import HANDLERS
    assert set(HANDLERS) | {contract.TAKE} == set(contract.CONSEQUENCES)  # take: engine/core/readings.py
    assert {c.name for c in contract.CONSEQUENCES} == set(contract.CONSEQUENCE_BY_NAME)
