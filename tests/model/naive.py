"""A deliberately naive reference model of docs/spec.md sections 2 to 5 and 8 (conventions `cdg62-demat`,
`cdg62-medecine`, `cdg62-assurance`).

It shares no code with `engine/`: it is written from docs/spec.md, docs/semantics.md and the
contract of the two new conventions alone, as a plain day-by-day loop (phases (a) to (g) of docs/spec.md
5.12), to be compared with the real engine in a differential test. `simulate(doc, until)` takes a
scenario document as `yaml.safe_load` returns it (assumed valid) and returns the docs/spec.md 6
timeline reduced to plain data: periods, termination, unallocated, contributions, entries
(date, kind), diagnostics (date, code). The defaults of each convention are written below by hand,
never read from `rules/`.

Choices made here where docs/spec.md and docs/semantics.md are silent (the simplest reading each time):

 1. Events dated before the start are replayed on their own dates (the loop starts at the earliest
    event): phases (c) and (f) only; nothing is called before the start, so a payment made then is
    `unallocated` until the first call. `periods` still begin on the start day.
 2. Allocation is a pure function of all money received: once any year is called, everything is
    allocated, so the top-level `unallocated` is non-zero only when no year has been called yet.
    Amounts are filled in due-date order (docs/spec.md 5.5), a tie going to the earlier called
    period (for quarterly and monthly calls "the older year" is read as the earlier period),
    then to the amount created first. A payment `for: YEAR` fills that year's amounts first
    when some period of YEAR is called on its date (else `payment_for_uncalled_year`, and it
    names no year); its rest joins the other money. After termination a payment still names
    its year.
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
10. On the last day (or on the day a past last day is learned), phase (g): every called period
    wholly after the last day gets covered_days 0 (due 0), whatever `refund_unused` says; the
    period containing the last day is cut to the days up to the last day only when
    `refund_unused` is true and `prorata` is `days` (parameters of the last day).
11. `termination` in the output is the termination known at the horizon, whether or not its last
    day has passed by then: the ruling notice, or else the expiry (even if after the horizon).
12. `notice` in `periods` (hindsight) is true from the earliest N of the notices that were ever
    accepted (termination_scheduled) to the final last day, when the final termination is a notice.
13. `ambiguous_boundary`: one diagnostic per ambiguous dimension (count on a listed boundary, agents
    on a listed value), comparing ANNUAL amounts; "the other reading" of a count c is the band of
    c + 1, of an agents count a the column of a + 1. Checked on the call date, and again for the
    count only when a consultations event changes the count a called year's band is read from.
14. Events after termination other than payments, per-year inputs (consultations, payroll,
    insured_base) and dispute steps (agents, amendments, notices, signatures) give
    `event_after_termination` and are otherwise ignored (no entry). "After termination" = the
    `terminated`/`expired` entry has already been produced.
15. Disputes: `referred` gives `amicable_step_skipped` unless an `opened` step came earlier and no
    `referred` since it (a new dispute needs a new `opened`).
16. `event_beyond_horizon` is dated on the event's own date and listed after the replay.
17. Diagnostics that mirror decisions (`notice_refused`, `notice_superseded`) are given both as an
    entry and as a diagnostic (docs/semantics.md). `payment_overdue` is an entry only.
18. A call's increase is due `payment_term` (parameters of the adjustment day) after the
    adjustment; a decrease removes the call's most recently created amounts first.
19. Standing keeps being computed after termination (unpaid contributions remain owed), so a
    terminated convention may still change standing in `periods`.

The two conventions of docs/spec.md 8.2 (`cdg62-medecine`, `cdg62-assurance`), where docs/spec.md 8 and the
contract leave a choice:

20. Calls are keyed by the first day of the calendar period called (`from`); money goes to them in
    order of `from`. A period is called on its first day, or on the start day for the first one;
    its covered days run from the call date to the period's end or to the last day known on the
    call date (ruling notice, else the expiry). For cdg62-demat the period is the calendar year.
21. Basis year: `previous_year` = (calendar year of the called period) - 1, `same_year` = that year.
    Stand-in: the latest year BEFORE the basis year whose value is known on the call date (so for
    medecine a value of the call's own year never stands in). The value used is the basis year's
    as known now if any, else the stand-in year's as known now (a revision of the stand-in year
    corrects the call), else none; a value of any other year never changes a call, not even one
    called with no basis at all (it stays on the minimum / on 0.00 until the basis year's own
    value arrives).
22. A dated parameter (`rate`) is `{values: {DATE: VALUE}}` (or a bare `{DATE: VALUE}` mapping, or a
    scalar); the value in force on a day is the one with the latest date on or before it, and on a
    day before every date, the earliest one ("0.0033 before 2027-01-01"). An override or an
    amendment giving a scalar replaces the dated values; one giving `{values: {...}}` merges into
    them. Its day is the CALL DATE, also for corrections learned later.
23. medecine: annual = max(round(rate x base), minimum), due = round(annual x covered_days /
    (n x period_days)) with n = calls per year (4 for quarterly); no basis: base 0.00, base_year
    null, annual = minimum. assurance: total = rate + fee, annual = round(base x total),
    due = round(base x total x covered_days / year_days) (rounded once, not from `annual`); no
    basis: 0.00 everywhere. `rate` in a row is str() of the Decimal total rate as written
    (str(Decimal("0.0595") + Decimal("0.0012")) = "0.0607"; no normalisation). With `prorata:
    none` a call with at least one covered day owes annual / n (medecine) or round(base x total)
    (assurance).
24. payroll / insured_base events are per-year inputs like consultation counts: phase (c), entry
    `payroll_recorded` / `insured_base_recorded`, they still correct calls after termination and
    never give `event_after_termination`.
25. No `documents_available` and no `non_payment_unfounded` for medecine and assurance. Their
    `immediate_on_default` is false; if an override sets it true, a cdg `non_payment` notice while
    in default at N is immediate exactly as for cdg62-demat.
26. `at_exit_date`: the last day is the first of the `exit_dates` (MM-DD, a day missing from a month
    is that month's last day) on or after N + P after `extend_to_working_day`; then
    `within_initial_term` as usual; a last day after the expiry is `notice_superseded`. With
    `ends_on` the initial term is the whole term (initial_term up to ends_on, for the states and for
    `within_initial_term`).
27. Default horizon: 31 December of the year after the later of the last event and the INITIAL
    term's last day (medecine: start + 1 year - 1 day, not the final expiry; assurance: ends_on).
"""
from __future__ import annotations

