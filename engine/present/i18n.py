"""Every word the engine itself shows a reader, in English and French: one catalogue.

A convention's own words (its parties, inputs, figures, values, entry kinds such as
`documents_available`, and its diagnostics' messages) come from its rules file (``labels:`` and
``messages:``); everything else a command prints comes from here. tests/test_french.py checks
that no English identifier or sentence reaches the French output of any command.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping

# The labels of the commands' texts and tables.
LABELS: dict[str, dict[str, Any]] = {  # words, and a few nested tables (Any: read as str or dict)
    "en": {
        "periods": "Periods", "contributions": "Contributions", "entries": "Entries",
        "diagnostics": "Diagnostics", "termination": "Termination", "none": "none",
        "from": "from", "to": "to", "state": "state", "standing": "standing", "notice": "notice",
        "year": "year", "call_period": "period", "annual": "annual",
        "covered": "days", "due": "due", "paid": "paid", "balance": "balance",
        "called_on": "called on", "date": "date", "kind": "kind", "article": "article",
        "rule": "rule", "detail": "detail", "level": "level", "code": "code", "message": "message",
        "unallocated": "Unallocated", "yes": "yes", "no": "", "open": "…",
        "by": "by", "notified": "notified", "last_day": "last day", "immediate": "immediate",
        "expiry_end": "expiry",
        "expired_since": "terminated since {since} (expiry, last day {last})",
        "on": "on", "colon": ": ",
        # state, deadlines, whatif
        "not_in_force": "not yet in force (it starts on {start})",
        "rounding": "{year}: each of the {count} calls is rounded to the cent on its own: {sum} = "
                    "{total}, {gap} {direction} than the annual amount {annual}",
        "rounding_more": "more", "rounding_less": "less",
        "no_termination": "none (no notice given)",
        "terminated_since": "terminated since {since} (by {by}, notified {notified}, last day {last})",
        "notice_running": "notice given by {by}, notified {notified}; last day {last} ({left} days left)",
        "notice_later": "by {by}, notified {notified} (after this date), last day {last}",
        "expires": "expires after its last day {last}",
        "deadlines_title": "{name} — deadlines on {on}",
        "dl_renewal": "Current term ends {end}: tacit renewal on {renewal} unless notice is given in time.",
        "dl_indefinite": "No coming renewal: the initial term is over and the convention runs for an "
                         "indefinite duration; a notice ends it after its period.",
        "dl_expiry": "No coming renewal: the convention expires after its last day {end}.",
        "dl_exit": "Next exit date: {exit}; a notice must arrive in time for it.",
        "dl_scheduled": "A termination is scheduled: by {by}, notified {notified}, last day {last}. "
                        "No renewal or notice deadline to watch.",
        "dl_terminated": "The convention is terminated: by {by}, last day {last}.",
        "dl_expired": "The convention has expired: last day {last}.",
        "dl_not_started": "Not yet in force: the convention starts on {start}.",
        "dl_owed": "Still owed: {amount}.",
        "dl_refund": "A credit to refund: {amount}.",
        "dl_settled": "Nothing is owed either way.",
        "party": "party", "period": "notice period", "notice_by": "letter received by",
        "if_now": "last day if notified {on}", "passed": "passed", "no_effect": "no effect",
        "next_call": "Next contribution call: {call}, due by {due}.",
        "no_call": "No further contribution call while in force.",
        "whatif_title": "{name} — what if: notice by the {party} on {on}",
        "baseline": "baseline", "whatif": "what if", "outcome": "notice",
        "outcomes": {"accepted": "accepted", "superseded": "superseded (an earlier end rules)",
                     "refused": "refused (within the initial term)", "void": "no effect",
                     "no_effect": "no effect (already terminated)"},
        "last_day_cap": "last day", "by_cap": "ended by",
        "due_y": "{year} due", "paid_y": "{year} paid", "balance_y": "{year} balance",
        "not_called": "not called",
        # whatif: the hypothetical notice's reason, the end, what is left on the last day
        "whatif_reason": " (reason: {reason})", "immediate_cap": "immediate",
        "answer_yes": "yes", "answer_no": "no",
        "owed_last_day": "owed on the last day", "refund_last_day": "to refund on the last day",
        "dropped_one": "The hypothesis leaves out the scenario's payment dated after its last day "
                       "{last} ({amount}): it would not have been made.",
        "dropped_many": "The hypothesis leaves out the scenario's {count} payments dated after its "
                        "last day {last} ({amount} in all): they would not have been made.",
        # whatif: why the notice is, or is not, immediate
        "why": {
            "in_default": "Immediate: {reason} is a ground to end it at once under this convention, "
                          "and {amount} has been overdue since {since}.",
            "not_in_default": "Not immediate: nothing is overdue on {on}, so {reason} gives no "
                              "ground to end it at once; the notice runs its period.",
            "no_such_right": "Not immediate: this convention gives the {party} no right to end it "
                             "at once for {reason}; the notice runs its period.",
            "no_reason": "Not immediate: a notice given without a reason runs its period.",
            "no_effect": "Not immediate: the notice ends nothing.",
        },
        # state, deadlines, report: what is overdue and what the default allows
        "overdue_title": "Overdue on {on}:",
        "overdue_line": "{amount} due since {due_date} (call of {period})",
        "at_once": "The {party} may end the convention at once (notice for {reason}).",
        "no_at_once": "This convention gives no right to end it at once for this default.",
        "ended_no_at_once": "The convention has ended: the default allows no notice.",
        "nothing_overdue": "Nothing is overdue on {on}.",
        # batch: the CSV's headers and status values
        "batch_headers": {"file": "file", "status": "status", "name": "name", "as_of": "as_of",
                          "state": "state", "standing": "standing", "notice": "notice",
                          "termination_by": "termination_by", "last_day": "last_day",
                          "year": "year", "due": "due", "paid": "paid", "balance": "balance",
                          "error": "error"},
        "batch_status": {"ok": "ok", "error": "error"},
    },
    "fr": {
        "periods": "Périodes", "contributions": "Contributions", "entries": "Événements",
        "diagnostics": "Avertissements", "termination": "Fin de la convention", "none": "aucune",
        "from": "du", "to": "au", "state": "état", "standing": "paiements", "notice": "préavis",
        "year": "année", "call_period": "période", "annual": "annuel",
        "covered": "jours", "due": "dû", "paid": "payé", "balance": "solde",
        "called_on": "appelée le", "date": "date", "kind": "événement", "article": "article",
        "rule": "règle", "detail": "détail", "level": "niveau", "code": "code", "message": "message",
        "unallocated": "Non affecté", "yes": "oui", "no": "", "open": "…",
        "by": "par", "notified": "notifiée le", "last_day": "dernier jour", "immediate": "immédiate",
        "expiry_end": "arrivée à échéance",
        "expired_since": "terminée depuis le {since} (arrivée à échéance, dernier jour {last})",
        "on": "Au", "colon": " : ",  # French typography: a space before the colon
        "not_in_force": "pas encore en vigueur (début le {start})",
        "rounding": "{year} : chacun des {count} appels est arrondi au centime : {sum} = {total}, "
                    "soit {gap} de {direction} que le montant annuel de {annual}",
        "rounding_more": "plus", "rounding_less": "moins",
        "no_termination": "aucune (pas de dénonciation)",
        "terminated_since": "terminée depuis le {since} (par {by}, notifiée le {notified}, dernier jour {last})",
        "notice_running": "dénonciation par {by}, notifiée le {notified} ; dernier jour {last} "
                          "(encore {left} jours)",
        "notice_later": "par {by}, notifiée le {notified} (après cette date), dernier jour {last}",
        "expires": "échéance après son dernier jour, le {last}",
        "deadlines_title": "{name} — échéances au {on}",
        "dl_renewal": "La période en cours finit le {end} : reconduction tacite le {renewal} sauf "
                      "dénonciation à temps.",
        "dl_indefinite": "Pas de reconduction à venir : la durée initiale est passée et la convention "
                         "court pour une durée indéterminée ; une dénonciation y met fin après le préavis.",
        "dl_exit": "Prochaine date de sortie : le {exit} ; la dénonciation doit arriver à temps.",
        "dl_expiry": "Pas de reconduction à venir : la convention prend fin après son dernier jour, "
                     "le {end}.",
        "dl_scheduled": "Une fin est programmée : par {by}, notifiée le {notified}, dernier jour {last}. "
                        "Aucune reconduction ni date limite de préavis à surveiller.",
        "dl_terminated": "La convention est terminée : par {by}, dernier jour {last}.",
        "dl_expired": "La convention est arrivée à échéance : dernier jour {last}.",
        "dl_not_started": "Pas encore en vigueur : la convention commence le {start}.",
        "dl_owed": "Reste dû : {amount}.",
        "dl_refund": "Crédit à rembourser : {amount}.",
        "dl_settled": "Rien n'est dû, ni d'un côté ni de l'autre.",
        "party": "partie", "period": "préavis", "notice_by": "lettre reçue au plus tard le",
        "if_now": "dernier jour si notifiée le {on}", "passed": "délai expiré", "no_effect": "sans effet",
        "next_call": "Prochain appel de contribution : {call}, à payer au plus tard le {due}.",
        "no_call": "Plus d'appel de contribution tant qu'elle est en vigueur.",
        "whatif_title": "{name} — hypothèse : dénonciation par {party} le {on}",
        "baseline": "référence", "whatif": "hypothèse", "outcome": "dénonciation",
        "outcomes": {"accepted": "acceptée", "superseded": "sans effet (une fin plus proche prévaut)",
                     "refused": "refusée (durée initiale)", "void": "sans effet",
                     "no_effect": "sans effet (déjà terminée)"},
        "last_day_cap": "dernier jour", "by_cap": "fin par",
        "due_y": "dû {year}", "paid_y": "payé {year}", "balance_y": "solde {year}",
        "not_called": "non appelée",
        "whatif_reason": " (motif : {reason})", "immediate_cap": "immédiate",
        "answer_yes": "oui", "answer_no": "non",
        "owed_last_day": "reste dû au dernier jour", "refund_last_day": "à rembourser au dernier jour",
        "dropped_one": "L'hypothèse écarte le paiement du scénario daté après son dernier jour, le "
                       "{last} ({amount}) : il n'aurait pas été fait.",
        "dropped_many": "L'hypothèse écarte les {count} paiements du scénario datés après son "
                        "dernier jour, le {last} ({amount} en tout) : ils n'auraient pas été faits.",
        "why": {
            "in_default": "Immédiate : le {reason} permet d'y mettre fin sans délai selon cette "
                          "convention, et {amount} sont impayés depuis le {since}.",
            "not_in_default": "Pas immédiate : rien n'est impayé le {on}, le {reason} ne permet donc "
                              "pas d'y mettre fin sans délai ; le préavis court.",
            "no_such_right": "Pas immédiate : cette convention ne donne pas à {party} le droit d'y "
                             "mettre fin sans délai pour {reason} ; le préavis court.",
            "no_reason": "Pas immédiate : une dénonciation sans motif suit son préavis.",
            "no_effect": "Pas immédiate : la dénonciation ne met fin à rien.",
        },
        "overdue_title": "Impayés au {on} :",
        "overdue_line": "{amount} dus depuis le {due_date} (appel du {period})",
        "at_once": "{party} peut mettre fin à la convention sans délai (dénonciation pour {reason}).",
        "no_at_once": "Cette convention ne donne pas le droit d'y mettre fin sans délai pour ce défaut.",
        "ended_no_at_once": "La convention est terminée : le défaut ne permet plus de dénonciation.",
        "nothing_overdue": "Rien n'est impayé au {on}.",
        "batch_headers": {"file": "fichier", "status": "statut", "name": "nom", "as_of": "au",
                          "state": "état", "standing": "paiements", "notice": "préavis",
                          "termination_by": "fin par", "last_day": "dernier jour",
                          "year": "année", "due": "dû", "paid": "payé", "balance": "solde",
                          "error": "erreur"},
        "batch_status": {"ok": "ok", "error": "erreur"},
    },
}

# The engine's own words; a convention's words (parties, figures, values) come from its rules file.
VALUES_FR = {
    "initial_term": "durée initiale", "renewed": "reconduite", "terminated": "terminée",
    "current": "à jour", "in_default": "défaut de paiement", "expiry": "échéance",
    "warning": "attention", "info": "info", "not_started": "pas commencée",
    # values found in entries' details
    "indefinite": "indéterminée", "periodic": "périodique", "none": "aucune",
    "indeterminate": "indéterminée", "opened": "ouvert", "settled": "réglé",
    "referred": "porté devant le tribunal", "non_payment": "défaut de paiement",
    "payment": "paiement", "notice": "dénonciation", "amendment": "avenant", "signed": "signature",
    "dispute": "litige",
}

# The entry kinds the engine records, in French (a convention's own kinds, such as
# `documents_available` or `<input>_recorded`, are labelled in its rules file).
KINDS_FR = {
    "started": "début", "renewed": "reconduction tacite", "expired": "arrivée à échéance",
    "contribution_called": "appel de contribution", "contribution_adjusted": "contribution corrigée",
    "payment_received": "paiement reçu", "payment_overdue": "défaut de paiement",
    "default_cured": "fin du défaut de paiement", "termination_scheduled": "fin programmée",
    "terminated": "fin de la convention", "notice_superseded": "dénonciation sans effet",
    "notice_refused": "dénonciation refusée", "amendment_recorded": "avenant enregistré",
    "dispute_opened": "litige : tentative amiable", "dispute_settled": "litige réglé",
    "dispute_referred": "litige porté devant le tribunal", "signed": "signature",
}

# The keys of entries' details, in French (a convention's own keys come from its rules file).
DETAIL_KEYS_FR = {
    "initial_term_ends": "fin de la durée initiale", "renewal": "reconduction",
    "renewals": "reconductions", "previous_period_ended": "fin de la période précédente",
    "period_ends": "fin de la période", "duration": "durée", "last_day": "dernier jour",
    "by": "par", "notified": "notifiée le", "line": "ligne", "reason": "motif",
    "immediate": "immédiate", "period_last_day": "fin du préavis",
    "ruling_last_day": "dernier jour retenu", "initial_term_ends_on": "fin de la durée initiale",
    "terminated_from": "terminée à compter du", "year": "année", "period": "période",
    "annual": "annuel", "covered_days": "jours couverts", "year_days": "jours de l'année",
    "period_days": "jours de la période", "due": "dû", "due_date": "échéance de paiement",
    "basis_year": "année de référence", "basis_for": "au lieu de l'année", "from": "ancien montant dû", "to": "nouveau montant dû",
    "count": "nombre",
    "amount": "montant", "for": "pour l'année", "overdue": "impayé", "ref": "référence", "effective": "effet le",
    "step": "étape", "court": "juridiction", "previous": "valeur précédente",
}

DURATION_UNITS_FR = {"years": ("an", "ans"), "months": ("mois", "mois"), "days": ("jour", "jours")}


def duration_text(iso: str, lang: str) -> str:
    """A duration as a reader writes it: ``P2M`` in English (ISO 8601), "2 mois" in French."""
    if lang != "fr":
        return iso
    import re

    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", iso)
    if not m:
        return iso
    parts: list[str] = []
    for n, unit in zip(m.groups(), ("years", "months", "days")):
        if n is not None and (int(n) or not parts and unit == "days"):
            one, many = DURATION_UNITS_FR[unit]
            parts.append(f"{int(n)} {one if int(n) <= 1 else many}")
    return " et ".join(parts) if parts else "0 jour"



# The HTML report's own texts. Placeholders: {by} a party (render.word), {date} and the other
# dates through render.day, amounts through render.amount, {outcome} from LABELS' outcomes.
REPORT = {
    "en": {"title": "Convention report", "timeline": "Timeline", "legend": "Legend",
           "notice_band": "notice running", "today": "today", "generated": "Replayed up to",
           "marker_notice": "notice", "marker_notice_void": "notice without effect",
           "marker_call": "contribution call", "marker_payment": "payment received",
           "marker_termination": "end of the convention", "marker_amendment": "amendment",
           "periods": "Periods", "contributions": "Contributions", "termination": "Termination",
           "no_contributions": "No contribution called.", "last_day": "last day",
           # the visible labels of the timeline's markers
           "label_notice": "notice by {by}, {date}",
           "label_notice_void": "notice without effect by {by}, {date}",
           "label_termination": "end by {by}, last day {date}",
           "label_expiry": "expiry, last day {date}",
           "label_amendment": "{ref}, in force {date}",
           # the hover texts (SVG titles)
           "title_period": "{start} – {end}: {state}, {standing}",
           "title_notice": "Notice by {by}: notified {notified}, last day {last_day}",
           "title_learned": " (known {date})",
           "title_notice_void": "Notice by {by} notified {notified}: {outcome}",
           "title_termination": "End of the convention by {by}: last day {last_day}",
           "title_expiry": "Expiry of the convention: last day {last_day}",
           "title_amendment": "{ref}: recorded {date}, in force {effective}",
           "title_call": "{year} contribution called {date}: {due} due by {due_date}",
           "title_payment": "Payment of {amount} received {date}",
           "dots": "Dots without a label: contribution calls and payments received; the "
                   "contributions table below gives the amounts."},
    "fr": {"title": "Rapport de convention", "timeline": "Chronologie", "legend": "Légende",
           "notice_band": "préavis en cours", "today": "aujourd'hui", "generated": "Rejouée jusqu'au",
           "marker_notice": "dénonciation", "marker_notice_void": "dénonciation sans effet",
           "marker_call": "appel de contribution", "marker_payment": "paiement reçu",
           "marker_termination": "fin de la convention", "marker_amendment": "avenant",
           "periods": "Périodes", "contributions": "Contributions", "termination": "Fin de la convention",
           "no_contributions": "Aucune contribution appelée.", "last_day": "dernier jour",
           "label_notice": "dénonciation par {by}, {date}",
           "label_notice_void": "dénonciation sans effet par {by}, {date}",
           "label_termination": "fin par {by}, dernier jour {date}",
           "label_expiry": "échéance, dernier jour {date}",
           "label_amendment": "{ref}, en vigueur le {date}",
           "title_period": "{start} – {end} : {state}, {standing}",
           "title_notice": "Dénonciation par {by} : notifiée le {notified}, dernier jour {last_day}",
           "title_learned": " (connue le {date})",
           "title_notice_void": "Dénonciation par {by} notifiée le {notified} : {outcome}",
           "title_termination": "Fin de la convention par {by} : dernier jour {last_day}",
           "title_expiry": "Échéance de la convention : dernier jour {last_day}",
           "title_amendment": "{ref} : enregistré le {date}, en vigueur le {effective}",
           "title_call": "Contribution {year} appelée le {date} : {due} à payer au plus tard le "
                         "{due_date}",
           "title_payment": "Paiement de {amount} reçu le {date}",
           "dots": "Points sans étiquette : appels de contribution et paiements reçus ; le tableau "
                   "des contributions ci-dessous en donne les montants."},
}



# The calendar's texts (`deadlines --ics`).
ICS = {
    "en": {
        "notice": "Last day for the {party}'s notice to be received (renewal on {renewal})",
        "notice-exit": "Last day for the {party}'s notice to be received (to leave on {exit})",
        "exit": "Next exit date of the convention",
        "renewal": "Tacit renewal of the convention",
        "expiry": "Last day of the convention (expiry)",
        "last-day": "Last day of the convention ({by})",
        "start": "First day of the convention",
        "by-notice": "notice by the {party}", "by-expiry": "expiry",
        "call": "Contribution call",
        "payment-due": "Contribution due date (call of {call})",
        "overdue": "Overdue: {amount} due since {due_date} (call of {period}){allows}",
        "overdue-allows": "; the {party} may end the convention at once ({reason})",
        "alarm": "{days} days left: {summary}",
        "payment-due-amount": "Payment of {amount} due (call of {call})",
        "declaration": "Declaration expected: {input} of {year} (before the call of {call})",
        "received": "Notice by the {party}: the registered letter must be received by {recipients} on {date} at the latest",
        "not-working": "; {date} is a {what}: the letter must arrive by {working}, the working day before",
        "saturday": "Saturday", "sunday": "Sunday", "holiday": "public holiday",
        "convention": "Convention: {name} (rules {rules})",
    },
    "fr": {
        "notice": "Date limite de réception de la dénonciation par {party} (reconduction le {renewal})",
        "notice-exit": "Date limite de réception de la dénonciation par {party} (pour une sortie le {exit})",
        "exit": "Prochaine date de sortie de la convention",
        "renewal": "Reconduction tacite de la convention",
        "expiry": "Dernier jour de la convention (échéance)",
        "last-day": "Dernier jour de la convention ({by})",
        "start": "Premier jour de la convention",
        "by-notice": "dénonciation par {party}", "by-expiry": "arrivée à échéance",
        "call": "Appel de la contribution",
        "payment-due": "Date limite de paiement de la contribution (appel du {call})",
        "overdue": "Impayé : {amount} dus depuis le {due_date} (appel du {period}){allows}",
        "overdue-allows": " ; {party} peut mettre fin à la convention sans délai ({reason})",
        "alarm": "Encore {days} jours : {summary}",
        "payment-due-amount": "Paiement de {amount} à effectuer (appel du {call})",
        "declaration": "Déclaration attendue : {input} de {year} (avant l'appel du {call})",
        "received": "Dénonciation par {party} : la lettre recommandée doit être reçue par {recipients} au plus tard le {date}",
        "not-working": " ; le {date} est un {what} : la lettre doit arriver au plus tard le {working}, jour ouvré précédent",
        "saturday": "samedi", "sunday": "dimanche", "holiday": "jour férié",
        "convention": "Convention : {name} (règles {rules})",
    },
}

# `convention deadlines DIR`: the portfolio's table and CSV (the texts of each deadline are ICS's).
PORTFOLIO: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Deadlines from {as_of}", "until": " to {last}",
        "none": "No deadline in this window.",
        "headers": {"date": "date", "convention": "convention", "party": "party", "what": "what to do by then"},
        "csv": {"date": "date", "kind": "kind", "name": "name", "convention": "rules", "file": "file",
                "party": "party", "recipients": "recipients", "working_day": "working_day",
                "amount": "amount", "since": "since", "what": "what"},
        "kinds": {},
    },
    "fr": {
        "title": "Échéances à partir du {as_of}", "until": " jusqu'au {last}",
        "none": "Aucune échéance dans cette période.",
        "headers": {"date": "date", "convention": "convention", "party": "partie", "what": "à faire d'ici là"},
        "csv": {"date": "Date", "kind": "Nature", "name": "Convention", "convention": "Règles",
                "file": "Fichier", "party": "Partie", "recipients": "Destinataires",
                "working_day": "Jour ouvré", "amount": "Montant", "since": "Dû depuis", "what": "À faire"},
        "kinds": {"start": "début", "notice": "dénonciation", "renewal": "reconduction",
                  "exit": "sortie", "expiry": "échéance", "call": "appel", "payment-due": "paiement",
                  "declaration": "déclaration", "last-day": "dernier jour", "overdue": "impayé"},
    },
}

# The messages of the diagnostics the engine itself gives (a rules file may reword them).
ENGINE_MESSAGES: dict[str, dict[str, str]] = {
    "event_beyond_horizon": {
        "en": "{type} event of {date} is after the horizon {horizon}: ignored",
        "fr": "événement « {type} » du {date} après l'horizon du {horizon} : ignoré"},
    "event_after_termination": {
        "en": "{type} event of {date} (line {line}) comes after the termination: no effect",
        "fr": "événement « {type} » du {date} (ligne {line}) après la fin de la convention : sans effet"},
    "notice_missing_recipient": {
        "en": "notice by {by} (line {line}) has not reached: {missing}",
        "fr": "la dénonciation par {by} (ligne {line}) n'est pas parvenue à : {missing}"},
    "notice_before_start": {
        "en": "notice by {by} (line {line}) was notified before the start: it counts from {start}",
        "fr": "la dénonciation par {by} (ligne {line}) a été notifiée avant le début : elle compte "
              "à partir du {start}"},
    "payment_for_uncalled_year": {
        "en": "payment of {amount} (line {line}) is for {year}, a year not called on its date: "
              "it is allocated as a payment that names no year",
        "fr": "le paiement de {amount} (ligne {line}) est pour {year}, année non appelée à sa "
              "date : il est imputé comme un paiement qui ne désigne pas d'année"},
    "payment_before_start": {
        "en": "payment of {amount} received {date} (line {line}), before the start {start}: "
              "counted as money received",
        "fr": "le paiement de {amount} reçu le {date} (ligne {line}) précède le début de la "
              "convention, le {start} : il est compté comme somme reçue"},
    "notice_superseded": {
        "en": "notice by {by} (line {line}) has no effect: an earlier termination rules",
        "fr": "la dénonciation par {by} (ligne {line}) est sans effet : une fin plus proche prévaut"},
    "notice_after_expiry": {
        "en": "notice by {by} (line {line}) has no effect: its last day is after the expiry",
        "fr": "la dénonciation par {by} (ligne {line}) est sans effet : son dernier jour tombe après "
              "l'échéance de la convention"},
    "notice_displaced": {
        "en": "the notice by {by} notified {notified} is superseded by the notice of line {line}, "
              "which ends the convention earlier",
        "fr": "la dénonciation par {by} notifiée le {notified} est remplacée par celle de la ligne "
              "{line}, qui met fin à la convention plus tôt"},
    "notice_refused": {
        "en": "notice by {by} (line {line}) would end the convention on {last_day}, within the "
              "initial term ending {initial_end}: refused",
        "fr": "la dénonciation par {by} (ligne {line}) mettrait fin à la convention le {last_day}, "
              "pendant la durée initiale qui finit le {initial_end} : refusée"},
    "amendment_ineffective": {
        "en": "amendment {ref} (line {line}) changes term.*, which this version does not support: "
              "that part has no effect",
        "fr": "l'avenant {ref} (ligne {line}) modifie la durée (term.*), ce que cette version ne "
              "prend pas en charge : cette partie est sans effet"},
}




def word(value: str, lang: str, rules: Any = None) -> str:
    """A value as a reader of ``lang`` reads it: in English the name itself; in French the
    engine's word, else the rules file's label (``rules``: a RulesFile, or None)."""
    if lang != "fr":
        return value
    if value in VALUES_FR:
        return VALUES_FR[value]
    return value if rules is None else rules.label(value, lang)


def format_value(value: Any, lang: str, rules: Any = None) -> str:
    """One value of a message or a detail, as a reader of ``lang`` writes it: dates and amounts
    in the language's form, names through :func:`word`, lists joined by commas."""
    from ..core import dates, money

    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, lang, rules) for v in value)
    if isinstance(value, bool):
        return ("oui" if value else "non") if lang == "fr" else str(value)
    if isinstance(value, dt.date):
        return dates.day_text(value, lang)
    if isinstance(value, Decimal):
        return money.amount_text(value, lang)
    if isinstance(value, str) and lang == "fr":
        return word(value, lang, rules)
    return str(value)


