"""Human and spreadsheet formats of a timeline: pure functions from values to text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from typing import Any, Mapping

from tabulate import tabulate

from ..core import dates, money
from ..conventions import rulesfile
from . import i18n
from .i18n import LABELS
from ..core.money import fmt
from ..answers.deadlines import received_text, texts
from ..core.timeline import Timeline, plain_detail

day = dates.day_text
amount = money.amount_text


def word(value: str, lang: str, rules: Any = None) -> str:
    """A value as a reader of ``lang`` reads it (:func:`engine.present.i18n.word`); ``rules`` is a
    RulesFile or a Timeline."""
    return i18n.word(value, lang, rules_of(rules) if lang == "fr" else None)


def rules_of(x: Any) -> Any:
    """The rules file behind a Timeline (or a RulesFile itself; None when unknown)."""
    if x is None or isinstance(x, rulesfile.RulesFile):
        return x
    scenario = getattr(x, "scenario", None)
    return None if scenario is None else rulesfile.of_scenario(scenario)


def contribution_rows(t: Timeline, lang: str) -> tuple[list[str], list[list], int]:
    """Headers and cells of the contributions table: the period, the figures the rules file
    lists, then the money; and how many leading columns are text (the rest is numbers)."""
    L = LABELS[lang]
    rules = rules_of(t)
    names = [k for k, _, _ in t.contributions[0].figures] if t.contributions else []
    yearly = all(c.yearly for c in t.contributions)
    heads = [L["year"] if yearly else L["call_period"]]
    heads += [word(n, lang, rules) if lang == "fr" else n for n in names]
    heads += [L["annual"], L["covered"], L["due"], L["paid"], L["balance"], L["called_on"]]
    rows = []
    for c in t.contributions:
        row: list = [c.year if c.yearly else day(c.first, lang)]
        for _, typ, v in c.figures:
            if v is None:
                row.append("-")
            elif typ == "name":
                row.append(word(v, lang, rules))
            elif typ == "amount":
                row.append(amount(v, lang))
            elif typ == "rate" and isinstance(v, Decimal):
                row.append(i18n.rate_text(v, lang))
            else:
                row.append(format(v, "f") if isinstance(v, Decimal) else str(v))
        row += [amount(c.annual, lang), f"{c.covered_days}/{c.period_days}", amount(c.due, lang),
                amount(c.paid, lang), amount(c.balance, lang), day(c.called_on, lang)]
        rows.append(row)
    return heads, rows, 1 + len(names)


def _detail(detail: Mapping, lang: str, rules: Any = None) -> str:
    """An entry's detail as `key=value` pairs; in French, the keys and values are French words
    (the engine's catalogue, else the rules file's labels)."""
    parts = []
    # the figures the rules file types as rates (written as they are, "0.0033", in the detail)
    rates = {n for n, typ in rules.amount.row if typ == "rate"} if rules is not None else set()
    for k, v in sorted(detail.items()):
        if v is None or isinstance(v, Mapping):
            continue
        if lang == "fr":
            key = _detail_key(k, rules)
            if k.removeprefix("previous_") in rates and isinstance(v, (str, Decimal)):
                parts.append(f"{key} = {i18n.rate_text(Decimal(v), lang)}")
                continue
            parts.append(f"{key} = {i18n.format_value(v, lang, rules)}")
            continue
        if isinstance(v, dt.date):
            v = day(v, lang)
        elif isinstance(v, Decimal):
            v = amount(v, lang)
        parts.append(f"{k}={v}")
    return "; ".join(parts) if lang == "fr" else ", ".join(parts)


def _detail_key(k: str, rules: Any) -> str:
    """A detail key in French: the engine's word, else the rules file's label; a former value
    (``previous_band``) as "tranche (avant)"."""
    if k in i18n.DETAIL_KEYS_FR:
        return i18n.DETAIL_KEYS_FR[k]
    if k.startswith("previous_"):
        return f"{_detail_key(k[len('previous_'):], rules)} (avant)"
    return rules.label(k, "fr") if rules is not None else k


def kind(value: str, lang: str, rules: Any = None) -> str:
    """An entry's kind as a reader of ``lang`` reads it."""
    if lang != "fr":
        return value
    return i18n.KINDS_FR.get(value) or (rules.label(value, lang) if rules is not None else value)


