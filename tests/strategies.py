"""Hypothesis strategies for scenario documents (docs/spec.md 4), as `yaml.safe_load` returns them.

`scenarios()` draws VALID documents (plain dicts; dates are `datetime.date`, consultation years are
ints, amounts are str, int or float with at most two decimals and > 0, every receipt date is on or
before its notice event's date, events lie between the start and start + 10 years).
`malformed_documents()` draws broken YAML texts for a fuzz test of the loader.

Building blocks: `start_dates()`, `agents_counts()`, `consultation_counts()`, `amounts()`,
`durations()`, `overrides()`, `receipts(on)`, and the per-type event strategies `payment_events`
(a quarter of the generated payments, in every convention, name a year with `for`),
`consultations_events`, `agents_events`, `amendment_events`, `notice_events`, `dispute_events`,
`signed_events` (each a function of (start, last) returning a strategy of event dicts).

`medecine_scenarios()` and `assurance_scenarios()` draw valid documents of the two conventions of
docs/spec.md 8.2 (`payroll:` / `insured_base:` by year, no `member:` key, two parties, events within six
years after the start, payments around each call, per-year declarations dated in their year or the
next one, notices by either party near the last day to give notice in time, a few overrides of
notice periods, payment_term, within_initial_term, minimum (medecine) or fee (assurance), and
sometimes amendments). `all_scenarios()` draws from any of the three conventions.
"""
from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import yaml
from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

D = dt.date
TEN_YEARS = relativedelta(years=10)

# ----------------------------------------------------------------------------- atoms

BAND_BOUNDARY_COUNTS = [0, 1, 48, 49, 50, 51, 149, 150, 151, 249, 250, 251, 349, 350, 351, 500, 2000]
AGENTS_AROUND = [0, 1, 349, 350, 351, 352, 5200]


def start_dates() -> st.SearchStrategy[dt.date]:
    """Start days with a bias for month ends, 29 February, 1 January and mid-year."""
    special = st.sampled_from([
        D(2024, 2, 29), D(2028, 2, 29), D(2026, 1, 1), D(2026, 7, 1), D(2026, 1, 31),
        D(2026, 8, 31), D(2027, 12, 31), D(2025, 11, 30), D(2028, 8, 31), D(2026, 3, 31),
    ])
    month_end = st.builds(
        lambda y, m: D(y, m, 1) + relativedelta(months=1, days=-1),
        st.integers(2022, 2032), st.integers(1, 12),
    )
    anyday = st.dates(min_value=D(2022, 1, 1), max_value=D(2032, 12, 31))
    return st.one_of(special, month_end, anyday)


def agents_counts() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(AGENTS_AROUND), st.integers(0, 10_000))


def consultation_counts() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(BAND_BOUNDARY_COUNTS), st.integers(0, 1000))


