"""The `convention` command: a thin shell over the public API.

Every command builds its whole output as a string before printing it, so that an error never
leaves half an output behind; errors are caught here, at the edge, and printed as one line.
Exit status: 0 success, 1 a check failed, 2 invalid input or usage, 3 an internal error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import re
import sys
import tempfile
from typing import Any, Sequence

from . import __version__, application
from .present import i18n, render
from .api import load_scenario, replay
from .errors import ScenarioError
from .conventions.rulesfile import UnknownConvention
from .conventions.rulesfile import of_scenario as rules_of
from .conventions.yamlnodes import YEARS


class UsageError(Exception):
    pass


# The language of the messages: that of `--lang` on the command line, read before argparse
# (whose own errors come first) so that `--lang fr` has every message in French.
_LANG = "en"


def _msg(key: str, **values) -> str:
    return i18n.CLI[_LANG][key].format(**values)


def _lang_of(argv: Sequence[str]) -> str:
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in i18n.CLI else "en"
        if a.startswith("--lang="):
            return a.split("=", 1)[1] if a.split("=", 1)[1] in i18n.CLI else "en"
    return "en"


def _date_arg(text: str) -> dt.date:
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None
    # The years a scenario file may name (and the service accepts): a replay to 9999-12-31 would
    # compute the day after it, and take minutes to get there.
    lo, hi = YEARS
    if not lo <= d.year <= hi:
        raise argparse.ArgumentTypeError(f"date {text} is out of range (years {lo} to {hi})")
    return d


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as every other invalid input
        self.exit(2, f"{_msg('prefix')}{i18n.translated(message, i18n.ARGPARSE_FR, _LANG)}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="convention", description="Replay the dated events of an administrative convention.")
    p.add_argument("--version", action="version", version=f"convention {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="replay a scenario and print its timeline")
    run.add_argument("file")
    run.add_argument("--format", choices=("table", "json", "csv"), default="table")
    run.add_argument("--until", type=_date_arg, help="replay up to this day (replaces the horizon)")
    run.add_argument("--lang", choices=("en", "fr"), default="en")
    run.add_argument("--rule-ids", dest="rule_ids", action=argparse.BooleanOptionalAction,
                     help="show the rule ids in the table and the CSV (default: in English, not "
                          "in French, where the article says where a decision comes from)")

    check = sub.add_parser("check", help="verify the expect: blocks of scenario files")
    check.add_argument("paths", nargs="+")

    rules = sub.add_parser("rules", help="list the rules catalogue of a convention")
    rules.add_argument("id", nargs="?")

    state = sub.add_parser("state", help="the state of a convention on a date")
    state.add_argument("file")
    state.add_argument("--on", type=_date_arg, required=True)
    state.add_argument("--lang", choices=("en", "fr"), default="en")

    dl = sub.add_parser(
        "deadlines", help="coming renewal, notice deadlines and next call on a date",
        description="The deadlines of a scenario file, or of every scenario file in a folder (a "
                    "portfolio, in date order: rules files skipped; an invalid file is one line on "
                    "stderr and exit status 2, the others still listed).")
    dl.add_argument("file", help="a scenario file, or a folder of them")
    dl.add_argument("--as-of", dest="as_of", type=_date_arg, required=True)
    dl.add_argument("--before", type=_date_arg,
                    help="a folder: only the deadlines before this day (as_of <= date < before)")
    dl.add_argument("--format", choices=("table", "csv"), default="table",
                    help="a folder: a table, or CSV (French CSV under --lang fr, as batch writes it)")
    dl.add_argument("--ics", metavar="OUT", help="also write the deadlines as an iCalendar file")
    dl.add_argument("--lang", choices=("en", "fr"), default="en")

    wi = sub.add_parser("whatif", help="the outcome of a notice given on a date, beside the baseline")
    wi.add_argument("file")
    wi.add_argument("--notice", metavar="PARTY", required=True,
                    help="the party giving notice (one of the convention's parties)")
    wi.add_argument("--on", type=_date_arg, required=True)
    wi.add_argument("--reason", metavar="TEXT",
                    help="the notice's reason: one the rules file defines (e.g. non_payment), by "
                         "its id or its label in English or in --lang; the rules decide its effect")
    wi.add_argument("--format", choices=("text", "json"), default="text")
    wi.add_argument("--lang", choices=("en", "fr"), default="en")

    batch = sub.add_parser(
        "batch", help="one summary row per scenario file",
        description="One summary row per scenario (files, or folders of *.yaml). Exit status 0 when "
                    "every row is ok, 2 when any file was invalid (its row holds the error).")
    batch.add_argument("paths", nargs="+")
    batch.add_argument("--jobs", type=_jobs_arg, default=1,
                       help="processes to use (default 1: in this process)")
    batch.add_argument("--as-of", dest="as_of", type=_date_arg,
                       help="date of the state and balance columns (default: each scenario's horizon)")
    batch.add_argument("--format", choices=("csv", "json"), default="csv")
    batch.add_argument("--lang", choices=("en", "fr"), default="en",
                       help="fr: a CSV as French spreadsheets read it (semicolons, decimal comma, "
                            "dd/mm/yyyy, French words, a UTF-8 BOM); JSON is never translated")

    rep = sub.add_parser("report", help="a self-contained HTML report with an SVG timeline")
    rep.add_argument("file")
    rep.add_argument("--html", metavar="OUT", required=True)
    rep.add_argument("--until", type=_date_arg, help="replay up to this day (replaces the horizon)")
    rep.add_argument("--lang", choices=("en", "fr"), default="en")

    srv = sub.add_parser(
        "serve", help="serve the engine and a register of conventions over HTTP (docs/service.md)",
        description="Serve the engine over HTTP on uvicorn: replay, check, rules, and a register of "
                    "live conventions stored in --db. Stop it with Ctrl-C.")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=_count_arg("port", 1, 65535), default=8000,
                     help="port to listen on (default 8000)")
    srv.add_argument("--db", metavar="URL", default="sqlite:///conventions.db",
                     help="the register: sqlite:///PATH (default sqlite:///conventions.db, in the "
                          "working folder) or postgresql://USER:PASSWORD@HOST/NAME")
    srv.add_argument("--workers", type=_count_arg("worker count", 1, 256), default=1,
                     help="processes serving requests (default 1)")
    srv.add_argument("--max-body", dest="max_body", metavar="BYTES", type=_count_arg("body size", 1, 2**31),
                     help="largest request body (default 1048576)")
    srv.add_argument("--max-events", dest="max_events", metavar="N", type=_count_arg("event count", 1, 10**7),
                     help="most events one convention may hold (default 10000)")
    srv.add_argument("--replay-timeout", dest="replay_timeout", metavar="SECONDS",
                     type=_count_arg("timeout", 1, 3600), help="longest replay of one request (default 10)")
    srv.add_argument("--header-timeout", dest="header_timeout", metavar="SECONDS",
                     type=_count_arg("timeout", 1, 3600),
                     help="time a connection has to send a complete request head (default 30)")
    srv.add_argument("--no-auth", dest="no_auth", action="store_true",
                     help="serve every request without an API key (said on stderr at every start)")
    srv.add_argument("--cors-origin", dest="cors_origins", metavar="ORIGIN", action="append", default=[],
                     help="a web origin (https://host[:port]) whose pages may call the service; "
                          "repeat for more (default: none, CORS off)")

    keys = sub.add_parser("keys", help="make, list and revoke the service's API keys (docs/service.md)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    k_add = keys_sub.add_parser("add", help="make a key: printed once, only its hash is stored")
    k_add.add_argument("--tenant", required=True, help="the tenant (an authority) the key acts for")
    k_add.add_argument("--role", required=True, choices=_roles(),
                       help="its tenant's conventions only, every tenant's, or that and corrections "
                            "(docs/service.md)")
    k_add.add_argument("--name", help="the key's name, shown in the audit (default TENANT-ROLE-ID)")
    k_list = keys_sub.add_parser("list", help="every key: name, tenant, role, created, revoked (never the key)")
    k_rev = keys_sub.add_parser("revoke", help="revoke a key by its name or id: refused from then on")
    k_rev.add_argument("key", metavar="NAME|ID")
    for k in (k_add, k_list, k_rev):
        k.add_argument("--db", metavar="URL", default="sqlite:///conventions.db",
                       help="the register (as for serve)")
    return p


def _roles() -> tuple[str, ...]:
    from .service.auth import ROLES

    return ROLES


def _count_arg(what: str, lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = lo - 1
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r} (expected a whole number from {lo} to {hi})")
        return n
    return parse


def _jobs_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"invalid job count {text!r} (expected a whole number >= 1)")
    return n


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace,
    so that ``path`` is either its old self or complete."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".convention-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(_msg("cannot_write", path=path, why=e.strerror or e)) from None
    try:
        # mkstemp creates the file 0600: give it the mode any other tool would (0666 less the
        # user's umask) before it takes the place of the target.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError(_msg("cannot_write", path=path, why=e.strerror or e)) from None


def _before_start(option: str, date: dt.date, s, file: str) -> UsageError:
    if _LANG == "fr":
        return UsageError(_msg("before_start", option=option, date=date.strftime("%d/%m/%Y"),
                               start=s.start.strftime("%d/%m/%Y"), file=file))
    return UsageError(_msg("before_start", option=option, date=date, start=s.start, file=file))


def _load(path: str):
    """A scenario named on the command line: always a file (a path without .yaml included),
    never YAML text."""
    return load_scenario(pathlib.Path(path), filename=path)


def cmd_run(args) -> str:
    s = _load(args.file)
    if args.until is not None and args.until < s.start:
        raise _before_start("--until", args.until, s, args.file)
    t = replay(s, until=args.until)
    if args.format == "json":
        return t.to_json()
    if args.format == "csv":
        return render.entries_csv(t, lang=args.lang, rule_ids=args.rule_ids)
    return render.table(t, lang=args.lang, rule_ids=args.rule_ids)


def cmd_check(args) -> tuple[str, int, str]:
    """Each file's expectations; an invalid file is reported on stderr and makes the exit 2."""
    report = application.check(args.paths)
    if not report.files:
        raise UsageError(_msg("no_files", paths=" ".join(args.paths)))
    lines = []
    for c in report.files:
        if c.status == "invalid":
            lines.append(f"FAIL {c.path}: invalid scenario (see stderr)")
        elif c.status == "skip":
            lines.append(f"skip {c.path}: no expect: block")
        elif c.status == "fail":
            lines.append(f"FAIL {c.path}")
            lines.extend(f"  {p}" for p in c.failures)
        else:
            lines.append(f"ok   {c.path}")
    lines.append(f"{report.passed} passed, {report.failed} failed")
    invalid = report.invalid
    code = 2 if invalid else (1 if report.failed else 0)
    return "\n".join(lines) + "\n", code, "".join(f"{c.error}\n" for c in invalid)


