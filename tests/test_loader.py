"""The scenario loader (docs/spec.md 4): what loads, and the one-line error for each bad input."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import textwrap
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ScenarioError
from engine.core.events import (
    AmendmentSigned,
    InputGiven,
    DisputeStep,
    NoticeReceived,
    PaymentReceived,
    Receipt,
    Signed,
)
from engine.conventions.loader import load_scenario

D = dt.date

SPEC_EXAMPLE = """\
scenario: 1                       # format version
convention: cdg62-demat           # a rules id shipped in rules/, or a path to a rules file
name: Département du Pas-de-Calais
start: 2026-01-01                 # first day in force
horizon: 2031-12-31               # optional: replay up to this day (default: 31 Dec of the year after
                                  # the later of the last event and the end of the initial term)
member:
  agents: 5200
consultations:                    # volumes known from the start, by year
  2022: 283
  2023: 252
  2024: 235
overrides:                        # optional: parameters of section 3, merged over the rules file
  notice: {extend_to_working_day: true}
events:
  - {date: 2026-01-20, type: payment, amount: "1000.00"}
  - {date: 2027-01-12, type: consultations, year: 2026, count: 198}
  - {date: 2027-01-20, type: payment, amount: "1000.00"}
  - {date: 2027-05-01, type: agents, count: 340}
  - {date: 2027-06-01, type: amendment, ref: "Avenant n°1", effective: 2028-01-01,
     set: {contribution: {grid: {large: ["250.00", "500.00", "1200.00", "2000.00", "4000.00"]}}}}
  - {date: 2029-03-14, type: notice, by: member, received: {cdg: 2029-03-12, archives: 2029-03-14}}
  - {date: 2029-09-01, type: dispute, step: opened}          # Art. 6: opened | settled | referred
expect:                           # optional: what `convention check` verifies (section 7)
  termination: {by: member, last_day: 2029-05-14}
  contributions: {2027: {band: 3, due: "1000.00", balance: "0.00"}, 2028: {column: small, due: "0.00"}}
  states: {2029-05-15: terminated}
"""

# Lines 1-6; the tests below add from line 7 on.
HEAD = """\
scenario: 1
convention: cdg62-demat
name: Commune de Test
start: 2026-01-01
member:
  agents: 12