def amounts(max_cents: int = 500_000) -> st.SearchStrategy:
    """A positive amount with at most two decimals, written as a string, an int or a float."""
    c = st.integers(1, max_cents)
    as_str = c.map(lambda n: f"{n // 100}.{n % 100:02d}")
    as_short_str = c.map(lambda n: str(n // 100) if n % 100 == 0 and n >= 100 else f"{n / 100:.2f}")
    as_int = st.integers(1, max_cents // 100)
    as_float = c.map(lambda n: round(n / 100, 2)).filter(lambda x: x > 0)
    usual = st.sampled_from(["1000.00", "500.00", "250.00", "2000.00", "4000.00", 1000, 250.5, "0.01"])
    return st.one_of(usual, as_str, as_short_str, as_int, as_float)


def durations(min_days: int = 1) -> st.SearchStrategy[str]:
    """ISO 8601 or word durations; `min_days=0` allows P0D."""
    words = st.sampled_from(["P1Y", "P2Y", "P3Y", "P6M", "P1Y6M", "P18M", "P2W", "P30D", "P90D",
                             "1 year", "3 years", "2 months", "30 days"])
    if min_days == 0:
        return st.one_of(words, st.sampled_from(["P0D", "P1D", "P1M", "P2M", "P3M", "P6M"]))
    return words


def dates_between(lo: dt.date, hi: dt.date) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=lo, max_value=max(lo, hi))


# ----------------------------------------------------------------------------- parameters

GRID_AMOUNTS = st.lists(amounts(800_000).map(lambda a: f"{Decimal(str(a)):.2f}"),
                        min_size=5, max_size=5)


def grid_patches() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={
        "large": GRID_AMOUNTS,
        "small": st.one_of(GRID_AMOUNTS, st.just(["0.00"] * 5)),
        "agents_max_small": st.sampled_from([349, 350, 351, 100, 1000]),
        "band_max": st.sampled_from([[49, 150, 250, 350], [50, 150, 250, 350], [49, 149, 249, 349],
                                     [10, 20, 30, 40]]),
    })


def term_overrides() -> st.SearchStrategy[dict]:
    none = st.fixed_dictionaries({"renewal": st.just("none")}, optional={"initial": durations()})
    periodic = st.fixed_dictionaries(
        {"renewal": st.just("periodic"), "renewal_period": durations()},
        optional={"initial": durations(), "max_renewals": st.one_of(st.none(), st.integers(0, 4))},
    )
    indefinite = st.fixed_dictionaries({}, optional={"initial": durations(),
                                                     "renewal": st.just("indefinite")})
    return st.one_of(none, periodic, indefinite)


def notice_overrides() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={
        "member": durations(min_days=0),
        "cdg": durations(min_days=0),
        "recipients": st.sampled_from([
            {"member": ["cdg"]}, {"member": ["cdg", "archives"], "cdg": ["member"]},
            {"cdg": ["member", "archives"]},
        ]),
        "effect": st.sampled_from(["after_period", "at_period_end"]),
        "runs_from": st.sampled_from(["last_recipient", "first_recipient"]),
        "missing_recipient": st.sampled_from(["warn", "void"]),
        "unclaimed": st.sampled_from(["first_presentation", "never"]),
        "extend_to_working_day": st.booleans(),
        "within_initial_term": st.sampled_from(["allowed", "postponed", "refused"]),
        "immediate_on_default": st.booleans(),
    })


def contribution_overrides() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={
        "payment_term": st.sampled_from(["P30D", "P0D", "P15D", "P2M", "P1D"]),
        "prorata": st.sampled_from(["days", "none"]),
        "band_basis": st.sampled_from(["previous_year", "same_year"]),
        "refund_unused": st.booleans(),
        "grid": grid_patches(),
    })


PROFILES = [
    {"notice": {"within_initial_term": "refused"}},
    {"notice": {"within_initial_term": "postponed"}},
    {"notice": {"effect": "at_period_end"}},
    {"notice": {"effect": "at_period_end", "member": "P3M"},
     "term": {"initial": "P1Y", "renewal": "periodic", "renewal_period": "P1Y", "max_renewals": 2}},
    {"term": {"renewal": "none"}},
    {"term": {"initial": "P2Y", "renewal": "periodic", "renewal_period": "P6M"}},
    {"notice": {"extend_to_working_day": True, "member": "P0D", "cdg": "P0D"}},
    {"notice": {"runs_from": "first_recipient", "unclaimed": "never", "missing_recipient": "void"}},
    {"notice": {"immediate_on_default": False}},
    {"contribution": {"prorata": "none"}},
    {"contribution": {"band_basis": "same_year", "refund_unused": False}},
    {"contribution": {"payment_term": "P0D"}},
]


def overrides() -> st.SearchStrategy[dict]:
    """A partial mapping of docs/spec.md 3 parameters (empty sections dropped)."""
    raw = st.fixed_dictionaries({}, optional={
        "term": term_overrides(),
        "notice": notice_overrides(),
        "contribution": contribution_overrides(),
    })
    return st.one_of(st.sampled_from(PROFILES).map(copy.deepcopy), raw.map(lambda o: {k: v for k, v in o.items() if v}))


# ----------------------------------------------------------------------------- events

def receipts(on: dt.date) -> st.SearchStrategy:
    """One receipt, dated on or before `on` (the notice event's date)."""
    earlier = st.integers(0, 40).map(lambda n: on - dt.timedelta(days=n))
    plain = earlier
    delivered = st.tuples(earlier, st.integers(0, 15)).map(
        lambda t: {"presented": t[0] - dt.timedelta(days=t[1]), "delivered": t[0]})
    unclaimed = st.tuples(earlier, st.integers(0, 15)).map(
        lambda t: {"presented": t[0] - dt.timedelta(days=t[1]), "unclaimed": True})
    return st.one_of(plain, plain, delivered, unclaimed)


def payment_events(start, last):
    @st.composite
    def build(draw):
        ev = {"date": draw(dates_between(start, last)), "type": "payment", "amount": draw(amounts())}
        return _maybe_for(draw, ev)
    return build()