def format_values(values: Mapping[str, Any], lang: str, rules: Any = None) -> dict[str, str]:
    return {k: format_value(v, lang, rules) for k, v in values.items()}


# A rate (a decimal fraction, 0.0033 in the rules file and the JSON) as a reader of ``lang``
# writes it: as it is in English (the JSON's form, unchanged); in French a percentage with a
# decimal comma and a narrow no-break space before % (the house rule of engine/core/money.py, where
# amounts keep their € on the same line): 0,33 %.
def rate_text(value: Decimal, lang: str) -> str:
    if lang != "fr":
        return format(value, "f")
    from ..core.money import NNBSP

    pct = (value * 100).normalize()
    text = format(pct, "f")
    return text.replace(".", ",") + NNBSP + "%"


def article_text(article: str, lang: str, rules: Any = None) -> str:
    """An article as a reader of ``lang`` reads it: the rules file's ``labels:`` may give it in
    French (key: the article as written, e.g. "Schedule 2");
    otherwise it reads as written. The JSON keeps the article as the rules file writes it. The
    words of an article are the convention's, never the engine's (docs/spec.md 8.1)."""
    if lang != "fr" or not article:
        return article
    if rules is not None and article in getattr(rules, "words", {}):
        return rules.label(article, lang)
    return article