def termination_text(t: Timeline, lang: str = "en", rule_ids: bool | None = None) -> str:
    """The termination in one line: who, when notified, the last day, and the rule (or, without
    rule ids, the article it applies: the French default, see :func:`table`)."""
    L = LABELS[lang]
    r = t.termination
    if r is None:
        return L["none"]
    if r.by == "expiry":
        text = f"{L['expiry_end']}, {L['last_day']} {day(r.last_day, lang)}"
    else:
        text = (f"{L['by']} {word(r.by, lang, t)}, {L['notified']} {day(r.notified, lang)}, "
                f"{L['last_day']} {day(r.last_day, lang)}"
                + (f", {L['immediate']}" if r.immediate else ""))
    if rule_ids if rule_ids is not None else lang != "fr":
        return text + f" ({r.rule})"
    rf = rules_of(t)
    rule = None if rf is None else rf.rules.get(r.rule)
    return text + (f" ({i18n.article_text(rule.article, lang, rf)})" if rule is not None else "")


def table(t: Timeline, lang: str = "en", rule_ids: bool | None = None) -> str:
    """The timeline as text tables. ``rule_ids``: show the rule ids (the entries' `rule` column
    and the termination's rule); by default in English, not in French, where a reader has the
    article instead (`run --rule-ids` / `--no-rule-ids`)."""
    L = LABELS[lang]
    if rule_ids is None:
        rule_ids = lang != "fr"
    out = [f"{t.name} — {t.convention} ({day(t.start, lang)} → {day(t.horizon, lang)})", ""]
    out.append(L["periods"])
    out.append(tabulate(
        [[day(p.start, lang), day(p.end, lang) if p.end else L["open"], word(p.state, lang),
          word(p.standing, lang), L["yes"] if p.notice else L["no"]] for p in t.periods],
        headers=[L["from"], L["to"], L["state"], L["standing"], L["notice"]]))
    out.append("")
    out.append(f"{L['termination']}{L['colon']}{termination_text(t, lang, rule_ids)}")
    out.append("")
    out.append(L["contributions"])
    heads, rows, text_columns = contribution_rows(t, lang)
    out.append(tabulate(rows, headers=heads, disable_numparse=True,
                        colalign=("left",) * text_columns + ("right",) * 5 + ("left",)))
    if t.unallocated:
        out.append(f"{L['unallocated']}{L['colon']}{amount(t.unallocated, lang)}")
    out.append("")
    out.append(L["entries"])
    rules = rules_of(t) if lang == "fr" else None
    rows = [[day(e.date, lang), kind(e.kind, lang, rules), i18n.article_text(e.article, lang, rules)]
            + ([e.rule] if rule_ids else []) + [_detail(e.detail, lang, rules)] for e in t.entries]
    out.append(tabulate(
        rows, headers=[L["date"], L["kind"], L["article"]] + ([L["rule"]] if rule_ids else [])
        + [L["detail"]], disable_numparse=True))
    if t.diagnostics:
        out.append("")
        out.append(L["diagnostics"])
        if lang == "fr":  # the codes are identifiers: the French table gives the message alone
            out.append(tabulate(
                [[day(d.date, lang), word(d.level, lang), d.text(lang)] for d in t.diagnostics],
                headers=[L["date"], L["level"], L["message"]], disable_numparse=True))
        else:
            out.append(tabulate(
                [[day(d.date, lang), word(d.level, lang), d.code, d.message] for d in t.diagnostics],
                headers=[L["date"], L["level"], L["code"], L["message"]], disable_numparse=True))
    return "\n".join(out) + "\n"


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection"): a leading =, +, -
# or @, and a tab or carriage return before one of them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading
    apostrophe (which the spreadsheet hides). A number the engine wrote (``-321.92``,
    ``-321,92``) stays a number."""
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def entries_csv(t: Timeline, lang: str = "en", rule_ids: bool | None = None) -> str:
    """The entries as CSV: as they are (commas, ISO dates, the kind's id, the rule id, the detail
    as JSON); or (``lang="fr"``) as a French spreadsheet reads them, as `batch --lang fr` writes
    them: a UTF-8 byte order mark, semicolons, French headers, dates as 31/12/2026, the kind and
    the article in French, the detail as the French table writes it, and no rule column unless
    ``rule_ids``."""
    buf = io.StringIO()
    if lang != "fr":
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["date", "kind", "rule", "article", "detail"])
        for e in t.entries:
            w.writerow([csv_cell(v) for v in (
                e.date.isoformat(), e.kind, e.rule, e.article,
                json.dumps(plain_detail(e.detail), ensure_ascii=False, sort_keys=True))])
        return buf.getvalue()
    L = LABELS[lang]
    rules = rules_of(t)
    buf.write("\ufeff")  # the byte order mark tells a spreadsheet the file is UTF-8
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow([L["date"], L["kind"]] + ([L["rule"]] if rule_ids else []) + [L["article"], L["detail"]])
    for e in t.entries:
        w.writerow([csv_cell(v) for v in (
            [e.date.strftime("%d/%m/%Y"), kind(e.kind, lang, rules)] + ([e.rule] if rule_ids else [])
            + [i18n.article_text(e.article, lang, rules), _detail(e.detail, lang, rules)])])
    return buf.getvalue()


def termination_line(t: Timeline, on: dt.date, lang: str = "en") -> str:
    """The termination or notice state on ``on``, with hindsight (as the periods show it)."""
    L = LABELS[lang]
    r = t.termination
    if r is None:
        return L["no_termination"]
    by = word(r.by, lang, t)
    notified = day(r.notified, lang) or "-"
    last = day(r.last_day, lang)
    if on > r.last_day:
        since = day(r.last_day + dt.timedelta(days=1), lang)
        if r.notified is None:  # the expiry
            return L["expired_since"].format(since=since, last=last)
        return L["terminated_since"].format(since=since, by=by, notified=notified, last=last)
    if r.notified is None:  # the expiry, still ahead
        return L["expires"].format(last=last)
    if r.notified <= on:
        return L["notice_running"].format(by=by, notified=notified, last=last,
                                          left=(r.last_day - on).days) + \
            (f", {L['immediate']}" if r.immediate else "")
    return L["notice_later"].format(by=by, notified=notified, last=last)


def rounding_note(t: Timeline, year: int, lang: str = "en") -> str | None:
    """Why the calls of ``year`` do not add up to the annual amount, when they are whole calls
    covering the whole year at one annual amount (say four quarters): each call is its share of
    the annual amount rounded to the cent on its own, so their sum may miss it by a few cents.
    None when there is nothing to explain."""
    calls = [c for c in t.contributions if c.year == year]
    if len(calls) < 2 or any(c.yearly or c.covered_days != c.period_days for c in calls):
        return None
    annuals = {c.annual for c in calls}
    total = sum((c.due for c in calls), Decimal(0))
    if len(annuals) != 1 or sum(c.period_days for c in calls) != dates.year_days(year):
        return None
    annual = annuals.pop()
    if total == annual:
        return None
    L = LABELS[lang]
    dues = [c.due for c in calls]
    terms = (f"{len(dues)} × {amount(dues[0], lang)}" if len(set(dues)) == 1
             else " + ".join(amount(d, lang) for d in dues))
    return str(L["rounding"]).format(
        year=year, count=len(calls), sum=terms, total=amount(total, lang),
        gap=amount(abs(total - annual), lang), annual=amount(annual, lang),
        direction=L["rounding_more"] if total > annual else L["rounding_less"])


def state(t: Timeline, on: dt.date, lang: str = "en", money: Timeline | None = None,
          arrears: Any = None) -> str:
    """The state on ``on``; the year's figures from ``money`` (e.g. a replay up to ``on``, for
    the amounts as known that day) when given, else from ``t``; what is overdue and what that
    default allows from ``arrears`` (:class:`engine.answers.deadlines.Arrears`), when given."""
    L = LABELS[lang]
    p = t.period_on(on)
    if p is None:
        return f"{day(on, lang)}{L['colon']}{L['not_in_force'].format(start=day(t.start, lang))}\n"
    lines = [f"{L['on']} {day(on, lang)}{L['colon']}{word(p.state, lang)}, {word(p.standing, lang)}"
             + (f", {L['notice']}" if p.notice else "")]
    c = (money or t).year_total(on.year)
    if c is not None:
        lines.append(f"{on.year}{L['colon']}{L['due']} {amount(c.due, lang)}, {L['paid']} {amount(c.paid, lang)}, "
                     f"{L['balance']} {amount(c.balance, lang)}")
        note = rounding_note(money or t, on.year, lang)
        if note is not None:
            lines.append(note)
    lines.append(f"{L['termination']}{L['colon']}{termination_line(t, on, lang)}")
    lines.extend(arrears_lines(arrears, t, lang, ended=p.state == "terminated"))
    return "\n".join(lines) + "\n"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def arrears_lines(a: Any, rules: Any, lang: str = "en", ended: bool = False) -> list[str]:
    """What is overdue (:class:`engine.answers.deadlines.Arrears`): each amount and its due date, then
    what the default allows under the convention; no line when nothing is overdue."""
    if a is None or not a.overdue:
        return []
    L: Mapping[str, Any] = LABELS[lang]
    rf = rules_of(rules)

    def lab(x: str) -> str:
        return x if rf is None else rf.label(x, lang)

    out = [L["overdue_title"].format(on=day(a.on, lang))]
    out.extend("  " + L["overdue_line"].format(amount=amount(o.amount, lang),
                                               due_date=day(o.due_date, lang),
                                               period=day(o.period, lang)) for o in a.overdue)
    if a.at_once:
        out.extend(_capital(L["at_once"].format(party=lab(p), reason=lab(r))) for p, r in a.at_once)
    else:
        out.append(L["ended_no_at_once" if ended else "no_at_once"])
    return out


def deadlines(d, lang: str = "en") -> str:
    """The text of :class:`engine.answers.deadlines.Deadlines`."""
    L = LABELS[lang]
    out = [L["deadlines_title"].format(name=d.name, on=day(d.as_of, lang)), ""]
    if d.status == "not_started":
        out.append(L["dl_not_started"].format(start=day(d.start, lang)))
        out.append("")
        out.append(L["next_call"].format(call=day(d.next_call, lang), due=day(d.call_due, lang))
                   if d.next_call is not None else L["no_call"])
        return "\n".join(out) + "\n"
    if d.status in ("scheduled", "terminated"):
        key = "dl_expired" if d.status == "terminated" and d.termination_by == "expiry" else "dl_" + d.status
        out.append(L[key].format(by=word(d.termination_by, lang, d.rules),
                                 notified=day(d.notified, lang) or "-", last=day(d.last_day, lang)))
        if d.balance is not None:
            out.append(L["dl_owed" if d.balance > 0 else "dl_refund" if d.balance < 0 else "dl_settled"]
                       .format(amount=amount(abs(d.balance), lang)))
        owed = arrears_lines(d.arrears, d.rules, lang, ended=d.status == "terminated")
        if owed:
            out.extend([""] + owed)
        return "\n".join(out) + "\n"
    if d.status == "renewal":
        out.append(L["dl_renewal"].format(end=day(d.term_ends, lang), renewal=day(d.renewal_on, lang)))
    elif d.status == "indefinite":
        out.append(L["dl_indefinite"])
    else:
        out.append(L["dl_expiry"].format(end=day(d.term_ends, lang)))
    if d.exit_on is not None:
        out.append(L["dl_exit"].format(exit=day(d.exit_on, lang)))
    out.append("")
    with_by = d.status == "renewal" or d.exit_on is not None
    headers = [L["party"], L["period"]]
    if with_by:
        headers.append(L["notice_by"])
    headers.append(L["if_now"].format(on=day(d.as_of, lang)))
    rows = []
    for n in d.notices:
        row = [word(n.party, lang, d.rules), i18n.duration_text(n.period, lang)]
        if with_by:
            by = day(n.notice_by, lang) or "-"
            row.append(f"{by} ({L['passed']})" if n.passed else by)
        row.append(day(n.earliest_last_day, lang) or L["no_effect"])
        rows.append(row)
    out.append(tabulate(rows, headers=headers, disable_numparse=True))
    received = [received_text(d, n.party, n.notice_by, lang) + "." for n in d.notices
                if with_by and n.notice_by is not None and not n.passed]
    if received:
        out.extend([""] + received)
    owed = arrears_lines(d.arrears, d.rules, lang)
    if owed:
        out.extend([""] + owed)
    out.append("")
    out.append(L["next_call"].format(call=day(d.next_call, lang), due=day(d.call_due, lang))
               if d.next_call is not None else L["no_call"])
    return "\n".join(out) + "\n"


def whatif(w, lang: str = "en") -> str:
    """The two-column comparison of :class:`engine.answers.whatif.WhatIf`: the outcome, each side's end,
    the compared year's money, what is left on the hypothetical last day, and the payments the
    hypothesis leaves out."""
    L = LABELS[lang]
    cb, ch = w.year_totals()

    def end(t: Timeline) -> list[str]:
        r = t.termination
        if r is None:
            return [L["none"], "-", "-"]
        return [day(r.last_day, lang), word(r.by, lang, t),
                L["answer_yes"] if r.immediate else L["answer_no"]]

    def money(c, field: str) -> str:
        return amount(getattr(c, field), lang) if c is not None else L["not_called"]

    b, h = end(w.baseline), end(w.hypothesis)
    rows = [
        [L["outcome"], "", L["outcomes"][w.outcome]],
        [L["last_day_cap"], b[0], h[0]],
        [L["by_cap"], b[1], h[1]],
        [L["immediate_cap"], b[2], h[2]],
    ]
    for key, field in (("due_y", "due"), ("paid_y", "paid"), ("balance_y", "balance")):
        rows.append([L[key].format(year=w.year), money(cb, field), money(ch, field)])
    if w.settlement is not None:
        rows.append([L["owed_last_day"], "", amount(w.settlement.owed, lang)])
        rows.append([L["refund_last_day"], "", amount(w.settlement.refund, lang)])
    title = L["whatif_title"].format(name=w.baseline.name, party=word(w.party, lang, w.baseline),
                                     on=day(w.on, lang))
    if w.reason:
        title += L["whatif_reason"].format(reason=word(w.reason, lang, w.baseline))
    table_text = tabulate(rows, headers=["", L["baseline"], L["whatif"]], disable_numparse=True,
                          colalign=("left", "right", "right"))
    out = f"{title}\n\n{table_text}\n"
    if w.why is not None:
        rf = rules_of(w.baseline)
        lab = (lambda x: x) if rf is None else (lambda x: rf.label(x, lang))
        why: Mapping[str, str] = LABELS[lang]["why"]
        out += "\n" + why[w.why.code].format(
            reason=lab(w.reason or ""), party=lab(w.party), on=day(w.on, lang),
            amount=amount(w.why.overdue, lang), since=day(w.why.since, lang)) + "\n"
    if w.dropped:
        key = "dropped_one" if len(w.dropped) == 1 else "dropped_many"
        out += "\n" + L[key].format(count=len(w.dropped), last=day(w.hypothesis.termination.last_day, lang),
                                    amount=amount(w.dropped_total, lang)) + "\n"
    return out


def catalogue(rules_id: str | None) -> str:
    """The rules catalogue: rule, article, what it decides; and the parameters with their clauses."""
    ids = [rules_id] if rules_id else list(rulesfile.shipped_ids())
    out = []
    for rid in ids:
        rf = rulesfile.load(rulesfile.find(rid))
        out.append(f"{rf.id} — {rf.title}")
        if rf.base:
            out.append(f"extends {rf.base}: the rules in priority order, each with the base rule it "
                       "comes from")
        out.append("")
        rows = [[r, v["article"], v.get("clause", ""), v.get("decides", "")]
                for r, v in rf.catalogue.items()]
        headers = ["rule", "article", "clause", "decides"]
        if rf.base:
            rows = [row[:1] + [origin_text(rf.origins[row[0]])] + row[1:] for row in rows]
            rows += [[d["rule"], f"drops {b}", d["article"], d.get("clause", ""), d.get("decides", "")]
                     for b, d in rf.dropped.items()]
            headers = headers[:1] + ["from the base"] + headers[1:]
        out.append(tabulate(rows, headers=headers,
                            maxcolwidths=[None] * (len(headers) - 2) + [45, 50]))
        out.append("")
        out.append(tabulate([[path, _node_value(node), node["article"], node.get("clause", "")]
                             for path, node in rulesfile.leaves(rf.sources)],
                            headers=["parameter", "value", "article", "clause"],
                            maxcolwidths=[None, 30, None, 60], disable_numparse=True))
        out.append("")
    return "\n".join(out)


def origin_text(o: "rulesfile.Origin") -> str:
    """Where a rule of a catalogue comes from, in a few words: ``cites notice``, ``overrides
    event_after_termination``, ``as in the base`` (a base rule the file does not cite), ``own``."""
    if o.kind == "base":
        return "as in the base"
    return o.kind if o.base_rule is None else f"{o.kind} {o.base_rule}"


def _node_value(node: Mapping) -> str:
    """A parameter's value, or its dated values (``from 2027-01-01: 0.0036``)."""
    if "values" in node:
        return "; ".join(f"from {d}: {_value(v)}" for d, v in node["values"].items())
    return _value(node.get("value"))