def cmd_rules(args) -> str:
    return render.catalogue(args.id)


def cmd_state(args) -> str:
    st = application.state(_load(args.file), args.on)
    # State and termination with hindsight (the legal situation); money as known on that day,
    # with what is overdue and what that allows.
    return render.state(st.timeline, st.on, lang=args.lang, money=st.known, arrears=st.arrears)


def cmd_deadlines(args) -> str | tuple[str, int, str]:
    from .answers.deadlines import to_ics

    if os.path.isdir(args.file):
        return _portfolio(args)
    if args.before is not None or args.format != "table":
        raise UsageError("--before and --format are for a folder of scenario files")
    d = application.deadlines(_load(args.file), args.as_of)
    text = render.deadlines(d, lang=args.lang)
    if args.ics:
        # the identity of its UIDs: the file's name, as in the portfolio of its folder
        write_atomically(args.ics, to_ics(d, lang=args.lang, identity=os.path.basename(args.file)))
    return text


def _portfolio(args) -> tuple[str, int, str]:
    """`convention deadlines DIR`: every scenario file's deadlines, soonest first."""
    before = args.before or dt.date.max
    if before <= args.as_of:
        raise UsageError(f"--before {before} is not after --as-of {args.as_of}")
    sch = application.schedule([args.file], args.as_of, before)
    if not sch.entries and not sch.errors and not sch.conventions:
        raise UsageError(f"no scenario files (*.yaml) in {args.file}")
    if args.ics:
        write_atomically(args.ics, sch.to_ics(lang=args.lang))
    text = render.portfolio_csv(sch, args.lang) if args.format == "csv" else render.portfolio(sch, args.lang)
    return text, 2 if sch.errors else 0, "".join(f"{e}\n" for e in sch.errors)