# The command line's own messages (`convention: ...` on stderr, exit 2), in English and French;
# option names (--on, --notice) and values as typed stay as they are.
CLI = {
    "en": {
        "prefix": "convention: ",
        "before_start": "{option} {date} is before the start {start} of {file}",
        "unknown_party": "--notice: unknown party {party!r} (accepted: {accepted})",
        "unknown_reason": "--reason: unknown reason {reason!r} (accepted: {accepted})",
        "no_reason": "none, this convention defines no reason",
        "no_files": "no scenario files (*.yaml) in {paths}",
        "cannot_write": "cannot write {path}: {why}",
        "interrupted": "interrupted",
        "internal": "internal error: {error}",
        "invalid_date": "invalid date {text!r} (expected YYYY-MM-DD)",
        "or": " or ",
    },
    "fr": {
        "prefix": "convention : ",
        "before_start": "{option} {date} est antérieur au début de {file}, le {start}",
        "unknown_party": "--notice : partie inconnue {party!r} (valeurs acceptées : {accepted})",
        "unknown_reason": "--reason : motif inconnu {reason!r} (valeurs acceptées : {accepted})",
        "no_reason": "aucune, cette convention ne définit pas de motif",
        "no_files": "aucun fichier de scénario (*.yaml) dans {paths}",
        "cannot_write": "impossible d'écrire {path} : {why}",
        "interrupted": "interrompu",
        "internal": "erreur interne : {error}",
        "invalid_date": "date invalide {text!r} (attendu AAAA-MM-JJ)",
        "or": " ou ",
    },
}