def _value(v: Any) -> str:
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {', '.join(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ------------------------------------------------------------------ the portfolio


def _what(d, e, lang: str) -> str:
    summary, description = texts(d, e, lang)
    return description if e.party is not None else summary


def portfolio(sch, lang: str = "en") -> str:
    """The table of :class:`engine.application.Schedule`: one line per deadline, soonest first."""
    P = i18n.PORTFOLIO[lang]
    p = sch.portfolio
    title = P["title"].format(as_of=day(p.as_of, lang))
    if p.before != dt.date.max:
        title += P["until"].format(last=day(p.before - dt.timedelta(days=1), lang))
    if not sch.entries:
        return f"{title}\n\n{P['none']}\n"
    h = P["headers"]
    rows = [[day(due.date, lang), f"{due.name} ({due.convention})",
             d.label(due.party, lang) if due.party else "", _what(d, e, lang)]
            for due, d, e in sch.entries]
    table = tabulate(rows, headers=[h["date"], h["convention"], h["party"], h["what"]],
                     disable_numparse=True)
    return f"{title}\n\n{table}\n"


def portfolio_csv(sch, lang: str = "en") -> str:
    """The CSV of :class:`engine.application.Schedule`: as it is (commas, ISO dates, 1000.00),
    or (``lang="fr"``) as a French spreadsheet reads it, as ``convention batch`` writes it (a
    UTF-8 byte order mark, semicolons, 31/12/2026, a decimal comma, French words). A name or a
    file that would start a formula is neutralised as batch does (:func:`csv_cell`)."""
    P = i18n.PORTFOLIO[lang]
    cols = ("date", "kind", "name", "convention", "file", "party", "recipients", "working_day",
            "amount", "since", "what")
    buf = io.StringIO()
    if lang == "fr":
        buf.write("\ufeff")  # the byte order mark tells a spreadsheet the file is UTF-8
    w = csv.writer(buf, delimiter=";" if lang == "fr" else ",", lineterminator="\n")
    w.writerow([P["csv"][c] for c in cols])
    for due, d, e in sch.entries:
        figure = "" if due.amount is None else fmt(due.amount)
        w.writerow([csv_cell(c) for c in (
            day(due.date, lang), P["kinds"].get(due.kind, due.kind), due.name, due.convention,
            due.id, d.label(due.party, lang) if due.party else "",
            " + ".join(d.label(r, lang) for r in due.recipients),
            day(due.working_day, lang), figure.replace(".", ",") if lang == "fr" else figure,
            day(due.since, lang), _what(d, e, lang))])
    return buf.getvalue()
