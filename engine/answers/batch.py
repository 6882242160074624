"""Many scenarios, one summary row each (docs/spec.md 7, `convention batch`).

Each file is loaded and replayed on its own (in this process, or in a pool of processes); an
invalid file gives an error row and the others still run. Rows come in the order of the sorted
file list, whatever the completion order. The as-of date defaults to each scenario's horizon
(deterministic, unlike today's date); with an as-of date the scenario is replayed up to it, so
that every field is what was known on that day (a notice learned later is not shown; before the
start: `not_started`, no termination, no money).

The CSV comes in two forms: as it is (commas, ISO dates, `1000.00`, `true`), or with
``lang="fr"`` as a French spreadsheet reads it: a UTF-8 byte order mark, semicolons, French
headers and words, `oui`/`non`, dates as 31/12/2026 and amounts with a decimal comma
(`-321,92`, no thousands separator, no currency sign, so that they are numbers). JSON is never
translated.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import io
import json
import os
import pathlib
import re
from typing import Iterable, Sequence

from ..errors import ScenarioError
from ..present.i18n import LABELS, SCENARIO_ERRORS_FR, translated
from ..core.money import fmt
from ..conventions.rulesfile import is_rules_file

COLUMNS = ("file", "status", "name", "as_of", "state", "standing", "notice", "termination_by",
           "last_day", "year", "due", "paid", "balance", "error")


def scenario_files(paths: Sequence[str]) -> list[str]:
    """Files as given, and the *.yaml / *.yml files under folders that are not rules files;
    sorted, without duplicates."""
    out: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                out.update(p for p in (os.path.join(root, f) for f in files
                                       if f.endswith((".yaml", ".yml")))
                           if not is_rules_file(p))
        else:
            out.add(path)
    return sorted(out)


def _row(path: str, **values) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(file=path, **values)
    return row


def summarise(path: str, as_of: dt.date | None = None, lang: str = "en") -> dict:
    """One row for one file; never raises for bad input (an error row instead). With
    ``lang="fr"`` the row also holds the French name of the party that ended the convention
    (``_termination_by_label``, for :func:`to_csv`; not a column)."""
    from ..api import load_scenario, replay
    from ..present.render import word

    try:
        s = load_scenario(pathlib.Path(path), filename=path)  # always a file, never YAML text
        if as_of is not None and as_of < s.start:
            # Not in force yet: nothing happened, nothing was called, whatever the file holds
            # for later (a replay cannot stop before the start).
            return _row(path, status="ok", name=s.name, as_of=as_of.isoformat(), state="not_started",
                        notice=False, year=as_of.year)
        # As known on the as-of date: the replay stops there.
        t = replay(s, until=as_of)
        on = as_of or t.horizon
    except ScenarioError as e:
        return _row(path, status="error", error=str(e))
    except Exception as e:  # a bug of ours: still one row, one line
        return _row(path, status="error", error=f"{path}:0: internal error: {type(e).__name__}: {e}")
    p = t.period_on(on)
    r = t.termination
    c = t.year_total(on.year)
    row = _row(
        path, status="ok", name=s.name, as_of=on.isoformat(),
        state=p.state if p else "not_started", standing=p.standing if p else None,
        notice=bool(p and p.notice),
        termination_by=r.by if r else None, last_day=r.last_day.isoformat() if r else None,
        year=on.year, due=fmt(c.due) if c else None, paid=fmt(c.paid) if c else None,
        balance=fmt(c.balance) if c else None)
    if lang == "fr" and r is not None:
        row["_termination_by_label"] = word(r.by, "fr", t)
    return row


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_DATES = ("as_of", "last_day")
_AMOUNTS = ("due", "paid", "balance")
_WORDS = ("state", "standing")


def _cell_fr(key: str, row: dict) -> str:
    """A cell as a French spreadsheet reads it (a number stays a number, a date a date)."""
    from ..present.render import word

    v = row[key]
    if v is None:
        return ""
    if isinstance(v, bool):
        return LABELS["fr"]["answer_yes"] if v else LABELS["fr"]["answer_no"]
    if key == "status":
        return LABELS["fr"]["batch_status"].get(v, v)
    if key in _DATES:
        return dt.date.fromisoformat(v).strftime("%d/%m/%Y")
    if key in _AMOUNTS:
        return v.replace(".", ",")  # "-321.92" -> "-321,92": no thousands separator, no €
    if key in _WORDS:
        return word(v, "fr")
    if key == "termination_by":
        return row.get("_termination_by_label") or word(v, "fr")
    if key == "error":  # FILE:LINE: message, the message in French where the catalogue has it
        m = re.match(r"(.*?:\d+: )(.*)", str(v), re.S)
        return m.group(1) + translated(m.group(2), SCENARIO_ERRORS_FR, "fr") if m else str(v)
    return str(v)


def run(paths: Sequence[str], as_of: dt.date | None = None, jobs: int = 1,
        lang: str = "en") -> list[dict]:
    files = scenario_files(paths)
    if jobs <= 1 or len(files) <= 1:
        return [summarise(f, as_of, lang) for f in files]
    workers = min(jobs, len(files))
    # Chunks of files per round trip (one file each costs more in IPC than in replay), small
    # enough that the workers finish together; map yields in submission order.
    chunk = max(1, min(64, len(files) // (workers * 8)))
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(summarise, files, [as_of] * len(files), [lang] * len(files),
                             chunksize=chunk))


def to_csv(rows: Iterable[dict], lang: str = "en") -> str:
    """The rows as CSV: as they are, or (``lang="fr"``) as a French spreadsheet reads them.
    Either way a text cell that a spreadsheet would run as a formula (a name or a file starting
    with ``=``, ``+``, ``-``, ``@``) starts with an apostrophe (:func:`engine.present.render.csv_cell`)."""
    from ..present.render import csv_cell

    buf = io.StringIO()
    if lang != "fr":
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for row in rows:
            w.writerow([csv_cell(_cell(row[k])) for k in COLUMNS])
        return buf.getvalue()
    buf.write("\ufeff")  # the byte order mark tells a spreadsheet the file is UTF-8
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow([LABELS["fr"]["batch_headers"][k] for k in COLUMNS])
    for row in rows:
        w.writerow([csv_cell(_cell_fr(k, row)) for k in COLUMNS])
    return buf.getvalue()


def to_json(rows: Iterable[dict]) -> str:
    plain = [{k: row[k] for k in COLUMNS} for row in rows]
    return json.dumps(plain, ensure_ascii=False, indent=2) + "\n"
