"""Every word the engine itself shows a reader, in English and French: one catalogue.

A convention's own words (its parties, inputs, figures, values, entry kinds such as
`documents_available`, and its diagnostics' messages) come from its rules file (``labels:`` and
``messages:``); everything else a command prints comes from here. tests/test_french.py checks
that no English identifier or sentence reaches the French output of any command.
"""

from __future__ import annotations

# The labels of the commands' texts and tables.
LABELS = {
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
        "on": "on", "colon": ": ",
        # state, deadlines, whatif
        "not_in_force": "not in force (before the start {start})",
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
        "party": "party", "period": "notice period", "notice_by": "last day to give notice",
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
        "on": "le", "colon": " : ",  # French typography: a space before the colon
        "not_in_force": "pas en vigueur (avant le début, le {start})",
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
        "party": "partie", "period": "préavis", "notice_by": "dénoncer au plus tard le",
        "if_now": "dernier jour si notifiée le {on}", "passed": "dépassé", "no_effect": "sans effet",
        "next_call": "Prochain appel de contribution : {call}, à payer au plus tard le {due}.",
        "no_call": "Plus d'appel de contribution tant qu'elle est en vigueur.",
        "whatif_title": "{name} — hypothèse : dénonciation par {party} le {on}",
        "baseline": "référence", "whatif": "hypothèse", "outcome": "dénonciation",
        "outcomes": {"accepted": "acceptée", "superseded": "sans effet (une fin plus proche prévaut)",
                     "refused": "refusée (durée initiale)", "void": "sans effet",
                     "no_effect": "sans effet (déjà terminée)"},
        "last_day_cap": "dernier jour", "by_cap": "fin par",
        "due_y": "{year} dû", "paid_y": "{year} payé", "balance_y": "{year} solde",
        "not_called": "non appelée",
    },
}

# The engine's own words; a convention's words (parties, figures, values) come from its rules file.
VALUES_FR = {
    "initial_term": "durée initiale", "renewed": "reconduite", "terminated": "terminée",
    "current": "à jour", "in_default": "défaut de paiement", "expiry": "échéance",
    "warning": "attention", "info": "info", "not_started": "pas commencée",
}



# The HTML report's own texts.
REPORT = {
    "en": {"title": "Convention report", "timeline": "Timeline", "legend": "Legend",
           "notice_band": "notice running", "today": "today", "generated": "Replayed up to",
           "marker_notice": "notice", "marker_call": "contribution call",
           "marker_payment": "payment", "marker_termination": "termination",
           "periods": "Periods", "contributions": "Contributions", "termination": "Termination",
           "no_contributions": "No contribution called.", "last_day": "last day"},
    "fr": {"title": "Rapport de convention", "timeline": "Chronologie", "legend": "Légende",
           "notice_band": "préavis en cours", "today": "aujourd'hui", "generated": "Rejouée jusqu'au",
           "marker_notice": "dénonciation", "marker_call": "appel de contribution",
           "marker_payment": "paiement", "marker_termination": "fin de la convention",
           "periods": "Périodes", "contributions": "Contributions", "termination": "Fin de la convention",
           "no_contributions": "Aucune contribution appelée.", "last_day": "dernier jour"},
}



# The calendar's texts (`deadlines --ics`).
ICS = {
    "en": {
        "notice": "Last day for the {party} to give notice (renewal on {renewal})",
        "notice-exit": "Last day for the {party} to give notice (to leave on {exit})",
        "exit": "Next exit date of the convention",
        "renewal": "Tacit renewal of the convention",
        "expiry": "Last day of the convention (expiry)",
        "last-day": "Last day of the convention (notice by {by})",
        "call": "Contribution call",
        "payment-due": "Contribution due date (call of {call})",
        "alarm": "{days} days left: {summary}",
    },
    "fr": {
        "notice": "Date limite de dénonciation par {party} (reconduction le {renewal})",
        "notice-exit": "Date limite de dénonciation par {party} (pour une sortie le {exit})",
        "exit": "Prochaine date de sortie de la convention",
        "renewal": "Reconduction tacite de la convention",
        "expiry": "Dernier jour de la convention (échéance)",
        "last-day": "Dernier jour de la convention (dénonciation par {by})",
        "call": "Appel de la contribution",
        "payment-due": "Date limite de paiement de la contribution (appel du {call})",
        "alarm": "Encore {days} jours : {summary}",
    },
}

# The messages of the diagnostics the engine itself gives (a rules file may reword them).
ENGINE_MESSAGES: dict[str, dict[str, str]] = {
    "event_beyond_horizon": {"en": "{type} event of {date} is after the horizon {horizon}: ignored"},
    "event_after_termination": {
        "en": "{type} event of {date} (line {line}) comes after the termination: no effect"},
    "notice_missing_recipient": {"en": "notice by {by} (line {line}) has not reached: {missing}"},
    "notice_before_start": {
        "en": "notice by {by} (line {line}) was notified before the start: it counts from {start}"},
    "notice_superseded": {"en": "notice by {by} (line {line}) has no effect: an earlier termination rules"},
    "notice_after_expiry": {
        "en": "notice by {by} (line {line}) has no effect: its last day is after the expiry"},
    "notice_displaced": {
        "en": "the notice by {by} notified {notified} is superseded by the notice of line {line}, "
              "which ends the convention earlier"},
    "notice_refused": {
        "en": "notice by {by} (line {line}) would end the convention on {last_day}, within the "
              "initial term ending {initial_end}: refused"},
    "amendment_ineffective": {
        "en": "amendment {ref} (line {line}) changes term.*, which this version does not support: "
              "that part has no effect"},
}


