"""A deliberately naive reference model of SPEC sections 2 to 5 (convention `cdg62-demat`).

It shares no code with `engine/`: it is written from /work/shared/SPEC.md and docs/semantics.md
alone, as a plain day-by-day loop (phases (a) to (g) of SPEC 5.12), to be compared with the real
engine in a differential test. `simulate(doc, until)` takes a scenario document as
`yaml.safe_load` returns it (assumed valid) and returns the SPEC section 6 timeline reduced to plain
data: periods, termination, unallocated, contributions, entries (date, kind), diagnostics
(date, code).

Choices made here where SPEC and docs/semantics.md are silent (the simplest reading each time):

 1. Events dated before the start are replayed on their own dates (the loop starts at the earliest
    event): phases (c) and (f) only; nothing is called before the start, so a payment made then is
    `unallocated` until the first call. `periods` still begin on the start day.
 2. Allocation is a pure function of all money received: once any year is called, everything is
    allocated, so the top-level `unallocated` is non-zero only when no year has been called yet.
 3. Parameters of a day = defaults, then overrides, then the amendments LEARNED so far (event date
    <= the processing day) whose `effective` date is <= that day, in order (effective, date, file
    order). A call's figures are recomputed with the parameters of its call date as known now
    (so a late amendment corrects it); the band basis year, the stand-in year and the agents count
    are frozen on the call date.
 4. A notice's notification date N is computed with the parameters of the event's date; everything
    else about the notice (period, effect, within_initial_term, immediate_on_default, ...) uses the
    parameters of N.
 5. `missing_recipient: warn` with no usable receipt at all: the notice has no effect (there is no
    date to count from); `notice_missing_recipient` is still given. Receipts from parties that are
    not required recipients are ignored. A receipt `{presented: D}` without `delivered`/`unclaimed`
    counts from D.
 6. `reason: non_payment` is only looked at on a cdg notice. A cdg non_payment notice while the
    member is not in default at N: `non_payment_unfounded` (whatever `immediate_on_default` says);
    in default with `immediate_on_default: false`: normal period, no diagnostic.
 7. The expiry (renewal none, or periodic renewals used up) is not a notice: a notice whose last
    day equals the expiry's last day is accepted and rules (by: member/cdg); only a later last day
    is `notice_superseded`. `at_period_end` with no period ending on or after N + P leaves the last
    day unchanged (so it is then after the expiry and superseded).
 8. When a newcomer displaces the ruling notice, the entries are `termination_scheduled` (newcomer)
    then `notice_superseded` (the displaced one).
 9. A notice whose last day is already past when processed: `termination_scheduled` and
    `terminated` in phase (f) that day; its `contribution_adjusted` / `documents_available` come in
    phase (g) of that day, like those of a last day that is today.
10. On the last day (or on the day a past last day is learned), phase (g): every called year wholly
    after the last day gets covered_days 0 (due 0), whatever `refund_unused` says; the last day's
    year is cut to the days up to the last day only when `refund_unused` is true and `prorata` is
    `days` (parameters of the last day).
11. `termination` in the output is the termination known at the horizon, whether or not its last
    day has passed by then: the ruling notice, or else the expiry (even if after the horizon).
12. `notice` in `periods` (hindsight) is true from the earliest N of the notices that were ever
    accepted (termination_scheduled) to the final last day, when the final termination is a notice.
13. `ambiguous_boundary`: one diagnostic per ambiguous dimension (count on a listed boundary, agents
    on a listed value), comparing ANNUAL amounts; "the other reading" of a count c is the band of
    c + 1, of an agents count a the column of a + 1. Checked on the call date, and again for the
    count only when a consultations event changes the count a called year's band is read from.
14. Events after termination other than payments, consultation counts and dispute steps (agents,
    amendments, notices, signatures) give `event_after_termination` and are otherwise ignored (no
    entry). "After termination" = the `terminated`/`expired` entry has already been produced.
15. Disputes: `referred` gives `amicable_step_skipped` unless an `opened` step came earlier and no
    `referred` since it (a new dispute needs a new `opened`).
16. `event_beyond_horizon` is dated on the event's own date and listed after the replay.
17. Diagnostics that mirror decisions (`notice_refused`, `notice_superseded`) are given both as an
    entry and as a diagnostic (docs/semantics.md). `payment_overdue` is an entry only.
18. A year's increase is due `payment_term` (parameters of the adjustment day) after the
    adjustment; a decrease removes the year's most recently created amounts first.
19. Standing keeps being computed after termination (unpaid contributions remain owed), so a
    terminated convention may still change standing in `periods`.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import holidays
from dateutil.relativedelta import relativedelta

ONE_DAY = dt.timedelta(days=1)
CENT = Decimal("0.01")
ZERO = Decimal("0")

DEFAULTS = {
    "term": {
        "initial": "P3Y",
        "renewal": "indefinite",
        "renewal_period": "P3Y",
        "max_renewals": None,
    },
    "notice": {
        "member": "P2M",
        "cdg": "P6M",
        "recipients": {"member": ["cdg", "archives"], "cdg": ["member"]},
        "effect": "after_period",
        "runs_from": "last_recipient",
        "missing_recipient": "warn",
        "unclaimed": "first_presentation",
        "extend_to_working_day": False,
        "within_initial_term": "allowed",
        "immediate_on_default": True,
    },
    "contribution": {
        "call": "fiscal_year_start",
        "payment_term": "P30D",
        "prorata": "days",
        "band_basis": "previous_year",
        "refund_unused": True,
        "grid": {
            "band_max": [49, 150, 250, 350],
            "agents_max_small": 350,
            "small": ["0.00", "0.00", "0.00", "0.00", "0.00"],
            "large": ["250.00", "500.00", "1000.00", "2000.00", "4000.00"],
            "ambiguous_consultations": [150, 250],
            "ambiguous_agents": [350],
        },
    },
}


# ----------------------------------------------------------------------------- small helpers

_ISO = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_WORDS = re.compile(r"^(\d+)\s*(year|month|week|day)s?$")


def parse_duration(text) -> relativedelta:
    text = str(text).strip()
    m = _ISO.match(text)
    if m and text != "P":
        y, mo, w, d = (int(g) if g else 0 for g in m.groups())
        return relativedelta(years=y, months=mo, days=7 * w + d)
    m = _WORDS.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return {
            "year": relativedelta(years=n),
            "month": relativedelta(months=n),
            "week": relativedelta(days=7 * n),
            "day": relativedelta(days=n),
        }[unit]
    raise ValueError(f"bad duration {text!r}")


def to_money(x) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        return Decimal(str(x))
    return Decimal(str(x).strip())


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(x: Decimal) -> str:
    q = cents(x)
    if q == 0:
        return "0.00"
    return f"{q:.2f}"


def to_date(x) -> dt.date:
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    return dt.date.fromisoformat(str(x))


def deep_merge(base: dict, patch: dict) -> dict:
    """Mappings merge, lists and scalars replace. Returns a new dict."""
    out = copy.deepcopy(base)
    for k, v in (patch or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def year_days(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


_HOLIDAYS: dict[int, set] = {}


def is_working_day(d: dt.date) -> bool:
    if d.weekday() >= 5:
        return False
    if d.year not in _HOLIDAYS:
        _HOLIDAYS[d.year] = set(holidays.France(years=d.year).keys())
    return d not in _HOLIDAYS[d.year]


def band_of(count: int, grid: dict) -> int:
    for i, upper in enumerate(grid["band_max"]):
        if count <= upper:
            return i + 1
    return len(grid["band_max"]) + 1


def column_of(agents: int, grid: dict) -> str:
    return "small" if agents <= grid["agents_max_small"] else "large"


def annual_of(grid: dict, column: str, band: int) -> Decimal:
    return to_money(grid[column][band - 1])


# ----------------------------------------------------------------------------- the model

PHASE_C = ("agents", "consultations", "amendment")


class _Sim:
    def __init__(self, doc: dict, until: dt.date | None):
        self.doc = doc
        self.start = to_date(doc["start"])
        self.base = deep_merge(DEFAULTS, doc.get("overrides") or {})
        term = self.base["term"]
        self.initial = parse_duration(term["initial"])
        self.renewal = term["renewal"]
        self.renewal_period = parse_duration(term.get("renewal_period") or "P3Y")
        self.max_renewals = term.get("max_renewals")
        self.E0 = self.period_end(0)
        if self.renewal == "none":
            self.expiry = self.E0
        elif self.renewal == "periodic" and self.max_renewals is not None:
            self.expiry = self.period_end(int(self.max_renewals))
        else:
            self.expiry = None

        events = []
        for i, ev in enumerate(doc.get("events") or []):
            ev = dict(ev)
            ev["date"] = to_date(ev["date"])
            events.append((i, ev))
        events.sort(key=lambda ie: ie[1]["date"])  # stable: file order within a date

        if until is not None:
            self.horizon = to_date(until)
        elif doc.get("horizon") is not None:
            self.horizon = to_date(doc["horizon"])
        else:
            last = max([self.E0] + [ev["date"] for _, ev in events])
            self.horizon = dt.date(last.year + 1, 12, 31)

        self.events = [(i, ev) for i, ev in events if ev["date"] <= self.horizon]
        self.beyond = [(i, ev) for i, ev in events if ev["date"] > self.horizon]
        self.by_day: dict[dt.date, list] = {}
        for i, ev in self.events:
            self.by_day.setdefault(ev["date"], []).append((i, ev))

        # renewal days: day after the end of each period that is followed by a renewal
        self.renewal_days: dict[dt.date, int] = {}
        if self.renewal == "indefinite":
            self.renewal_days[self.E0 + ONE_DAY] = 1
        elif self.renewal == "periodic":
            k = 1
            while self.max_renewals is None or k <= int(self.max_renewals):
                day = self.period_end(k - 1) + ONE_DAY
                if day > self.horizon:
                    break
                self.renewal_days[day] = k
                k += 1

        # knowledge
        self.counts: dict[int, int] = {int(y): int(c) for y, c in (doc.get("consultations") or {}).items()}
        self.agents = int((doc.get("member") or {}).get("agents", 0))
        self.amendments: list[tuple] = []  # learned: (effective, date, file index, set)
        self._params_cache: dict = {}

        # contributions and money
        self.contribs: dict[int, dict] = {}
        self.received = ZERO
        self.unallocated = ZERO
        self.uncovered_dues: list[dt.date] = []
        self.in_default = False
        self.standing: dict[dt.date, bool] = {}

        # termination
        self.ruling = None  # the ruling notice: {by, N, L, immediate, key}
        self.accepted_ns: list[dt.date] = []
        self.notice_seq = 0
        self.terminated = False
        self.last_day_done = False
        self.dispute_open = False

        self.entries: list[dict] = []
        self.diags: list[dict] = []

    # -- basics ------------------------------------------------------------------------------
    def period_end(self, k: int) -> dt.date:
        return self.start + (self.initial + self.renewal_period * k) - ONE_DAY

    def entry(self, d, kind):
        self.entries.append({"date": d.isoformat(), "kind": kind})

    def diag(self, d, code):
        self.diags.append({"date": d.isoformat(), "code": code})

    def params(self, day: dt.date) -> dict:
        key = (day, len(self.amendments))
        if key not in self._params_cache:
            p = self.base
            for eff, _date, _i, patch in sorted(self.amendments, key=lambda a: a[:3]):
                if eff <= day:
                    p = deep_merge(p, patch)
            self._params_cache[key] = p
        return self._params_cache[key]

    def known_last_day(self):
        if self.ruling is not None:
            return self.ruling["L"]
        return self.expiry

    # -- money -------------------------------------------------------------------------------
    def allocate(self):
        years = sorted(self.contribs)
        rest = self.received
        for y in years:
            rec = self.contribs[y]
            rec["paid"] = min(rec["due"], rest)
            rest -= rec["paid"]
        if years:
            self.contribs[years[-1]]["paid"] += rest
            self.unallocated = ZERO
        else:
            self.unallocated = rest
        self.uncovered_dues = []
        for y in years:
            rec = self.contribs[y]
            left = rec["paid"]
            for amount, due_date in sorted(rec["amounts"], key=lambda a: a[1]):
                cover = min(amount, left)
                left -= cover
                if amount - cover > 0:
                    self.uncovered_dues.append(due_date)

    def overdue(self, d) -> bool:
        return any(due_date < d for due_date in self.uncovered_dues)

    def check_cured(self, d):
        if self.in_default and not self.overdue(d):
            self.in_default = False
            self.entry(d, "default_cured")

    # -- contributions -----------------------------------------------------------------------
    def used_count(self, rec):
        """(year, count) the band of a called year is read from now, or None."""
        if rec["basis_year"] in self.counts:
            return (rec["basis_year"], self.counts[rec["basis_year"]])
        if rec["standin"] is not None:
            return (rec["standin"], self.counts[rec["standin"]])
        return None

    def figures(self, rec):
        p = self.params(rec["called_on"])
        grid = p["contribution"]["grid"]
        used = self.used_count(rec)
        band = band_of(used[1], grid) if used else 1
        column = column_of(rec["agents"], grid)
        annual = annual_of(grid, column, band)
        if p["contribution"]["prorata"] == "none":
            due = annual if rec["covered_days"] > 0 else ZERO
        else:
            due = cents(annual * rec["covered_days"] / rec["year_days"])
        return used, band, column, annual, due, grid

    def ambiguity(self, d, rec, grid, band, column, annual, counts=True, agents=True):
        used = self.used_count(rec)
        if counts and used is not None and used[1] in grid.get("ambiguous_consultations", []):
            other = band_of(used[1] + 1, grid)
            if annual_of(grid, column, other) != annual:
                self.diag(d, "ambiguous_boundary")
        if agents and rec["agents"] in grid.get("ambiguous_agents", []):
            other_col = column_of(rec["agents"] + 1, grid)
            if annual_of(grid, other_col, band) != annual:
                self.diag(d, "ambiguous_boundary")

    def call(self, d):
        y = d.year
        p = self.params(d)
        basis = y - 1 if p["contribution"]["band_basis"] == "previous_year" else y
        standin = None
        estimated = unknown = False
        if basis not in self.counts:
            earlier = [c for c in self.counts if c < basis]
            if earlier:
                standin = max(earlier)
                estimated = True
            else:
                unknown = True
        end = dt.date(y, 12, 31)
        known = self.known_last_day()
        if known is not None and known < end:
            end = known
        rec = {
            "year": y, "called_on": d, "basis_year": basis, "standin": standin,
            "agents": self.agents, "covered_days": (end - d).days + 1, "year_days": year_days(y),
            "paid": ZERO,
        }
        used, band, column, annual, due, grid = self.figures(rec)
        rec.update(used=used, band=band, column=column, annual=annual, due=due,
                   amounts=[[due, d + parse_duration(p["contribution"]["payment_term"])]])
        self.contribs[y] = rec
        self.entry(d, "contribution_called")
        if estimated:
            self.diag(d, "volume_estimated")
        if unknown:
            self.diag(d, "volume_unknown")
        self.ambiguity(d, rec, grid, band, column, annual)
        self.allocate()

    def refresh(self, d, count_event=False):
        """Recompute every called year's figures; a changed due gives contribution_adjusted."""
        lowered = False
        for y in sorted(self.contribs):
            rec = self.contribs[y]
            used, band, column, annual, due, grid = self.figures(rec)
            if count_event and used != rec["used"]:
                rec["used"] = used
                self.ambiguity(d, rec, grid, band, column, annual, agents=False)
            rec.update(used=used, band=band, column=column, annual=annual)
            if due != rec["due"]:
                delta = due - rec["due"]
                rec["due"] = due
                if delta > 0:
                    term = parse_duration(self.params(d)["contribution"]["payment_term"])
                    rec["amounts"].append([delta, d + term])
                else:
                    lowered = True
                    cut = -delta
                    for amt in reversed(rec["amounts"]):
                        take = min(amt[0], cut)
                        amt[0] -= take
                        cut -= take
                    rec["amounts"] = [a for a in rec["amounts"] if a[0] > 0] or [[ZERO, rec["amounts"][0][1]]]
                self.entry(d, "contribution_adjusted")
        self.allocate()
        if lowered:
            self.check_cured(d)

    # -- notices -----------------------------------------------------------------------------
    def notification(self, d, ev):
        p = self.params(d)["notice"]
        dates, missing = [], False
        for r in p["recipients"][ev["by"]]:
            rc = (ev.get("received") or {}).get(r)
            if rc is None:
                missing = True
            elif isinstance(rc, dict):
                if rc.get("delivered") is not None:
                    dates.append(to_date(rc["delivered"]))
                elif rc.get("unclaimed"):
                    if p["unclaimed"] == "first_presentation":
                        dates.append(to_date(rc["presented"]))
                    else:
                        missing = True
                else:
                    dates.append(to_date(rc["presented"]))
            else:
                dates.append(to_date(rc))
        if missing:
            self.diag(d, "notice_missing_recipient")
            if p["missing_recipient"] == "void":
                return None
        if not dates:
            return None
        return max(dates) if p["runs_from"] == "last_recipient" else min(dates)

    def period_end_on_or_after(self, day):
        if self.renewal != "periodic":
            return self.E0 if self.E0 >= day else day
        k = 0
        while True:
            e = self.period_end(k)
            if e >= day:
                return e
            if self.max_renewals is not None and k >= int(self.max_renewals):
                return day
            k += 1

    def notice(self, d, ev):
        if self.terminated:
            self.diag(d, "event_after_termination")
            return
        by = ev["by"]
        N = self.notification(d, ev)
        if N is None:
            return
        if N < self.start:
            N = self.start
            self.diag(d, "notice_before_start")
        p = self.params(N)["notice"]
        immediate = False
        if by == "cdg" and ev.get("reason") == "non_payment":
            default_at_n = self.in_default if N == d else self.standing.get(N, False)
            if not default_at_n:
                self.diag(d, "non_payment_unfounded")
            elif p["immediate_on_default"]:
                immediate = True
        if immediate:
            L = N
        else:
            L = N + parse_duration(p[by])
            if p["extend_to_working_day"]:
                while not is_working_day(L):
                    L += ONE_DAY
            if p["effect"] == "at_period_end":
                L = self.period_end_on_or_after(L)
            if L < self.E0:
                mode = p["within_initial_term"]
                if mode == "postponed":
                    L = self.E0
                elif mode == "refused":
                    self.entry(d, "notice_refused")
                    self.diag(d, "notice_refused")
                    return
        if self.expiry is not None and L > self.expiry:
            self.entry(d, "notice_superseded")
            self.diag(d, "notice_superseded")
            return
        self.notice_seq += 1
        new = {"by": by, "N": N, "L": L, "immediate": immediate, "key": (L, N, self.notice_seq)}
        if self.ruling is None or new["key"] < self.ruling["key"]:
            displaced = self.ruling is not None
            self.ruling = new
            self.accepted_ns.append(N)
            self.entry(d, "termination_scheduled")
            if displaced:
                self.entry(d, "notice_superseded")
                self.diag(d, "notice_superseded")
            if L < d:  # learned after its last day: terminated today
                self.terminated = True
                self.entry(d, "terminated")
        else:
            self.entry(d, "notice_superseded")
            self.diag(d, "notice_superseded")

    # -- events ------------------------------------------------------------------------------
    def phase_c(self, d, ev, idx):
        t = ev["type"]
        if t == "consultations":
            self.counts[int(ev["year"])] = int(ev["count"])
            self.entry(d, "consultations_recorded")
            self.refresh(d, count_event=True)
            return
        if self.terminated:
            self.diag(d, "event_after_termination")
            return
        if t == "agents":
            self.agents = int(ev["count"])
            self.entry(d, "agents_recorded")
        elif t == "amendment":
            patch = copy.deepcopy(ev.get("set") or {})
            if "term" in patch:
                patch.pop("term")
                self.diag(d, "amendment_ineffective")
            self.amendments.append((to_date(ev["effective"]), d, idx, patch))
            self.entry(d, "amendment_recorded")
            self.refresh(d)

    def phase_f(self, d, ev):
        t = ev["type"]
        if t == "payment":
            self.received += to_money(ev["amount"])
            self.entry(d, "payment_received")
            self.allocate()
            self.check_cured(d)
        elif t == "dispute":
            step = ev["step"]
            if step == "referred":
                if not self.dispute_open:
                    self.diag(d, "amicable_step_skipped")
                self.dispute_open = False
            elif step == "opened":
                self.dispute_open = True
            self.entry(d, f"dispute_{step}")
        elif t == "signed":
            if self.terminated:
                self.diag(d, "event_after_termination")
            else:
                self.entry(d, "signed")
        elif t == "notice":
            self.notice(d, ev)

    def phase_g(self, d):
        L = self.known_last_day()
        if L is None or L > d or self.last_day_done:
            return
        self.last_day_done = True
        p = self.params(L)["contribution"]
        for y, rec in self.contribs.items():
            if y > L.year:
                rec["covered_days"] = 0
            elif y == L.year and p["refund_unused"] and p["prorata"] == "days":
                first = max(dt.date(y, 1, 1), self.start)
                rec["covered_days"] = (L - first).days + 1
        self.refresh(d)
        if self.ruling is not None and self.ruling["by"] == "cdg":
            self.entry(d, "documents_available")

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> dict:
        first = min([self.start] + [ev["date"] for _, ev in self.events])
        d = first
        while d <= self.horizon:
            todays = self.by_day.get(d, [])
            # (a)
            if d == self.start:
                self.entry(d, "started")
            L = self.known_last_day()
            if not self.terminated and L is not None and d == L + ONE_DAY:
                self.terminated = True
                by_expiry = self.ruling is None
                self.entry(d, "expired" if by_expiry else "terminated")
            # (b)
            if not self.terminated and d in self.renewal_days:
                self.entry(d, "renewed")
            # (c)
            for idx, ev in todays:
                if ev["type"] in PHASE_C:
                    self.phase_c(d, ev, idx)
            # (d)
            if (d >= self.start and not self.terminated and d.year not in self.contribs
                    and (d == self.start or (d.month == 1 and d.day == 1))):
                self.call(d)
            # (e)
            if not self.in_default and self.overdue(d):
                self.in_default = True
                self.entry(d, "payment_overdue")
            # (f)
            for idx, ev in todays:
                if ev["type"] not in PHASE_C:
                    self.phase_f(d, ev)
            # (g)
            self.phase_g(d)
            if d >= self.start:
                self.standing[d] = self.in_default
            d += ONE_DAY
        for _, ev in self.beyond:
            self.diag(ev["date"], "event_beyond_horizon")
        return self.output()

    # -- output ------------------------------------------------------------------------------
    def final_termination(self):
        if self.ruling is not None:
            r = self.ruling
            return {"by": r["by"], "notified": r["N"].isoformat(), "last_day": r["L"].isoformat(),
                    "immediate": r["immediate"]}, r["L"]
        if self.expiry is not None:
            return {"by": "expiry", "notified": None, "last_day": self.expiry.isoformat(),
                    "immediate": False}, self.expiry
        return None, None

    def output(self) -> dict:
        termination, last = self.final_termination()
        notice_from = min(self.accepted_ns) if self.ruling is not None else None
        periods = []
        d = self.start
        while d <= self.horizon:
            if last is not None and d > last:
                state = "terminated"
            elif d <= self.E0:
                state = "initial_term"
            else:
                state = "renewed"
            notice = notice_from is not None and notice_from <= d <= last
            standing = "in_default" if self.standing[d] else "current"
            key = (state, standing, notice)
            if periods and periods[-1]["_key"] == key:
                periods[-1]["to"] = d
            else:
                periods.append({"_key": key, "from": d, "to": d})
            d += ONE_DAY
        out_periods = []
        for i, p in enumerate(periods):
            state, standing, notice = p["_key"]
            to = p["to"].isoformat()
            if i == len(periods) - 1 and state == "terminated":
                to = None
            out_periods.append({"from": p["from"].isoformat(), "to": to, "state": state,
                                "standing": standing, "notice": notice})
        contributions = []
        for y in sorted(self.contribs):
            rec = self.contribs[y]
            contributions.append({
                "year": y, "band": rec["band"], "column": rec["column"],
                "annual": fmt(rec["annual"]), "covered_days": rec["covered_days"],
                "year_days": rec["year_days"], "due": fmt(rec["due"]), "paid": fmt(rec["paid"]),
                "balance": fmt(rec["due"] - rec["paid"]), "called_on": rec["called_on"].isoformat(),
            })
        return {
            "start": self.start.isoformat(),
            "horizon": self.horizon.isoformat(),
            "periods": out_periods,
            "termination": termination,
            "unallocated": fmt(self.unallocated),
            "contributions": contributions,
            "entries": self.entries,
            "diagnostics": self.diags,
        }


def simulate(doc: dict, until: dt.date | None = None) -> dict:
    """Replay a (valid) scenario document day by day; return the timeline as plain data."""
    return _Sim(doc, until).run()
