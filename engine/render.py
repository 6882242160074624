"""Human and spreadsheet formats of a timeline: pure functions from values to text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, Mapping

from tabulate import tabulate

from . import rulesfile
from .money import fmt
from .timeline import Timeline, _plain

LABELS = {
    "en": {
        "periods": "Periods", "contributions": "Contributions", "entries": "Entries",
        "diagnostics": "Diagnostics", "termination": "Termination", "none": "none",
        "from": "from", "to": "to", "state": "state", "standing": "standing", "notice": "notice",
        "year": "year", "band": "band", "column": "column", "annual": "annual",
        "covered": "days", "due": "due", "paid": "paid", "balance": "balance",
        "called_on": "called on", "date": "date", "kind": "kind", "article": "article",
        "rule": "rule", "detail": "detail", "level": "level", "code": "code", "message": "message",
        "unallocated": "Unallocated", "yes": "yes", "no": "", "open": "…",
        "by": "by", "notified": "notified", "last_day": "last day", "immediate": "immediate",
        "on": "on",
    },
    "fr": {
        "periods": "Périodes", "contributions": "Contributions", "entries": "Événements",
        "diagnostics": "Avertissements", "termination": "Fin de la convention", "none": "aucune",
        "from": "du", "to": "au", "state": "état", "standing": "paiements", "notice": "préavis",
        "year": "année", "band": "tranche", "column": "colonne", "annual": "annuel",
        "covered": "jours", "due": "dû", "paid": "payé", "balance": "solde",
        "called_on": "appelée le", "date": "date", "kind": "événement", "article": "article",
        "rule": "règle", "detail": "détail", "level": "niveau", "code": "code", "message": "message",
        "unallocated": "Non affecté", "yes": "oui", "no": "", "open": "…",
        "by": "par", "notified": "notifiée le", "last_day": "dernier jour", "immediate": "immédiate",
        "on": "le",
    },
}

VALUES_FR = {
    "initial_term": "durée initiale", "renewed": "reconduite", "terminated": "terminée",
    "current": "à jour", "in_default": "défaut de paiement", "member": "collectivité",
    "cdg": "CdG62", "expiry": "échéance", "small": "moins de 350 agents",
    "large": "plus de 350 agents", "warning": "attention", "info": "info",
}


def day(d: dt.date | None, lang: str = "en") -> str:
    if d is None:
        return ""
    return d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat()


def amount(a: Decimal, lang: str = "en") -> str:
    text = fmt(a)
    if lang != "fr":
        return text
    sign = "-" if text.startswith("-") else ""
    whole, cents = text.lstrip("-").split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents} €"  # 1 000,00 €


def word(value: str, lang: str) -> str:
    return VALUES_FR.get(value, value) if lang == "fr" else value


def _detail(detail: Mapping, lang: str) -> str:
    parts = []
    for k, v in sorted(detail.items()):
        if v is None or isinstance(v, Mapping):
            continue
        if isinstance(v, dt.date):
            v = day(v, lang)
        elif isinstance(v, Decimal):
            v = amount(v, lang)
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def table(t: Timeline, lang: str = "en") -> str:
    L = LABELS[lang]
    out = [f"{t.name} — {t.convention} ({day(t.start, lang)} → {day(t.horizon, lang)})", ""]
    out.append(L["periods"])
    out.append(tabulate(
        [[day(p.start, lang), day(p.end, lang) if p.end else L["open"], word(p.state, lang),
          word(p.standing, lang), L["yes"] if p.notice else L["no"]] for p in t.periods],
        headers=[L["from"], L["to"], L["state"], L["standing"], L["notice"]]))
    out.append("")
    out.append(f"{L['termination']}: " + (
        L["none"] if t.termination is None else
        f"{L['by']} {word(t.termination.by, lang)}, {L['notified']} {day(t.termination.notified, lang) or '-'}, "
        f"{L['last_day']} {day(t.termination.last_day, lang)}"
        + (f", {L['immediate']}" if t.termination.immediate else "")
        + f" ({t.termination.rule})"))
    out.append("")
    out.append(L["contributions"])
    out.append(tabulate(
        [[c.year, c.band, word(c.column, lang), amount(c.annual, lang), f"{c.covered_days}/{c.year_days}",
          amount(c.due, lang), amount(c.paid, lang), amount(c.balance, lang), day(c.called_on, lang)]
         for c in t.contributions],
        headers=[L["year"], L["band"], L["column"], L["annual"], L["covered"], L["due"], L["paid"],
                 L["balance"], L["called_on"]],
        disable_numparse=True, colalign=("left",) * 3 + ("right",) * 5 + ("left",)))
    if t.unallocated:
        out.append(f"{L['unallocated']}: {amount(t.unallocated, lang)}")
    out.append("")
    out.append(L["entries"])
    out.append(tabulate(
        [[day(e.date, lang), e.kind, e.article, e.rule, _detail(e.detail, lang)] for e in t.entries],
        headers=[L["date"], L["kind"], L["article"], L["rule"], L["detail"]], disable_numparse=True))
    if t.diagnostics:
        out.append("")
        out.append(L["diagnostics"])
        out.append(tabulate(
            [[day(d.date, lang), word(d.level, lang), d.code, d.message] for d in t.diagnostics],
            headers=[L["date"], L["level"], L["code"], L["message"]], disable_numparse=True))
    return "\n".join(out) + "\n"


def entries_csv(t: Timeline) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["date", "kind", "rule", "article", "detail"])
    for e in t.entries:
        w.writerow([e.date.isoformat(), e.kind, e.rule, e.article,
                    json.dumps(_plain(e.detail), ensure_ascii=False, sort_keys=True)])
    return buf.getvalue()


def state(t: Timeline, on: dt.date, lang: str = "en") -> str:
    L = LABELS[lang]
    p = t.period_on(on)
    if p is None:
        return f"{day(on, lang)}: not in force (before the start {day(t.start, lang)})\n"
    lines = [f"{L['on']} {day(on, lang)}: {word(p.state, lang)}, {word(p.standing, lang)}"
             + (f", {L['notice']}" if p.notice else "")]
    c = t.contribution(on.year)
    if c is not None:
        lines.append(f"{on.year}: {L['due']} {amount(c.due, lang)}, {L['paid']} {amount(c.paid, lang)}, "
                     f"{L['balance']} {amount(c.balance, lang)}")
    if t.termination is not None:
        lines.append(f"{L['termination']}: {L['by']} {word(t.termination.by, lang)}, "
                     f"{L['last_day']} {day(t.termination.last_day, lang)}")
    return "\n".join(lines) + "\n"


def catalogue(rules_id: str | None) -> str:
    """The rules catalogue: rule, article, what it decides; and the parameters with their clauses."""
    ids = [rules_id] if rules_id else list(rulesfile.shipped_ids())
    out = []
    for rid in ids:
        rf = rulesfile.load(rulesfile.find(rid))
        out.append(f"{rf.id} — {rf.title}")
        out.append("")
        out.append(tabulate([[r, v["article"], v["decides"]] for r, v in rf.catalogue.items()],
                            headers=["rule", "article", "decides"], maxcolwidths=[None, None, 70]))
        out.append("")
        out.append(tabulate([[path, _value(node.get("value")), node["article"], node["clause"]]
                             for path, node in _leaves(rf.sources)],
                            headers=["parameter", "value", "article", "clause"],
                            maxcolwidths=[None, 30, None, 60], disable_numparse=True))
        out.append("")
    return "\n".join(out)


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


def _leaves(tree: Mapping, prefix: str = ""):
    for k, node in tree.items():
        if isinstance(node, Mapping) and "value" in node:
            yield prefix + k, node
        elif isinstance(node, Mapping):
            yield from _leaves(node, prefix + k + ".")