def cmd_whatif(args) -> str:
    from .answers.whatif import UnknownReason

    s = _load(args.file)
    party = _party(args.notice, rules_of(s), args.lang)
    if args.on < s.start:
        raise _before_start("--on", args.on, s, args.file)
    try:
        w = application.whatif(s, party, args.on, reason=args.reason, lang=args.lang)
    except UnknownReason as e:
        accepted = e.accepted
        if args.lang != "en":  # each reason's id and its label in the chosen language
            accepted = tuple(dict.fromkeys(x for r, lab in rules_of(s).reasons.items()
                                           for x in (r, lab(args.lang))))
        raise UsageError(_msg("unknown_reason", reason=e.reason,
                              accepted=", ".join(accepted) or _msg("no_reason"))) from None
    return w.to_json() if args.format == "json" else render.whatif(w, lang=args.lang)


def _party(text: str, rules, lang: str) -> str:
    """The party ``text`` names: its id or its label in English or in ``lang``, whatever the case
    and with or without the label's article (a party labelled "la mairie" is also "mairie" and
    "MAIRIE"); accents as written."""
    parties = tuple(rules.parties)
    for p in parties:
        names = {p, rules.label(p, "en"), rules.label(p, lang)}
        if text.casefold() in {n.casefold() for n in names | {_bare(n) for n in names}}:
            return p
    words: list[str] = []  # each party's id, then its label in lang (without its article)
    for p in parties:
        words.extend(w for w in (p, _bare(rules.label(p, lang))) if w not in words)
    raise UsageError(_msg("unknown_party", party=text, accepted=", ".join(words)))