def _maybe_for(draw, ev: dict) -> dict:
    """Sometimes a payment names the year it pays (docs/spec.md 4, `for`): its own year, the one before
    (an increase paid late), the next one or a year further away (not called yet, or never:
    `payment_for_uncalled_year`)."""
    if draw(st.integers(0, 3)) == 0:
        y = ev["date"].year
        ev["for"] = draw(st.sampled_from([y, y, y - 1, y - 1, y + 1, y - 3]))
    return ev


def consultations_events(start, last):
    @st.composite
    def build(draw):
        date = draw(dates_between(start, last))
        year = draw(st.integers(start.year - 3, date.year))
        return {"date": date, "type": "consultations", "year": year, "count": draw(consultation_counts())}
    return build()


def agents_events(start, last):
    return st.fixed_dictionaries({"date": dates_between(start, last), "type": st.just("agents"),
                                  "count": agents_counts()})


def amendment_events(start, last):
    @st.composite
    def build(draw):
        date = draw(dates_between(start, last))
        # effective before (learned late), on, or after the event's date
        effective = date + dt.timedelta(days=draw(st.integers(-400, 400)))
        patch = {"contribution": {"grid": draw(grid_patches().filter(bool))}}
        if draw(st.integers(0, 4)) == 0:
            patch["term"] = draw(st.sampled_from([{"initial": "P5Y"}, {"renewal": "none"},
                                                  {"max_renewals": 1}]))
        ev = {"date": date, "type": "amendment", "effective": effective, "set": patch}
        if draw(st.booleans()):
            ev["ref"] = f"Avenant n°{draw(st.integers(1, 9))}"
        return ev
    return build()


def notice_events(start, last):
    @st.composite
    def build(draw):
        date = draw(dates_between(start, last))
        by = draw(st.sampled_from(["member", "cdg"]))
        recipients = ["cdg", "archives"] if by == "member" else ["member", "archives"]
        received = {}
        for r in recipients:
            if r == "archives" and by == "cdg" and draw(st.booleans()):
                continue  # archives are not a default recipient of a cdg notice
            if draw(st.integers(0, 7)) == 0:
                continue  # a missing recipient
            received[r] = draw(receipts(date))
        if not received:  # a notice names at least one receipt (the loader refuses none)
            received[recipients[0]] = date
        ev = {"date": date, "type": "notice", "by": by, "received": received}
        if draw(st.integers(0, 3)) == 0:
            ev["sent"] = min([date] + [v if isinstance(v, dt.date) else v["presented"]
                                       for v in received.values()])
        if draw(st.integers(0, 2 if by == "member" else 1)) == 0:
            ev["reason"] = draw(st.sampled_from(["non_payment", "non_payment", "other"]))
        return ev
    return build()


def dispute_events(start, last):
    return st.fixed_dictionaries({"date": dates_between(start, last), "type": st.just("dispute"),
                                  "step": st.sampled_from(["opened", "settled", "referred"])})


def signed_events(start, last):
    return st.fixed_dictionaries({"date": dates_between(start, last), "type": st.just("signed")},
                                 optional={"ref": st.just("Convention CdG62")})


def yearly_payments(start, years: int = 10):
    """Payments around each 1 January call: full, partial, late or missing."""
    @st.composite
    def build(draw):
        out = []
        for k in range(years):
            call = start if k == 0 else D(start.year + k, 1, 1)
            kind = draw(st.sampled_from(["full", "full", "partial", "late", "missing"]))
            if kind == "missing":
                continue
            delay = draw(st.integers(0, 29) if kind != "late" else st.integers(31, 120))
            amount = draw(st.sampled_from(["1000.00", "2000.00", "500.00", "250.00", "4000.00"]))
            if kind == "partial":
                amount = draw(amounts(99_999))
            out.append(_maybe_for(draw, {"date": call + dt.timedelta(days=delay), "type": "payment",
                                         "amount": amount}))
        return out
    return build()


def events(start, last):
    one = st.one_of(
        payment_events(start, last), consultations_events(start, last), agents_events(start, last),
        amendment_events(start, last), notice_events(start, last), notice_events(start, last),
        dispute_events(start, last), signed_events(start, last),
    )
    return st.lists(one, max_size=12)


# ----------------------------------------------------------------------------- documents