import calendar
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

# docs/spec.md 8.2 and the contract of the two new conventions, written out by hand.
_TWO_PARTIES = {"member": ["cdg"], "cdg": ["member"]}

MEDECINE_DEFAULTS = {
    "term": {"initial": "P1Y", "renewal": "periodic", "renewal_period": "P1Y", "max_renewals": 3},
    "notice": {
        "member": "P3M", "cdg": "P3M", "recipients": _TWO_PARTIES, "effect": "at_period_end",
        "runs_from": "last_recipient", "missing_recipient": "warn", "unclaimed": "first_presentation",
        "extend_to_working_day": False, "within_initial_term": "allowed", "immediate_on_default": False,
    },
    "contribution": {
        "call": "quarterly", "payment_term": "P30D", "prorata": "days", "refund_unused": True,
        "basis": "previous_year",
        # "0,33 % [...] porté à 0,36 % pour les appels émis à compter du 1er janvier 2027"
        "rate": {"values": {dt.date(2024, 1, 1): "0.0033", dt.date(2027, 1, 1): "0.0036"}},
        "minimum": "160.00",
    },
}

ASSURANCE_DEFAULTS = {
    "term": {"ends_on": dt.date(2028, 12, 31), "renewal": "none"},
    "notice": {
        "member": "P6M", "cdg": "P6M", "recipients": _TWO_PARTIES, "effect": "at_exit_date",
        "exit_dates": ["12-31"], "runs_from": "last_recipient", "missing_recipient": "warn",
        "unclaimed": "first_presentation", "extend_to_working_day": False,
        "within_initial_term": "allowed", "immediate_on_default": False,
    },
    "contribution": {
        "call": "fiscal_year_start", "payment_term": "P30D", "prorata": "days", "refund_unused": True,
        "basis": "same_year",
        "rate": {"values": {dt.date(2024, 1, 1): "0.0595", dt.date(2027, 1, 1): "0.0640"}},
        "fee": "0.0012",
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


def in_force(value, day: dt.date) -> Decimal:
    """A parameter's value on `day`: a scalar, or dated values (the latest date on or before the
    day; before every date, the earliest value)."""
    if isinstance(value, dict):
        dated = value.get("values", value)
        items = sorted((to_date(k), v) for k, v in dated.items())
        chosen = items[0][1]
        for since, v in items:
            if since <= day:
                chosen = v
        return to_money(chosen)
    return to_money(value)


def calendar_period(day: dt.date, call: str) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar period (year, quarter or month) containing `day`."""
    if call == "quarterly":
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, first + relativedelta(months=3) - ONE_DAY
    if call == "monthly":
        first = dt.date(day.year, day.month, 1)
        return first, first + relativedelta(months=1) - ONE_DAY
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


CALLS_PER_YEAR = {"fiscal_year_start": 1, "quarterly": 4, "monthly": 12}


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


class _Sim:
    """cdg62-demat; the subclasses below change what is specific to the other conventions."""

    DEFAULTS = DEFAULTS
    INPUT = "consultations"          # the per-year input: top-level key and event type
    INPUT_FIELD = "count"            # the event field carrying the value
    PHASE_C = ("agents", "consultations", "amendment")
    ESTIMATED, UNKNOWN = "volume_estimated", "volume_unknown"
    BASIS_PARAM = "band_basis"
    DOCUMENTS = True                 # Art. 5: documents_available on a cdg termination
    UNFOUNDED = True                 # non_payment_unfounded
    AMICABLE = True                  # Art. 6: an amicable attempt before each referral

    def __init__(self, doc: dict, until: dt.date | None):
        self.doc = doc
        self.start = to_date(doc["start"])
        self.base = deep_merge(self.DEFAULTS, doc.get("overrides") or {})
        term = self.base["term"]
        self.renewal = term.get("renewal", "none")
        self.ends_on = to_date(term["ends_on"]) if term.get("ends_on") is not None else None
        self.initial = None if self.ends_on is not None else parse_duration(term["initial"])
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
        self.values: dict[int, object] = {int(y): self.read_value(v)
                                          for y, v in (doc.get(self.INPUT) or {}).items()}
        self.agents = int((doc.get("member") or {}).get("agents", 0))
        self.amendments: list[tuple] = []  # learned: (effective, date, file index, set)
        self._params_cache: dict = {}

        # calls (keyed by the first day of the calendar period called) and money
        self.call_kind = self.base["contribution"].get("call", "fiscal_year_start")
        self.contribs: dict[dt.date, dict] = {}
        self.received = ZERO
        self.payments: list[tuple] = []  # (amount, the year it names or None), in order received
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
    @staticmethod
    def read_value(v):
        return int(v)

    def period_end(self, k: int) -> dt.date:
        if self.ends_on is not None:
            return self.ends_on + ONE_DAY + self.renewal_period * k - ONE_DAY
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
        """docs/spec.md 5.5: every amount (a call's first amount, each later increase) has its own due
        date. Payments naming a year fill that year's amounts first; everything else fills the
        uncovered amounts one by one, earliest due date first (a tie: the earlier period, then
        the amount created first). What is left is a credit on the latest period."""
        keys = sorted(self.contribs)
        self.uncovered_dues = []
        if not keys:
            self.unallocated = self.received
            return
        self.unallocated = ZERO
        slots = []  # [due_date, from, n, amount, covered, rec]
        for k in keys:
            for n, (amount, due_date) in enumerate(self.contribs[k]["amounts"]):
                slots.append([due_date, k, n, amount, ZERO, self.contribs[k]])
        slots.sort(key=lambda s: (s[0], s[1], s[2]))
        free = ZERO
        for amount, year in self.payments:
            left = amount
            if year is not None:
                for s in slots:
                    if s[5]["year"] == year:
                        give = min(left, s[3] - s[4])
                        s[4] += give
                        left -= give
            free += left
        for s in slots:
            give = min(free, s[3] - s[4])
            s[4] += give
            free -= give
        for k in keys:
            self.contribs[k]["paid"] = ZERO
        for s in slots:
            s[5]["paid"] += s[4]
            if s[4] < s[3]:
                self.uncovered_dues.append(s[0])
        self.contribs[keys[-1]]["paid"] += free

    def overdue(self, d) -> bool:
        return any(due_date < d for due_date in self.uncovered_dues)

    def check_cured(self, d):
        if self.in_default and not self.overdue(d):
            self.in_default = False
            self.entry(d, "default_cured")

    # -- contributions -----------------------------------------------------------------------
    def used_value(self, rec):
        """(year, value) the call's figures are read from now, or None."""
        if rec["basis_year"] in self.values:
            return (rec["basis_year"], self.values[rec["basis_year"]])
        if rec["standin"] is not None:
            return (rec["standin"], self.values[rec["standin"]])
        return None

    def figures(self, rec) -> dict:
        """The call's figures now; must hold `used`, `annual` and `due`."""
        p = self.params(rec["called_on"])
        grid = p["contribution"]["grid"]
        used = self.used_value(rec)
        band = band_of(used[1], grid) if used else 1
        column = column_of(rec["agents"], grid)
        annual = annual_of(grid, column, band)
        if p["contribution"]["prorata"] == "none":
            due = annual if rec["covered_days"] > 0 else ZERO
        else:
            due = cents(annual * rec["covered_days"] / rec["period_days"])
        return {"used": used, "band": band, "column": column, "annual": annual, "due": due, "grid": grid}

    def ambiguity(self, d, rec, fig, counts=True, agents=True):
        grid, band, column, annual = fig["grid"], fig["band"], fig["column"], fig["annual"]
        used = fig["used"]
        if counts and used is not None and used[1] in grid.get("ambiguous_consultations", []):
            other = band_of(used[1] + 1, grid)
            if annual_of(grid, column, other) != annual:
                self.diag(d, "ambiguous_boundary")
        if agents and rec["agents"] in grid.get("ambiguous_agents", []):
            other_col = column_of(rec["agents"] + 1, grid)
            if annual_of(grid, other_col, band) != annual:
                self.diag(d, "ambiguous_boundary")

    def call(self, d, first, last):
        p = self.params(d)
        basis = first.year - 1 if p["contribution"][self.BASIS_PARAM] == "previous_year" else first.year
        standin = None
        estimated = unknown = False
        if basis not in self.values:
            earlier = [y for y in self.values if y < basis]
            if earlier:
                standin = max(earlier)
                estimated = True
            else:
                unknown = True
        end = last
        known = self.known_last_day()
        if known is not None and known < end:
            end = known
        rec = {
            "year": first.year, "from": first, "to": last, "called_on": d, "basis_year": basis,
            "standin": standin, "agents": self.agents, "covered_days": max(0, (end - d).days + 1),
            "period_days": (last - first).days + 1, "paid": ZERO,
        }
        fig = self.figures(rec)
        rec.update({k: v for k, v in fig.items() if k != "grid"})
        rec["amounts"] = [[fig["due"], d + parse_duration(p["contribution"]["payment_term"])]]
        self.contribs[first] = rec
        self.entry(d, "contribution_called")
        if estimated:
            self.diag(d, self.ESTIMATED)
        if unknown:
            self.diag(d, self.UNKNOWN)
        self.ambiguity(d, rec, fig)
        self.allocate()

    def refresh(self, d, value_event=False):
        """Recompute every call's figures; a changed due gives contribution_adjusted."""
        lowered = False
        for k in sorted(self.contribs):
            rec = self.contribs[k]
            fig = self.figures(rec)
            if value_event and fig["used"] != rec["used"]:
                rec["used"] = fig["used"]
                self.ambiguity(d, rec, fig, agents=False)
            due = fig["due"]
            rec.update({k2: v for k2, v in fig.items() if k2 not in ("grid", "due")})
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

    def row(self, rec) -> dict:
        return {
            "year": rec["year"], "from": rec["from"].isoformat(), "to": rec["to"].isoformat(),
            "band": rec["band"], "column": rec["column"],
            "annual": fmt(rec["annual"]), "covered_days": rec["covered_days"],
            "year_days": rec["period_days"], "due": fmt(rec["due"]), "paid": fmt(rec["paid"]),
            "balance": fmt(rec["due"] - rec["paid"]), "called_on": rec["called_on"].isoformat(),
        }

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

    @staticmethod
    def exit_date_on_or_after(day, exit_dates):
        best = None
        for y in (day.year, day.year + 1):
            for md in exit_dates:
                m, dd = (int(x) for x in str(md).split("-"))
                cand = dt.date(y, m, min(dd, calendar.monthrange(y, m)[1]))
                if cand >= day and (best is None or cand < best):
                    best = cand
        return best

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
                if self.UNFOUNDED:
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
            elif p["effect"] == "at_exit_date":
                L = self.exit_date_on_or_after(L, p["exit_dates"])
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
        if t == self.INPUT:
            self.values[int(ev["year"])] = self.read_value(ev[self.INPUT_FIELD])
            self.entry(d, f"{self.INPUT}_recorded")
            self.refresh(d, value_event=True)
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
            amount = to_money(ev["amount"])
            year = ev.get("for")
            if year is not None and not any(r["year"] == int(year) for r in self.contribs.values()):
                self.diag(d, "payment_for_uncalled_year")
                year = None
            self.received += amount
            self.payments.append((amount, None if year is None else int(year)))
            self.entry(d, "payment_received")
            if d < self.start:
                self.diag(d, "payment_before_start")
            self.allocate()
            self.check_cured(d)
        elif t == "dispute":
            step = ev["step"]
            if step == "referred":
                if self.AMICABLE and not self.dispute_open:
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
        for rec in self.contribs.values():
            if rec["from"] > L:
                rec["covered_days"] = 0
            elif rec["to"] >= L and p["refund_unused"] and p["prorata"] == "days":
                first = max(rec["from"], self.start)
                rec["covered_days"] = (L - first).days + 1
        self.refresh(d)
        if self.DOCUMENTS and self.ruling is not None and self.ruling["by"] == "cdg":
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
                if ev["type"] in self.PHASE_C:
                    self.phase_c(d, ev, idx)
            # (d)
            if d >= self.start and not self.terminated:
                p_first, p_last = calendar_period(d, self.call_kind)
                if p_first not in self.contribs and (d == self.start or d == p_first):
                    self.call(d, p_first, p_last)
            # (e)
            if not self.in_default and self.overdue(d):
                self.in_default = True
                self.entry(d, "payment_overdue")
            # (f)
            for idx, ev in todays:
                if ev["type"] not in self.PHASE_C:
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
        return {
            "start": self.start.isoformat(),
            "horizon": self.horizon.isoformat(),
            "periods": out_periods,
            "termination": termination,
            "unallocated": fmt(self.unallocated),
            "contributions": [self.row(self.contribs[k]) for k in sorted(self.contribs)],
            "entries": self.entries,
            "diagnostics": self.diags,
        }


class _RateSim(_Sim):
    """What cdg62-medecine and cdg62-assurance share: a call is a rate times a declared amount."""

    INPUT_FIELD = "amount"
    ESTIMATED, UNKNOWN = "basis_estimated", "basis_unknown"
    BASIS_PARAM = "basis"
    DOCUMENTS = False
    UNFOUNDED = False

    @staticmethod
    def read_value(v):
        return to_money(v)

    def ambiguity(self, d, rec, fig, counts=True, agents=True):
        pass

    def total_rate(self, c: dict, day: dt.date) -> Decimal:
        raise NotImplementedError

    def row(self, rec) -> dict:
        days_key = "year_days" if self.call_kind == "fiscal_year_start" else "period_days"
        used = rec["used"]
        return {
            "year": rec["year"], "from": rec["from"].isoformat(), "to": rec["to"].isoformat(),
            "base": fmt(used[1] if used else ZERO), "base_year": used[0] if used else None,
            "rate": str(rec["rate"]), "annual": fmt(rec["annual"]), "covered_days": rec["covered_days"],
            days_key: rec["period_days"], "due": fmt(rec["due"]), "paid": fmt(rec["paid"]),
            "balance": fmt(rec["due"] - rec["paid"]), "called_on": rec["called_on"].isoformat(),
        }


class _Medecine(_RateSim):
    DEFAULTS = MEDECINE_DEFAULTS
    INPUT = "payroll"
    PHASE_C = ("payroll", "amendment")

    def figures(self, rec) -> dict:
        c = self.params(rec["called_on"])["contribution"]
        rate = in_force(c["rate"], rec["called_on"])
        used = self.used_value(rec)
        base = used[1] if used else ZERO
        # docs/spec.md 8.2: round the annual amount, then each call
        annual = max(cents(rate * base), to_money(c["minimum"]))
        n = CALLS_PER_YEAR[self.call_kind]
        if rec["covered_days"] == 0:
            due = ZERO
        elif c["prorata"] == "none":
            due = cents(annual / n)
        else:
            due = cents(annual * rec["covered_days"] / (n * rec["period_days"]))
        return {"used": used, "rate": rate, "annual": annual, "due": due}


class _Assurance(_RateSim):
    """Its Article 6 sends disputes to the court with no amicable step."""

    DEFAULTS = ASSURANCE_DEFAULTS
    AMICABLE = False
    INPUT = "insured_base"
    PHASE_C = ("insured_base", "amendment")

    def figures(self, rec) -> dict:
        c = self.params(rec["called_on"])["contribution"]
        # insurer's rate plus the management fee, both of the call date
        rate = in_force(c["rate"], rec["called_on"]) + in_force(c["fee"], rec["called_on"])
        used = self.used_value(rec)
        base = used[1] if used else ZERO
        annual = cents(base * rate)
        if rec["covered_days"] == 0:
            due = ZERO
        elif c["prorata"] == "none":
            due = annual
        else:
            # rounded once, from the unrounded product (not from `annual`)
            n = CALLS_PER_YEAR[self.call_kind]
            due = cents(base * rate * rec["covered_days"] / (n * rec["period_days"]))
        return {"used": used, "rate": rate, "annual": annual, "due": due}


MODELS = {"cdg62-demat": _Sim, "cdg62-medecine": _Medecine, "cdg62-assurance": _Assurance}


def simulate(doc: dict, until: dt.date | None = None) -> dict:
    """Replay a (valid) scenario document day by day; return the timeline as plain data."""
    return MODELS.get(doc.get("convention"), _Sim)(doc, until).run()