def _bare(label: str) -> str:
    """A label without its leading article: "la mairie" -> "mairie", "the board" -> "board"."""
    for article in ("the ", "le ", "la ", "les ", "l'", "l’"):
        if label.casefold().startswith(article) and len(label) > len(article):
            return label[len(article):]
    return label


def cmd_batch(args) -> tuple[str, int]:
    lang = "en" if args.format == "json" else args.lang
    b = application.batch(args.paths, as_of=args.as_of, jobs=args.jobs, lang=lang)
    if not b.rows:
        raise UsageError(_msg("no_files", paths=" ".join(args.paths)))
    text = b.to_json() if args.format == "json" else b.to_csv(lang=lang)
    return text, 0 if b.ok else 2


def cmd_report(args) -> str:
    from .present.report import report

    s = _load(args.file)
    if args.until is not None and args.until < s.start:
        raise _before_start("--until", args.until, s, args.file)
    from .answers.deadlines import arrears

    t = replay(s, until=args.until)
    # what is overdue when the timeline ends, and what that default allows then
    html = report(t, today=dt.date.today(), lang=args.lang, arrears=arrears(s, t.horizon))
    write_atomically(args.html, html.encode("utf-8"))
    return ""


def _open_store(url: str):
    """The register at ``url``, its tables made if missing (one line on error, no password)."""
    from .service.store import OldSchema, Store

    try:
        return Store(url, create=True)
    except Exception as e:
        try:  # never a password on the screen
            from sqlalchemy.engine import make_url

            shown = make_url(url).render_as_string(hide_password=True)
        except Exception:
            shown = url
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        kind = "" if isinstance(e, OldSchema) else f"{type(e).__name__}: "
        raise UsageError(f"--db {shown}: {kind}{first}") from None


def _serving_auth(args, active_keys: int) -> tuple[bool, str]:
    """(authenticate, a warning for stderr) of ``serve``: keys are required, except with
    --no-auth or on a loopback address while the register holds no key at all."""
    from .service.auth import is_loopback

    if args.no_auth:
        return False, ("convention: warning: --no-auth: every request is served without an API key, "
                       f"by anyone who can reach {args.host}:{args.port}\n")
    if active_keys:
        return True, ""
    if is_loopback(args.host):
        return False, ("convention: warning: the register holds no API key: serving without "
                       f"authentication on {args.host} only (make one with `convention keys add`, "
                       "then restart)\n")
    raise UsageError(f"--host {args.host}: the register holds no API key; make one with `convention "
                     "keys add --db URL --tenant T --role R`, or pass --no-auth to serve without "
                     "authentication")