"""


def fails(text: str, **kw) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, **kw)
    return info.value


def with_events(*lines: str) -> str:
    """HEAD, then `events:` on line 7 and the given lines from line 8."""
    return HEAD + "events:\n" + "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- what loads


def test_spec_example_loads():
    s = load_scenario(SPEC_EXAMPLE)
    assert s.convention == "cdg62-demat"
    assert s.rules_path.endswith("cdg62-demat.yaml")
    assert s.name == "Département du Pas-de-Calais"
    assert (s.start, s.horizon, s.agents) == (D(2026, 1, 1), D(2031, 12, 31), 5200)
    assert s.consultations == ((2022, 283), (2023, 252), (2024, 235))
    assert s.overrides == {"notice": {"extend_to_working_day": True}}
    assert s.source == "<string>"
    types = [type(e) for e in s.events]
    # The inputs are the rules file's: a consultations count and an agents count are InputGiven.
    assert [e.type for e in s.events if type(e) is InputGiven] == ["consultations", "agents"]
    assert types == [PaymentReceived, InputGiven, PaymentReceived, InputGiven,
                     AmendmentSigned, NoticeReceived, DisputeStep]
    assert [e.line for e in s.events] == [16, 17, 18, 19, 20, 22, 23]
    assert [e.seq for e in s.events] == list(range(7))
    pay, count, _, agents, amend, notice, dispute = s.events
    assert pay.amount == Decimal("1000.00") and pay.date == D(2026, 1, 20)
    assert (count.year, count.count) == (2026, 198)
    assert agents.count == 340
    assert amend.effective == D(2028, 1, 1) and amend.ref == "Avenant n°1"
    assert amend.set["contribution"]["grid"]["large"][2] == "1200.00"
    assert notice.by == "member"
    assert notice.received == (("cdg", Receipt(delivered=D(2029, 3, 12))),
                               ("archives", Receipt(delivered=D(2029, 3, 14))))
    assert dispute.step == "opened"
    assert s.expect["termination"] == {"by": "member", "last_day": D(2029, 5, 14)}
    assert s.expect["contributions"][2027] == {
        "band": 3, "due": Decimal("1000.00"), "balance": Decimal("0.00")}
    assert s.expect["contributions"][2028] == {"column": "small", "due": Decimal("0.00")}
    assert s.expect["states"] == {D(2029, 5, 15): "terminated"}


def test_same_scenario_from_a_path_json_and_a_mapping(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    from_text = load_scenario(SPEC_EXAMPLE)
    from_path = load_scenario(path)
    assert from_path.source == str(path)
    assert load_scenario(str(path)).events == from_path.events
    assert from_path.events == from_text.events
    doc = {
        "scenario": 1, "convention": "cdg62-demat", "name": "N", "start": "2026-01-01",
        "member": {"agents": 5200}, "consultations": {"2024": 235},
        "events": [{"date": "2026-01-20", "type": "payment", "amount": "1000.00"}],
        "expect": {"contributions": {"2026": {"balance": "-12.50"}}, "states": {"2026-06-01": "initial_term"}},
    }
    from_json = load_scenario(json.dumps(doc))
    from_dict = load_scenario(doc)
    assert from_json.consultations == from_dict.consultations == ((2024, 235),)
    assert from_json.events[0].amount == from_dict.events[0].amount == Decimal("1000.00")
    assert from_dict.expect["contributions"][2026]["balance"] == Decimal("-12.50")
    assert from_dict.expect["states"] == {D(2026, 6, 1): "initial_term"}
    assert from_dict.source == "<mapping>" and from_dict.events[0].line == 0


def test_amounts_are_read_exactly_as_written():
    s = load_scenario(with_events(
        "  - {date: 2026-01-20, type: payment, amount: 1000.10}",
        "  - {date: 2026-01-21, type: payment, amount: \"0.30\"}",
        "  - {date: 2026-01-22, type: payment, amount: 1000}",
        "  - {date: 2026-01-23, type: payment, amount: 0.1}",
    ))
    amounts = [e.amount for e in s.events]
    assert amounts == [Decimal("1000.10"), Decimal("0.30"), Decimal("1000.00"), Decimal("0.10")]
    assert str(amounts[0]) == "1000.10"
    assert all(isinstance(a, Decimal) for a in amounts)


def test_quoted_dates_and_registered_letters():
    s = load_scenario(HEAD.replace("start: 2026-01-01", 'start: "2026-01-01"') + textwrap.dedent("""\
        events:
          - date: 2029-03-20
            type: notice
            by: cdg
            reason: non_payment
            sent: 2029-03-01
            received:
              member: {presented: 2029-03-05, unclaimed: true}
          - date: 2029-03-20
            type: notice
            by: member
            received:
              cdg: {presented: "2029-03-05", delivered: 2029-03-07}
          - {date: 2030-01-01, type: signed}
        expect:
          termination: null
        """))
    assert s.start == D(2026, 1, 1)
    a, b, c = s.events
    assert a.received == (("member", Receipt(presented=D(2029, 3, 5), unclaimed=True)),)
    assert (a.sent, a.reason, a.line) == (D(2029, 3, 1), "non_payment", 8)
    assert b.received == (("cdg", Receipt(presented=D(2029, 3, 5), delivered=D(2029, 3, 7))),)
    assert isinstance(c, Signed) and c.ref is None
    assert s.expect["termination"] is None


def test_termination_expectation_keeps_a_null_notified():
    s = load_scenario(HEAD + "expect:\n  termination: {by: expiry, notified: null, last_day: 2028-12-31}\n")
    assert s.expect["termination"]["notified"] is None


def test_error_is_one_line_and_pickles():
    e = ScenarioError("a.yaml", 3, "bad\nthing")
    assert str(e) == "a.yaml:3: bad\\nthing" and "\n" not in str(e)
    assert (e.file, e.line) == ("a.yaml", 3)
    again = pickle.loads(pickle.dumps(e))
    assert str(again) == str(e)


def test_error_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + "colour: blue\n", encoding="utf-8")
    e = fails(str(path))
    assert str(e).startswith(f"{path}:7: ")
    assert fails(HEAD + "colour: blue\n", filename="scenarios/x.yaml").file == "scenarios/x.yaml"


# --------------------------------------------------------------------------- bad input, with its line


@pytest.mark.parametrize("where, text, line", [
    ("start", HEAD.replace("2026-01-01", "2026-02-30"), 4),
    ("event", with_events("  - {date: 2026-02-30, type: payment, amount: 5}"), 8),
    ("horizon", HEAD + "horizon: 2027-13-01\n", 7),
])
def test_invalid_dates(where, text, line):
    e = fails(text)
    assert e.line == line
    assert "invalid date 2026-02-30" in e.message or "invalid date 2027-13-01" in e.message


def test_text_where_a_date_belongs():
    e = fails(HEAD.replace("2026-01-01", "tomorrow"))
    assert e.line == 4 and e.message == 'start: expected a date YYYY-MM-DD, got the text "tomorrow"'


def test_unknown_event_type():
    e = fails(with_events("  - date: 2026-01-20", "    type: paiement", "    amount: 5"))
    assert e.line == 9
    assert 'unknown event type "paiement"' in e.message
    assert "payment, consultations, agents, amendment, notice, dispute, signed" in e.message


def test_unknown_top_level_key():
    e = fails(HEAD + "colour: blue\n")
    assert e.line == 7 and "unknown key 'colour'" in e.message and "horizon" in e.message


def test_unknown_key_in_an_event():
    e = fails(with_events("  - date: 2026-01-20", "    type: payment", "    amount: 5", "    currency: EUR"))
    assert e.line == 11
    assert e.message == "event 1 (payment): unknown key 'currency' (allowed: date, type, amount, for)"


def test_a_payment_names_the_year_it_pays():
    s = load_scenario(with_events('  - {date: 2026-01-20, type: payment, amount: "5.00", for: 2026}',
                                  '  - {date: 2026-01-21, type: payment, amount: "5.00", for: null}',
                                  '  - {date: 2026-01-22, type: payment, amount: "5.00"}'))
    assert [e.for_year for e in s.events] == [2026, None, None]


@pytest.mark.parametrize("value, message", [
    ('"abc"', 'event 1 (payment): for: expected a year such as 2026, got the text "abc"'),
    ("2026.5", "event 1 (payment): for: expected a year such as 2026, got the number 2026.5"),
    ("true", "event 1 (payment): for: expected a year such as 2026, got true"),
    ("[2026]", "event 1 (payment): for: expected a year such as 2026, got a list"),
    ("99999", "event 1 (payment): for: year 99999 is out of range"),
])
def test_bad_for(value, message):
    e = fails(with_events("  - date: 2026-01-20", "    type: payment", "    amount: 5", f"    for: {value}"))
    assert e.line == 11 and e.message.startswith(message), e.message
    assert "\n" not in str(e)


def test_unknown_key_in_overrides():
    e = fails(HEAD + "overrides:\n  notice:\n    extend_to_workday: true\n")
    assert e.line == 9
    assert "overrides: notice.extend_to_workday: unknown parameter" in e.message


def test_bad_value_in_overrides_and_amendment():
    e = fails(HEAD + "overrides:\n  term:\n    renewal: sometimes\n")
    assert e.line == 9 and "term.renewal" in e.message
    e = fails(with_events(
        "  - date: 2027-06-01",
        "    type: amendment",
        "    effective: 2028-01-01",
        "    set:",
        "      contribution: {grid: {large: [1, 2]}, colour: red}",
    ))
    assert e.line == 12 and "event 1 (amendment): set: contribution.colour" in e.message


@pytest.mark.parametrize("amount, message", [
    ('"-5"', 'event 1 (payment): amount "-5" is negative'),
    ("-5", 'event 1 (payment): amount "-5" is negative'),
    ("0", 'event 1 (payment): amount "0" is zero'),
    ('"0.00"', 'event 1 (payment): amount "0.00" is zero'),
    ("1000.123", 'event 1 (payment): amount "1000.123" has more than two decimals'),
    ('"12,50"', 'event 1 (payment): amount: expected an amount such as "1000.00", got the text "12,50"'),
    ("12 EUR", 'event 1 (payment): amount: expected an amount such as "1000.00", got the text "12 EUR"'),
    ("true", 'event 1 (payment): amount: expected an amount such as "1000.00", got true'),
])
def test_bad_amounts(amount, message):
    e = fails(with_events("  - date: 2026-01-20", "    type: payment", f"    amount: {amount}"))
    assert (e.line, e.message) == (10, message)


def test_unknown_party():
    e = fails(with_events("  - {date: 2029-03-14, type: notice, by: mayor, received: {cdg: 2029-03-12}}"))
    assert e.line == 8
    assert e.message == 'event 1 (notice): by: unknown value "mayor" (expected one of member, cdg)'


def test_unknown_recipient():
    e = fails(with_events(
        "  - date: 2029-03-14",
        "    type: notice",
        "    by: member",
        "    received:",
        "      cdg: 2029-03-12",
        "      prefect: 2029-03-12",
    ))
    assert e.line == 13 and "unknown recipient 'prefect' (expected one of cdg, archives)" in e.message


def test_a_party_does_not_receive_its_own_notice():
    e = fails(with_events("  - {date: 2029-03-14, type: notice, by: cdg,", "     received: {cdg: 2029-03-12}}"))
    assert e.line == 9 and "a notice by cdg is not received by cdg" in e.message


def test_notice_needs_a_receipt():
    e = fails(with_events("  - {date: 2029-03-14, type: notice, by: cdg, received: {}}"))
    assert e.line == 8 and "at least one recipient" in e.message


@pytest.mark.parametrize("field, value, line, message", [
    ("agents", '"twelve"', 6, 'member: agents: expected a whole number, got the text "twelve"'),
    ("agents", '"12"', 6, 'member: agents: expected a whole number, got the text "12"'),
    ("agents", "12.5", 6, "member: agents: expected a whole number, got the number 12.5"),
    ("agents", "-3", 6, "member: agents: -3 is negative"),
    ("agents", "10000000000", 6, "member: agents: 10000000000 is too large (at most 1000000000)"),
    ("name", "42", 3, "name: expected text, got the number 42"),
])
def test_wrong_kind_of_value(field, value, line, message):
    text = HEAD.replace("agents: 12", f"agents: {value}") if field == "agents" else \
        HEAD.replace("name: Commune de Test", f"name: {value}")
    e = fails(text)
    assert (e.line, e.message) == (line, message)


def test_count_and_year_limits():
    e = fails(with_events("  - {date: 2027-01-12, type: consultations, year: 2026, count: many}"))
    assert e.line == 8 and "count: expected a whole number" in e.message
    e = fails(with_events("  - {date: 2027-01-12, type: consultations, year: 3026, count: 5}"))
    assert e.line == 8 and "year 3026 is out of range" in e.message
    e = fails(HEAD + "consultations:\n  2022: 283\n  1066: 1\n")
    assert e.line == 9 and "year 1066 is out of range" in e.message
    e = fails(HEAD + "consultations:\n  2022: 283\n  \"2022\": 1\n")
    assert e.line == 9 and "year 2022 is given twice" in e.message


@pytest.mark.parametrize("receipt, line, message", [
    ("      archives: 2029-03-15", 12, "received 2029-03-15, event dated 2029-03-14"),
    ("      archives: {presented: 2029-03-16, unclaimed: true}", 12, "presented 2029-03-16"),
    ("      archives: {presented: 2029-03-10, delivered: 2029-03-18}", 12, "delivered 2029-03-18"),
])
def test_receipt_dated_after_the_event(receipt, line, message):
    e = fails(with_events(
        "  - date: 2029-03-14",
        "    type: notice",
        "    by: member",
        "    received:",
        receipt,
        "      cdg: 2029-03-12",
    ))
    assert e.line == line
    assert "event 1 (notice): received by archives: receipt dated after the event" in e.message
    assert message in e.message


def test_bad_registered_letters():
    base = ["  - date: 2029-03-14", "    type: notice", "    by: member", "    received:"]
    e = fails(with_events(*base, "      cdg: {presented: 2029-03-10, delivered: 2029-03-09}"))
    assert e.line == 12 and "delivered 2029-03-09 is before presented 2029-03-10" in e.message
    e = fails(with_events(*base, "      cdg: {presented: 2029-03-10}"))
    assert e.line == 12 and "unclaimed: true" in e.message
    e = fails(with_events(*base, "      cdg: {delivered: 2029-03-10}"))
    assert e.line == 12 and "missing 'presented'" in e.message


def test_yaml_syntax_error():
    e = fails(HEAD + "events:\n  - {date: 2026-01-20, type: payment\nhorizon: 2030-01-01\n")
    assert e.line == 9 and e.message.startswith("YAML syntax error: ")
    e = fails("scenario: 1\nname: a: b\n")
    assert e.line == 2 and e.message.startswith("YAML syntax error: mapping values are not allowed")


@pytest.mark.parametrize("value", [
    "!!python/object/apply:os.system [echo hacked]",
    "!!str Commune",
    "!local Commune",
])
def test_yaml_tags_are_refused(value):
    e = fails(HEAD.replace("name: Commune de Test", f"name: {value}"))
    assert e.line == 3 and e.message.startswith("YAML tags are not allowed")


def test_anchors_are_refused():
    e = fails(HEAD + "horizon: &h 2030-01-01\n")
    assert e.line == 7 and e.message == "YAML anchors and aliases are not allowed"


def test_alias_bomb_fails_fast():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    started = time.perf_counter()
    e = fails("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1
    assert e.line == 1 and "anchors and aliases" in e.message


def test_duplicate_keys():
    e = fails(HEAD + "start: 2026-02-01\n")
    assert e.line == 7 and e.message == "duplicate key 'start' (first on line 4)"


def test_horizon_before_start():
    e = fails(HEAD + "horizon: 2025-12-31\n")
    assert (e.line, e.message) == (7, "horizon 2025-12-31 is before the start 2026-01-01")


def test_deep_nesting():
    e = fails(HEAD + "overrides: " + "[" * 100 + "]" * 100 + "\n")
    assert e.line == 7 and "nested more than 50 levels" in e.message
    deep: dict = {}
    for _ in range(2000):
        deep = {"x": deep}
    e = fails(deep)
    assert e.file == "<mapping>" and e.line == 0 and "nested" in e.message


@pytest.mark.parametrize("text, line, message", [
    ("- scenario: 1\n", 1, "the document is a list"),
    ("just words\n", 1, "the document is a single value"),
    ("--- ~\n", 1, "the document is empty"),
    (HEAD + "---\nscenario: 1\n", 7, "one YAML document"),
])
def test_not_a_single_mapping(text, line, message):
    e = fails(text)
    assert e.line == line and message in e.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    e = fails(str(path))
    assert (e.file, e.line) == (str(path), 1) and "empty" in e.message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.replace("Commune de Test", "Département").encode("latin-1"))
    e = fails(str(path))
    assert e.line == 3 and "not UTF-8" in e.message


def test_too_large(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (5 * 1024 * 1024 + 1))
    e = fails(str(path))
    assert e.line == 0 and "larger than 5 MB" in e.message


def test_missing_file():
    e = fails("scenarios/nowhere.yaml")
    assert (e.file, e.line, e.message) == ("scenarios/nowhere.yaml", 0, "no such file")


def test_missing_required_field():
    e = fails(HEAD.replace("member:\n  agents: 12\n", ""))
    assert e.line == 1 and "missing 'member'" in e.message
    e = fails(with_events("  - {type: payment, amount: 5}"))
    assert e.line == 8 and e.message == "event 1 (payment): missing 'date'"


def test_version_and_convention():
    e = fails(HEAD.replace("scenario: 1", "scenario: 2"))
    assert e.line == 1 and "format version must be 1" in e.message
    e = fails(HEAD.replace("cdg62-demat", "cdg99"))
    assert e.line == 2 and "unknown convention 'cdg99'" in e.message


def test_bad_expect():
    e = fails(HEAD + "expect:\n  states: {2029-05-15: finished}\n")
    assert e.line == 8 and 'unknown value "finished"' in e.message
    e = fails(HEAD + "expect:\n  contributions:\n    2027: {band: 3, due: 1000.001}\n")
    assert e.line == 9 and 'due "1000.001" has more than two decimals' in e.message
    e = fails(HEAD + "expect:\n  termination: {by: member, when: 2029-05-14}\n")
    assert e.line == 8 and "unknown key 'when'" in e.message


def test_a_number_too_large_to_be_sensible():
    e = fails(with_events("  - {date: 2026-01-20, type: payment, amount: 1e999999999}"))
    assert e.line == 8 and "out of range" in e.message


# Whatever the text, the loader answers with a Scenario or a ScenarioError, never another exception.
@given(st.integers(0, len(SPEC_EXAMPLE) - 1), st.integers(0, 40),
       st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#\n\t 0123456789.ab")), max_size=8))
def test_mangled_text_never_escapes_as_another_exception(at, cut, insert):
    text = SPEC_EXAMPLE[:at] + insert + SPEC_EXAMPLE[at + cut:]
    try:
        load_scenario(text)
    except ScenarioError as e:
        assert "\n" not in str(e) and e.line >= 0


def test_control_character():
    e = fails(HEAD.replace("Commune de Test", "Communé de\x07Test"))
    assert e.line == 3 and e.message == "the file holds a control character (U+0007) that YAML does not allow"


def test_a_folder_is_not_a_scenario(tmp_path):
    e = fails(str(tmp_path))
    assert (e.file, e.line, e.message) == (str(tmp_path), 0, "is a directory, not a scenario file")


def test_convention_given_as_a_path_beside_the_scenario(tmp_path):
    from engine.conventions import rulesfile

    shipped = rulesfile.find("cdg62-demat")
    (tmp_path / "mine.yaml").write_text(open(shipped, encoding="utf-8").read(), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(HEAD.replace("cdg62-demat", "mine.yaml"), encoding="utf-8")
    s = load_scenario(tmp_path / "s.yaml")
    assert s.convention == "mine.yaml" and s.rules_path == str(tmp_path / "mine.yaml")