@st.composite
def scenarios(draw, with_overrides: bool = True) -> dict:
    start = draw(start_dates())
    last = start + TEN_YEARS
    years = draw(st.lists(st.integers(start.year - 4, start.year), unique=True, max_size=4))
    doc = {
        "scenario": 1,
        "convention": "cdg62-demat",
        "name": draw(st.sampled_from(["Commune d'Arras", "Département du Pas-de-Calais", "SIVOM"])),
        "start": start,
    }
    if draw(st.integers(0, 2)) == 0:
        doc["horizon"] = start + dt.timedelta(days=draw(st.integers(0, 11 * 366)))
    doc["member"] = {"agents": draw(agents_counts())}
    if years:
        doc["consultations"] = {y: draw(consultation_counts()) for y in sorted(years)}
    if with_overrides and draw(st.integers(0, 2)) > 0:
        o = draw(overrides())
        if o:
            doc["overrides"] = o
    evs = draw(events(start, last))
    if draw(st.booleans()):
        evs = evs + draw(yearly_payments(start))
        evs = draw(st.permutations(evs)) if len(evs) < 20 else evs
    doc["events"] = evs
    return doc


# ----------------------------------------------------------------------------- cdg62-medecine, cdg62-assurance
#
# docs/spec.md 8.2 and the contract of the two new conventions: a per-year amount (`payroll`,
# `insured_base`) instead of consultations, no `member:` key, two parties (a member notice goes to
# `cdg` only, a cdg notice to `member` only), events within about six years after the start.

SIX_YEARS = relativedelta(years=6)
ASSURANCE_ENDS_ON = D(2028, 12, 31)

# around the minimum: 160.00 / 0.0033 = 48 484.85 (0.0033 x 48 484.84 = 159.999972 -> 160.00)
PAYROLL_AMOUNTS = ["1000000.00", "48484.85", "48484.84", "48484.83", "44444.44", "10000.00",
                   "250000.00", "5000000.00", "123456.78", "1000000.01"]
INSURED_BASE_AMOUNTS = ["400000.00", "420000.00", "100000.00", "1000000.00", "2500.00",
                        "333333.33", "12345.67", "0.01"]
# fees chosen so that rate + fee never ends in a zero ("0.0640" + "0.0000" would be "0.0640",
# which an engine normalising its decimals would print "0.064"): see tests/model/naive.py, 23.
ASSURANCE_FEES = ["0.0012", "0.0013", "0.0007", "0.0021"]


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def declared_amounts(usual) -> st.SearchStrategy:
    """A payroll or insured base: a usual value, any amount up to 10 million, or a whole number."""
    return st.one_of(st.sampled_from(usual), st.sampled_from(usual),
                     st.integers(1, 1_000_000_000).map(_money), st.integers(1, 10_000_000))


def medecine_start_dates() -> st.SearchStrategy[dt.date]:
    special = st.sampled_from([D(2026, 2, 15), D(2026, 1, 1), D(2026, 4, 1), D(2028, 2, 29),
                               D(2026, 3, 31), D(2026, 12, 31), D(2027, 1, 1), D(2026, 11, 30),
                               D(2025, 8, 31), D(2026, 5, 31)])
    month_end = st.builds(lambda y, m: D(y, m, 1) + relativedelta(months=1, days=-1),
                          st.integers(2024, 2030), st.integers(1, 12))
    return st.one_of(special, month_end, st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31)))


def assurance_start_dates() -> st.SearchStrategy[dt.date]:
    """The term ends on 2028-12-31 whatever the start; a start after it is invalid input."""
    special = st.sampled_from([D(2026, 4, 1), D(2026, 1, 1), D(2028, 12, 31), D(2027, 7, 1),
                               D(2028, 2, 29), D(2026, 6, 30), D(2027, 12, 31), D(2025, 1, 1)])
    return st.one_of(special, st.dates(min_value=D(2024, 1, 1), max_value=ASSURANCE_ENDS_ON))


def _receipt_at(n: dt.date) -> st.SearchStrategy:
    """A receipt whose notification date (with the default `unclaimed: first_presentation`) is n."""
    return st.one_of(
        st.just(n), st.just(n),
        st.integers(0, 10).map(lambda k: {"presented": n - dt.timedelta(days=k), "delivered": n}),
        st.just({"presented": n, "unclaimed": True}),
    )