# argparse's own messages (usage errors), in French: (English pattern, French template); option
# names, choices and values are kept as typed.
ARGPARSE_FR = (
    (r"the following arguments are required: (.*)", "arguments obligatoires manquants : {0}"),
    (r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)",
     "argument {0} : valeur invalide {1} (valeurs acceptées : {2})"),
    (r"argument (\S+): expected one argument", "argument {0} : une valeur est attendue"),
    (r"argument (\S+): invalid date (.*) \(expected YYYY-MM-DD\)",
     "argument {0} : date invalide {1} (attendu AAAA-MM-JJ)"),
    (r"argument (\S+): invalid (.*?) (\S+) \(expected a whole number (.*)\)",
     "argument {0} : valeur invalide {2} (attendu un nombre entier {3})"),
    (r"argument (\S+): (.*)", "argument {0} : {1}"),
    (r"unrecognized arguments: (.*)", "arguments non reconnus : {0}"),
    (r"ambiguous option: (.*)", "option ambiguë : {0}"),
)

# The loader's messages (`FILE:LINE: message`) the French command line words in French; others
# are shown as the loader writes them.
SCENARIO_ERRORS_FR = (
    (r"no such file", "fichier introuvable"),
    (r"is a directory, not a scenario file", "c'est un dossier, pas un fichier de scénario"),
    (r"cannot read the file: (.*)", "impossible de lire le fichier : {0}"),
    (r"the file is larger than (\d+) MB(.*)", "le fichier dépasse {0} Mo{1}"),
    (r"the scenario is nested too deeply", "le scénario est trop imbriqué"),
    (r"cannot read the scenario: (.*)", "impossible de lire le scénario : {0}"),
    (r"convention: unknown convention (.*) \(shipped rules: (.*); or a path to a rules file\)",
     "convention : convention inconnue {0} (règles fournies : {1} ; ou le chemin d'un fichier "
     "de règles)"),
    (r"the file is empty: expected a scenario mapping", "le fichier est vide : un scénario est attendu"),
    (r"(.+): missing '(.+)'", "{0} : « {1} » manque"),
    (r"(.+): unknown key '(.+)' \(allowed: (.*)\)", "{0} : clé inconnue « {1} » (clés acceptées : {2})"),
    (r"(.+): expected a date YYYY-MM-DD, got (.*)", "{0} : date AAAA-MM-JJ attendue, lu : {1}"),
    (r"(.+): expected one of (.*), got (.*)", "{0} : valeurs acceptées : {1} ; lu : {2}"),
    (r"(.+): expected an amount such as \"1000.00\", got (.*)",
     "{0} : montant attendu, par exemple \"1000.00\" ; lu : {1}"),
    (r"invalid date (.*)", "date invalide {0}"),
    (r"unknown convention (.*) \(shipped rules: (.*); or a path to a rules file\)",
     "convention inconnue {0} (règles fournies : {1} ; ou le chemin d'un fichier de règles)"),
)


# Where in a scenario a message points, when it is not a field name.
WHERE_FR = {"scenario file": "fichier de scénario"}


def translated(message: str, table: tuple, lang: str) -> str:
    """``message`` in ``lang`` by the first pattern of ``table`` it matches whole; as it is
    when none does, or in English."""
    if lang != "fr":
        return message
    import re

    for where, fr in WHERE_FR.items():
        if message.startswith(where + ":"):
            message = fr + message[len(where):]
    for pattern, template in table:
        m = re.fullmatch(pattern, message)
        if m:
            return template.format(*m.groups())
    return message
