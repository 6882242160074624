"""Many scenarios, one summary row each (SPEC section 7, `convention batch`).

Each file is loaded and replayed on its own (in this process, or in a pool of processes); an
invalid file gives an error row and the others still run. Rows come in the order of the sorted
file list, whatever the completion order. The as-of date defaults to each scenario's horizon
(deterministic, unlike today's date); with an as-of date the scenario is replayed up to it, so
that every field is what was known on that day (a notice learned later is not shown).
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import io
import json
import os
from typing import Iterable, Sequence

from .errors import ScenarioError
from .rulesfile import is_rules_file
from .money import fmt

COLUMNS = ("file", "status", "name", "as_of", "state", "standing", "notice", "termination_by",
           "last_day", "year", "due", "paid", "balance", "error")


def scenario_files(paths: Sequence[str]) -> list[str]:
    """Files as given, and the *.yaml / *.yml files under folders that are not rules files;
    sorted, without duplicates."""
    out = set()
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


def summarise(path: str, as_of: dt.date | None = None) -> dict:
    """One row for one file; never raises for bad input (an error row instead)."""
    from .api import load_scenario, replay

    try:
        s = load_scenario(path)
        # As known on the as-of date: the replay stops there (before the start: nothing yet).
        t = replay(s, until=as_of if as_of is not None and as_of >= s.start else None)
        on = as_of or t.horizon
    except ScenarioError as e:
        return _row(path, status="error", error=str(e))
    except Exception as e:  # a bug of ours: still one row, one line
        return _row(path, status="error", error=f"{path}:0: internal error: {type(e).__name__}: {e}")
    p = t.period_on(on)
    r = t.termination
    c = t.year_total(on.year)
    return _row(
        path, status="ok", name=s.name, as_of=on.isoformat(),
        state=p.state if p else "not_started", standing=p.standing if p else None,
        notice=bool(p and p.notice),
        termination_by=r.by if r else None, last_day=r.last_day.isoformat() if r else None,
        year=on.year, due=fmt(c.due) if c else None, paid=fmt(c.paid) if c else None,
        balance=fmt(c.balance) if c else None)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def run(paths: Sequence[str], as_of: dt.date | None = None, jobs: int = 1) -> list[dict]:
    files = scenario_files(paths)
    if jobs <= 1 or len(files) <= 1:
        return [summarise(f, as_of) for f in files]
    workers = min(jobs, len(files))
    # Chunks of files per round trip (one file each costs more in IPC than in replay), small
    # enough that the workers finish together; map yields in submission order.
    chunk = max(1, min(64, len(files) // (workers * 8)))
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(summarise, files, [as_of] * len(files), chunksize=chunk))


def to_csv(rows: Iterable[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in rows:
        w.writerow([_cell(row[k]) for k in COLUMNS])
    return buf.getvalue()


def to_json(rows: Iterable[dict]) -> str:
    plain = [{k: row[k] for k in COLUMNS} for row in rows]
    return json.dumps(plain, ensure_ascii=False, indent=2) + "\n"