def two_party_notice(start: dt.date, last: dt.date, near: list):
    """A notice by either party, its N near one of the dates in `near` (the last day to give
    notice in time) or anywhere; learned the same day, a few days later, or much later."""
    @st.composite
    def build(draw):
        if near and draw(st.integers(0, 3)) > 0:
            n = draw(st.sampled_from(near)) + dt.timedelta(days=draw(st.integers(-3, 3)))
        else:
            n = draw(dates_between(start, last))
        if draw(st.integers(0, 15)) == 0:
            n = start - dt.timedelta(days=draw(st.integers(1, 20)))  # before the start
        delay = draw(st.one_of(st.just(0), st.integers(0, 10), st.integers(0, 400)))
        date = max(n + dt.timedelta(days=delay), start)
        by = draw(st.sampled_from(["member", "cdg"]))
        to = "cdg" if by == "member" else "member"
        ev = {"date": date, "type": "notice", "by": by, "received": {to: draw(_receipt_at(n))}}
        if draw(st.integers(0, 3)) == 0:
            rc = ev["received"][to]
            ev["sent"] = (rc if isinstance(rc, dt.date) else rc["presented"]) - dt.timedelta(
                days=draw(st.integers(0, 5)))
        if draw(st.integers(0, 3 if by == "cdg" else 8)) == 0:
            ev["reason"] = draw(st.sampled_from(["non_payment", "non_payment", "other"]))
        return ev
    return build()


def declared_events(kind: str, start: dt.date, last: dt.date, usual):
    """`payroll` / `insured_base` events for years before and after the start: dated in the year
    itself or in the next one (a declaration before 31 March), sometimes a revision."""
    @st.composite
    def build(draw):
        out = []
        for year in range(start.year - 2, min(last.year, start.year + 6) + 1):
            if draw(st.integers(0, 2)) == 0:
                continue
            for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):
                lo = max(start, D(year, 1, 1))
                hi = min(last, D(year + 1, 12, 31))
                if lo > hi:
                    break
                early = min(hi, max(lo, D(year + 1, 3, 31)))
                date = draw(st.one_of(dates_between(lo, early), dates_between(lo, hi)))
                out.append({"date": date, "type": kind, "year": year, "amount": draw(declared_amounts(usual))})
        return out
    return build()