def cmd_serve(args) -> str:
    """Make the register's tables once, decide how requests are authenticated, then start
    uvicorn; each worker builds the application from the environment
    (engine.service.app_from_env)."""
    from . import service
    from .service import auth

    store = _open_store(args.db)
    try:
        active = store.active_keys()
    finally:
        store.close()
    authenticate, warning = _serving_auth(args, active)
    for origin in args.cors_origins:
        if not re.match(r"^https?://[^/\s]+$", origin):
            raise UsageError(f"--cors-origin {origin!r}: expected an origin such as https://host[:port]")
    if warning:
        sys.stderr.write(warning)
        sys.stderr.flush()
    import uvicorn

    env = service.ENV
    os.environ.update(auth.serve_env(authenticate, args.cors_origins))
    os.environ[env["db"]] = args.db
    for key, value in (("body", args.max_body), ("events", args.max_events), ("replay_seconds", args.replay_timeout),
                       ("header_seconds", args.header_timeout)):
        if value is not None:
            os.environ[env[key]] = str(value)
    from .service.server import ServiceH11Protocol, log_config

    # the service's protocol (request head limit, problem 400s) and its JSON access log
    uvicorn.run("engine.service:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, timeout_graceful_shutdown=10, http=ServiceH11Protocol,
                log_config=log_config(), access_log=False)
    return ""


def scenario_error(e: ScenarioError, lang: str) -> str:
    """``FILE:LINE: message``, the message in ``lang`` where the catalogue words it."""
    return f"{e.file}:{e.line}: {i18n.translated(e.message, i18n.SCENARIO_ERRORS_FR, lang)}"


def cmd_keys(args) -> tuple[str, int, str]:
    """``keys add`` prints the key alone on stdout (for a script to take), what it is on stderr."""
    from .service import auth
    from .service.store import UnknownKey

    store = _open_store(args.db)
    try:
        if args.keys_command == "add":
            try:
                record, key = auth.add_key(store, args.tenant, args.role, args.name)
            except ValueError as e:
                raise UsageError(str(e)) from None
            return (key + "\n", 0, f"convention: key {record.name!r} (tenant {record.tenant}, role "
                                   f"{record.role}) made; it is shown only this once\n")
        if args.keys_command == "list":
            return format_keys(store.list_keys()), 0, ""
        try:
            record = store.revoke_key(args.key)
        except UnknownKey:
            raise UsageError(f"no key named {args.key!r} (nor with that id)") from None
        return "", 0, f"convention: key {record.name!r} revoked at {record.revoked}\n"
    finally:
        store.close()


def format_keys(records) -> str:
    """The keys as a table: never a key, nor its hash."""
    rows = [("ID", "NAME", "TENANT", "ROLE", "CREATED", "REVOKED")]
    rows += [(r.id, r.name, r.tenant, r.role, r.created, r.revoked or "-") for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n" for row in rows)


COMMANDS = {"run": cmd_run, "check": cmd_check, "rules": cmd_rules, "state": cmd_state,
            "deadlines": cmd_deadlines, "whatif": cmd_whatif, "batch": cmd_batch,
            "report": cmd_report, "serve": cmd_serve, "keys": cmd_keys}


def main(argv: Sequence[str] | None = None) -> int:
    global _LANG
    _LANG = _lang_of(sys.argv[1:] if argv is None else list(argv))
    try:
        args = _parser().parse_args(argv)
        result: Any = COMMANDS[args.command](args)  # stdout, or (stdout, status[, stderr])
    except KeyboardInterrupt:  # Ctrl-C: one line, the shell's status for SIGINT
        sys.stderr.write(f"{_msg('prefix')}{_msg('interrupted')}\n")
        return 130
    except ScenarioError as e:
        sys.stderr.write(f"{scenario_error(e, _LANG)}\n")
        return 2
    except UnknownConvention as e:
        sys.stderr.write(f"{_msg('prefix')}{i18n.translated(str(e), i18n.SCENARIO_ERRORS_FR, _LANG)}\n")
        return 2
    except UsageError as e:
        sys.stderr.write(f"{_msg('prefix')}{e}\n")
        return 2
    except Exception as e:  # a bug of ours: still one line, never a traceback
        sys.stderr.write(f"{_msg('prefix')}{_msg('internal', error=f'{type(e).__name__}: {e}')}\n")
        return 3
    code, err = 0, ""
    out: str
    if isinstance(result, tuple):
        out, code = str(result[0]), int(result[1])
        err = str(result[2]) if len(result) > 2 else ""
    else:
        out = result
    if err:
        sys.stderr.write(err)
    sys.stdout.write(out)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