def call_payments(calls: list, typical: str):
    """Payments around each call date: the typical amount, a partial or a larger one, on time,
    late or never."""
    @st.composite
    def build(draw):
        out = []
        for call in calls:
            kind = draw(st.sampled_from(["full", "full", "full", "partial", "late", "missing", "other"]))
            if kind == "missing":
                continue
            delay = draw(st.integers(0, 30) if kind != "late" else st.integers(31, 120))
            amount = typical
            if kind == "partial":
                amount = _money(max(1, int(Decimal(typical) * 100) // draw(st.integers(2, 5))))
            elif kind == "other":
                amount = draw(amounts())
            out.append(_maybe_for(draw, {"date": call + dt.timedelta(days=delay), "type": "payment",
                                         "amount": amount}))
        return out
    return build()


def _amendment(start, last, sets):
    @st.composite
    def build(draw):
        date = draw(dates_between(start, last))
        patch = copy.deepcopy(draw(st.sampled_from(sets)))
        ev = {"date": date, "type": "amendment",
              "effective": date + dt.timedelta(days=draw(st.integers(-400, 400))), "set": patch}
        if draw(st.booleans()):
            ev["ref"] = f"Avenant n°{draw(st.integers(1, 9))}"
        return ev
    return build()


def _other_events(start, last):
    return st.lists(st.one_of(dispute_events(start, last), signed_events(start, last),
                              payment_events(start, last)), max_size=3)


NOTICE_PERIODS = ["P3M", "P6M", "P2M", "P1M", "P0D", "P90D", "P1Y"]
_COMMON_OVERRIDES = {
    "notice": st.fixed_dictionaries({}, optional={
        "member": st.sampled_from(NOTICE_PERIODS), "cdg": st.sampled_from(NOTICE_PERIODS),
        "within_initial_term": st.sampled_from(["allowed", "postponed", "refused"])}),
}


def medecine_overrides() -> st.SearchStrategy[dict]:
    raw = st.fixed_dictionaries({}, optional={
        **_COMMON_OVERRIDES,
        "contribution": st.fixed_dictionaries({}, optional={
            "payment_term": st.sampled_from(["P30D", "P0D", "P15D", "P2M"]),
            "minimum": st.sampled_from(["160.00", "0.00", "500.00", "1000.00", "3300.00"])}),
    })
    return raw.map(lambda o: {k: v for k, v in o.items() if v})


def assurance_overrides() -> st.SearchStrategy[dict]:
    raw = st.fixed_dictionaries({}, optional={
        **_COMMON_OVERRIDES,
        "contribution": st.fixed_dictionaries({}, optional={
            "payment_term": st.sampled_from(["P30D", "P0D", "P15D", "P2M"]),
            "fee": st.sampled_from(ASSURANCE_FEES)}),
    })
    return raw.map(lambda o: {k: v for k, v in o.items() if v})


MEDECINE_AMENDMENTS = [
    {"contribution": {"minimum": "200.00"}},
    {"contribution": {"minimum": "0.00"}},
    {"contribution": {"payment_term": "P15D"}},
    {"contribution": {"rate": "0.0041"}},
    {"notice": {"member": "P2M", "cdg": "P6M"}},
    {"term": {"max_renewals": 1}, "contribution": {"minimum": "250.00"}},
]
ASSURANCE_AMENDMENTS = [
    {"contribution": {"fee": "0.0013"}},
    {"contribution": {"rate": "0.0701"}},
    {"contribution": {"payment_term": "P2M"}},
    {"notice": {"member": "P3M"}},
    {"term": {"ends_on": D(2029, 12, 31)}, "contribution": {"fee": "0.0021"}},
]


def _periods_ends(start: dt.date, k_max: int) -> list:
    """cdg62-medecine: period k ends on start + (k+1) years - 1 day."""
    return [start + relativedelta(years=k + 1) - dt.timedelta(days=1) for k in range(k_max + 1)]


def _typical(base: str, rate: str, fraction, floor: str = "0.00") -> str:
    amount = max(Decimal(base) * Decimal(rate), Decimal(floor)) * Decimal(fraction)
    return _money(max(1, int((amount * 100).to_integral_value())))


@st.composite
def medecine_scenarios(draw) -> dict:
    start = draw(medecine_start_dates())
    last = start + SIX_YEARS
    doc = {"scenario": 1, "convention": "cdg62-medecine",
           "name": draw(st.sampled_from(["Commune d'Arras", "SIVOM de la Lys", "Ville de Calais"])),
           "start": start}
    if draw(st.integers(0, 2)) == 0:
        doc["horizon"] = start + dt.timedelta(days=draw(st.integers(0, 7 * 366)))
    years = draw(st.lists(st.integers(start.year - 4, start.year), unique=True, max_size=3))
    if years:
        doc["payroll"] = {y: draw(declared_amounts(PAYROLL_AMOUNTS)) for y in sorted(years)}
    if draw(st.integers(0, 2)) == 0:
        o = draw(medecine_overrides())
        if o:
            doc["overrides"] = o
    evs = draw(declared_events("payroll", start, last, PAYROLL_AMOUNTS))
    # the last day to give notice in time for the end of each period (P3M before it)
    ends = _periods_ends(start, 4)
    near = [e - relativedelta(months=3) for e in ends] + [e - relativedelta(months=3, days=-1) for e in ends]
    evs += draw(st.lists(two_party_notice(start, last, near), max_size=3))
    if draw(st.integers(0, 3)) > 0:
        calls = [start] + [D(y, m, 1) for y in range(start.year, last.year + 1) for m in (1, 4, 7, 10)
                           if start < D(y, m, 1) <= last]
        base = str(Decimal(str(next(iter((doc.get("payroll") or {}).values()), "1000000.00"))))
        evs += draw(call_payments(calls, _typical(base, "0.0033", Decimal("0.25"), "160.00")))
    if draw(st.integers(0, 3)) == 0:
        evs += draw(st.lists(_amendment(start, last, MEDECINE_AMENDMENTS), max_size=2))
    evs += draw(_other_events(start, last))
    doc["events"] = draw(st.permutations(evs)) if len(evs) < 25 else evs
    return doc


@st.composite
def assurance_scenarios(draw) -> dict:
    start = draw(assurance_start_dates())
    # the term ends on 2028-12-31: two years after it are enough to see late facts
    last = min(start + SIX_YEARS, D(2030, 12, 31))
    doc = {"scenario": 1, "convention": "cdg62-assurance",
           "name": draw(st.sampled_from(["Commune d'Arras", "SIVOM de la Lys", "Ville de Calais"])),
           "start": start}
    if draw(st.integers(0, 2)) == 0:
        doc["horizon"] = start + dt.timedelta(days=draw(st.integers(0, 7 * 366)))
    years = draw(st.lists(st.integers(start.year - 3, start.year), unique=True, max_size=3))
    if years:
        doc["insured_base"] = {y: draw(declared_amounts(INSURED_BASE_AMOUNTS)) for y in sorted(years)}
    if draw(st.integers(0, 2)) == 0:
        o = draw(assurance_overrides())
        if o:
            doc["overrides"] = o
    evs = draw(declared_events("insured_base", start, last, INSURED_BASE_AMOUNTS))
    # the last day to give notice in time for 31 December (P6M before it: 30 June)
    near = [D(y, 6, 30) for y in range(start.year, ASSURANCE_ENDS_ON.year + 2)]
    evs += draw(st.lists(two_party_notice(start, last, near), max_size=3))
    if draw(st.integers(0, 3)) > 0:
        calls = [start] + [D(y, 1, 1) for y in range(start.year + 1, ASSURANCE_ENDS_ON.year + 1)]
        base = str(Decimal(str(next(iter((doc.get("insured_base") or {}).values()), "400000.00"))))
        evs += draw(call_payments(calls, _typical(base, "0.0607", 1)))
    if draw(st.integers(0, 3)) == 0:
        evs += draw(st.lists(_amendment(start, last, ASSURANCE_AMENDMENTS), max_size=2))
    evs += draw(_other_events(start, last))
    doc["events"] = draw(st.permutations(evs)) if len(evs) < 25 else evs
    return doc


def all_scenarios() -> st.SearchStrategy[dict]:
    """A valid document of any of the three conventions."""
    return st.one_of(scenarios(), medecine_scenarios(), assurance_scenarios())


# ----------------------------------------------------------------------------- malformed texts

def _valid_text() -> st.SearchStrategy[str]:
    return scenarios().map(lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False))


_yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
    st.text(max_size=20), st.dates(),
)
_yaml_trees = st.recursive(
    _yaml_scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), kids, max_size=4)),
    max_leaves=20,
)

_BAD_DATES = ["2026-02-30", "2026-13-01", "2025-02-29", "0000-01-01", "yesterday", "-1", "[]", "{}", "42",
              "'2026-01-01T25:00'"]
_BAD_DURATIONS = ["-P3Y", "P3.5Y", "PT3H", "P-1D", "'3 fortnights'", "P", "-1", "[]", "{}", "'three years'"]
_BAD_COUNTS = ["-1", "1.5", "'many'", "[]", "{}", "2026-02-30", "-99999999999999999999999999"]
_BAD_AMOUNTS = ["1000.001", "-5.00", "0", "0.00", "'0'", "'abc'", "[]", "{}", ".nan", "-.inf", "~",
                "2026-02-30", "'1,000.00'", "-0.01", "0.001"]
_HEAD = "scenario: 1\nconvention: cdg62-demat\nname: X\n"
_BODY = "start: 2026-01-01\nmember: {agents: 10}\n"

# (template, values that make it invalid for sure)
_TEMPLATES = [
    (_HEAD + "start: {v}\nmember: {{agents: 10}}\n", _BAD_DATES + ["~"]),
    (_HEAD + _BODY + "horizon: {v}\n", _BAD_DATES + ["2025-12-31"]),
    (_HEAD + "start: 2026-01-01\nmember: {{agents: {v}}}\n", _BAD_COUNTS),
    (_HEAD + _BODY + "consultations: {{2024: {v}}}\n", _BAD_COUNTS),
    (_HEAD + _BODY + "consultations: {{{v}: 10}}\n", ["'year'", "2026-02-30", "1.5", "[1]"]),
    (_HEAD + _BODY + "events: [{{date: {v}, type: payment, amount: '10.00'}}]\n", _BAD_DATES + ["~"]),
    (_HEAD + _BODY + "events: [{{date: 2026-02-01, type: payment, amount: {v}}}]\n", _BAD_AMOUNTS),
    (_HEAD + _BODY + "events: [{{date: 2026-02-01, type: {v}}}]\n", ["unknown", "[]", "42", "~", "Payment"]),
    (_HEAD + _BODY + "events: [{{date: 2026-02-01, type: payment, amount: '1.00', {v}: 1}}]\n",
     ["colour", "amount2", "Date"]),
    (_HEAD + _BODY + "events: [{{date: 2026-03-01, type: notice, by: {v}, received: {{cdg: 2026-03-01}}}}]\n",
     ["archives", "nobody", "[]", "42", "~"]),
    (_HEAD + _BODY + "events: [{{date: 2026-03-01, type: notice, by: member, received: {{cdg: {v}}}}}]\n",
     _BAD_DATES + ["2026-03-02", "{{presented: 2026-03-01}}", "{{delivered: 2026-03-01}}",
                   "{{presented: 2026-03-01, unclaimed: false}}"]),
    (_HEAD + _BODY + "events: [{{date: 2026-03-01, type: consultations, year: 2025, count: {v}}}]\n", _BAD_COUNTS),
    (_HEAD + _BODY + "events: [{{date: 2026-03-01, type: dispute, step: {v}}}]\n", ["closed", "[]", "42", "~"]),
    (_HEAD + _BODY + "events: [{{date: 2026-03-01, type: amendment, effective: {v}, set: {{}}}}]\n", _BAD_DATES),
    (_HEAD + _BODY + "overrides: {{notice: {{member: {v}}}}}\n", _BAD_DURATIONS),
    (_HEAD + _BODY + "overrides: {{term: {{initial: {v}}}}}\n", _BAD_DURATIONS + ["P0D"]),
    (_HEAD + _BODY + "overrides: {{contribution: {{grid: {{large: {v}}}}}}}\n", ["'x'", "42", "{{a: 1}}"]),
    (_HEAD + _BODY + "overrides: {{notice: {{effect: {v}}}}}\n", ["never", "42", "[]"]),
    (_HEAD + _BODY + "overrides: {{{v}: 1}}\n", ["unknown_section", "terms", "42"]),
    ("scenario: {v}\nconvention: cdg62-demat\nname: X\n" + _BODY, ["2", "'x'", "[]", "~", "0"]),
    ("scenario: 1\nconvention: {v}\nname: X\n" + _BODY, ["no-such-convention", "42", "[]", "~",
                                                           "/nonexistent/rules.yaml"]),
    (_HEAD + _BODY + "{v}: 1\n", ["unknown_key", "Start", "events2", "expects"]),
]


@st.composite
def _template_broken(draw):
    template, values = draw(st.sampled_from(_TEMPLATES))
    # templates and values double their literal braces (format style); _HEAD/_BODY use single ones
    undouble = lambda t: t.replace("{{", "{").replace("}}", "}")  # noqa: E731
    value = undouble(draw(st.sampled_from(values)))
    return undouble(template.replace("{v}", "\x00")).replace("\x00", value)


@st.composite
def _mutated_valid(draw):
    """A valid document with one key dropped, renamed, retyped, or an unknown key added."""
    doc = draw(scenarios(with_overrides=False))
    op = draw(st.sampled_from(["drop", "unknown", "retype", "event_unknown", "event_retype"]))
    # a non-empty list of scalars is the wrong type for every key and every event field
    wrong = draw(st.lists(st.one_of(st.integers(), st.text(max_size=5), st.booleans()), min_size=1, max_size=3))
    if op == "drop":
        doc.pop(draw(st.sampled_from(["scenario", "convention", "start"])))
    elif op == "unknown":
        doc[draw(st.sampled_from(["extra", "Start", "events2", "expect_"]))] = draw(_yaml_trees)
    elif op == "retype":
        doc[draw(st.sampled_from(sorted(doc)))] = wrong
    elif doc["events"]:
        ev = doc["events"][0]
        if op == "event_unknown":
            ev["colour"] = "blue"
        else:
            ev[draw(st.sampled_from(sorted(ev)))] = wrong
    else:
        doc["events"] = wrong
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _deep_nesting():
    return st.integers(50, 5000).flatmap(lambda n: st.sampled_from([
        "[" * n + "]" * n,
        "events: " + "[" * n + "]" * n,
        "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(min(n, 300))),
        "overrides: " + "{a: " * n + "1" + "}" * n,
    ]))


def malformed_documents() -> st.SearchStrategy[str]:
    """YAML texts that are not valid scenarios (some are not even YAML)."""
    return st.one_of(
        _template_broken(),
        _mutated_valid(),
        _yaml_trees.map(lambda t: yaml.safe_dump(t, allow_unicode=True)),
        _deep_nesting(),
        st.text(max_size=200),
        st.sampled_from(["", "---", "- 1\n- 2", "start: [", "\t", "a: b: c", "&a [*a]",
                         "!!python/object:os.system 'ls'", "x: !!binary AAAA",
                         "start: 2026-02-30\n", "scenario: 1\nscenario: 2\n"]),
        _valid_text().map(lambda t: t + "\nstart: 2026-02-30\n"),
    )
