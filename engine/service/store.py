"""The register of live conventions: an append-only event log in SQL (docs/spec.md 9).

Four tables, one code path for SQLite and PostgreSQL (SQLAlchemy Core):

- ``conventions``: the id (an opaque string the server makes), the scenario's header (every key
  but ``events``) as JSON, when it was created, the idempotency key of its creation (unique per
  tenant), the tenant it belongs to and the API key that created it;
- ``events``: one row per event, ``version`` 1..N within its convention, the event mapping as
  JSON as it was received, its idempotency key (optional), the hash of its body, and its audit
  record: when it arrived and the tenant and name of the API key that stored it.
  ``(convention_id, version)`` is the primary key and ``(convention_id, idempotency_key)`` is
  unique: the database itself refuses a second event at the same version or under the same key;
- ``api_keys``: the service's API keys (engine/service/auth.py), each by the SHA-256 of the key;
- ``voids``: one row per voided event (who, when, why): the event stays, the replay skips it.

A register made before tenants and audit is refused (:class:`OldSchema`, docs/service.md).

Nothing is ever updated or deleted. An append reads the last version and inserts the next one
in one transaction: on SQLite the transaction takes the write lock at its start
(``BEGIN IMMEDIATE``), so appends are serialised; on PostgreSQL two appends may both read the
same last version, the second insert then breaks the primary key, and the append is retried
from the start (where it may find that its key was stored meanwhile). Either way an event
acknowledged is committed, and a retried key is stored once.

JSON is written by :func:`dumps`: exact decimals (an amount is never a binary float), one line,
and only characters that YAML reads back as written, so that the stored scenario can be read by
the same YAML reader as a file (``engine.service`` replays it that way).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import threading
import time
import uuid
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import attrs
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

__all__ = ["Store", "Stored", "Appended", "Author", "Audited", "KeyRecord", "NotFound", "KeyReused",
           "StaleVersion", "TooManyEvents", "NoSuchEvent", "AlreadyVoided", "OldSchema", "UnknownKey", "dumps", "loads", "body_hash",
           "DEFAULT_URL", "MAX_EVENTS"]

DEFAULT_URL = "sqlite:///conventions.db"
MAX_EVENTS = 10_000
KEY_LENGTH = 255
_RETRIES = 50  # an append that loses the race this often is answered 503
_SQLITE_BUSY_SECONDS = 30

metadata = sa.MetaData()

NAME_LENGTH = 64  # a tenant's or an API key's name

conventions = sa.Table(
    "conventions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("header", sa.Text, nullable=False),  # the scenario mapping without `events`, JSON
    sa.Column("created", sa.String(32), nullable=False),  # ISO 8601, UTC
    sa.Column("idempotency_key", sa.String(KEY_LENGTH), nullable=True),
    sa.Column("body_hash", sa.String(64), nullable=False),
    # the tenant the convention belongs to, and the API key that created it (audit)
    sa.Column("tenant", sa.String(NAME_LENGTH), nullable=False, index=True),
    sa.Column("key_name", sa.String(NAME_LENGTH), nullable=False),
    # a creation's idempotency key is the tenant's own: another tenant's same key is another key
    sa.UniqueConstraint("tenant", "idempotency_key", name="conventions_key_once"),
)

events = sa.Table(
    "events", metadata,
    sa.Column("convention_id", sa.String(64), sa.ForeignKey("conventions.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("body", sa.Text, nullable=False),  # the event mapping as received, JSON
    sa.Column("idempotency_key", sa.String(KEY_LENGTH), nullable=True),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),  # when it arrived: ISO 8601, UTC (audit)
    # who stored it (audit): the API key's tenant and name
    sa.Column("tenant", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("key_name", sa.String(NAME_LENGTH), nullable=False),
    sa.UniqueConstraint("convention_id", "idempotency_key", name="events_key_once"),
)

# API keys (engine/service/auth.py): only a key's SHA-256 is stored, never the key.
keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False, unique=True),
    sa.Column("tenant", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("revoked", sa.String(32), nullable=True),
)

# The columns a register made before tenants and audit lacks (see Store.check_schema).
_NEW_COLUMNS = {"conventions": ("tenant", "key_name"), "events": ("tenant", "key_name")}


voids = sa.Table(
    "voids", metadata,
    sa.Column("convention_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("by", sa.String(255), nullable=False),  # who voided it (the admin's key name)
    sa.Column("at", sa.String(32), nullable=False),  # ISO 8601, UTC
    sa.Column("reason", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(["convention_id", "version"], ["events.convention_id", "events.version"]),
)


# --------------------------------------------------------------------------- errors


class NotFound(LookupError):
    """No convention with this id."""


class KeyReused(ValueError):
    """An idempotency key already stored with another body."""


class StaleVersion(ValueError):
    """``If-Match`` named another version than the last one."""

    def __init__(self, expected: int, current: int):
        super().__init__(f"expected version {expected}, the convention is at version {current}")
        self.expected = expected
        self.current = current


class TooManyEvents(ValueError):
    def __init__(self, limit: int):
        super().__init__(f"a convention holds at most {limit} events")
        self.limit = limit


class NoSuchEvent(LookupError):
    """No event at this version of the convention."""


class AlreadyVoided(ValueError):
    """The event was voided already (a void is never undone nor repeated)."""


class OldSchema(RuntimeError):
    """A register made by an older engine: without the tenant and audit columns."""


class UnknownKey(LookupError):
    """No API key of this name or id (``convention keys revoke``)."""


class Busy(RuntimeError):
    """The database stayed locked or contended through every retry."""


# --------------------------------------------------------------------------- JSON


_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _string(text: str) -> str:
    # json.dumps escapes the C0 controls; the rest YAML would fold (NEL, LS, PS) or refuse.
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(text, ensure_ascii=False))


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """JSON on one line; a ``Decimal`` is written as its exact digits (``1000.10`` stays so)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return str(value)
    if isinstance(value, float):  # not from this module's loads, but harmless
        return json.dumps(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return _string(value.isoformat())
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0])) if sort_keys else value.items()
        return "{" + ", ".join(f"{_string(str(k))}: {dumps(v, sort_keys=sort_keys)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v, sort_keys=sort_keys) for v in value) + "]"
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def loads(text: str) -> Any:
    """JSON with exact decimals (the reverse of :func:`dumps`)."""
    return json.loads(text, parse_float=Decimal)


def body_hash(value: Any) -> str:
    """The same for the same mapping, whatever the order of its keys or its spacing."""
    return hashlib.sha256(dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- values


@attrs.frozen
class Stored:
    """One convention as stored: its header, its events in version order, its version."""

    id: str
    header: Mapping
    events: tuple  # the event mappings, version 1 first
    created: str

    @property
    def version(self) -> int:
        return len(self.events)


@attrs.frozen
class Appended:
    version: int
    replayed: bool  # the idempotency key was known: nothing was stored


@attrs.frozen
class Author:
    """Who stores a convention or an event (audit): the API key's tenant and name. The
    convention created belongs to ``tenant``."""

    tenant: str
    name: str


# Writes made without a key (the store used directly, or a server run with --no-auth).
UNATTRIBUTED = Author("", "")


@attrs.frozen
class Audited:
    """One stored event with its audit record: when it arrived (UTC) and who stored it, and
    its void if it was voided."""

    version: int
    body: str  # the event as stored, JSON
    received: str  # ISO 8601, UTC: the server's clock when it was stored
    tenant: str
    key_name: str
    voided: Mapping[str, str] | None = None  # {"by", "at", "reason"}


@attrs.frozen
class KeyRecord:
    """An API key as stored: never the key, only its hash."""

    id: str
    name: str
    tenant: str
    role: str
    hash: str
    created: str
    revoked: str | None


# --------------------------------------------------------------------------- the store


def engine_url(url: str) -> sa.URL:
    """``postgresql://`` means psycopg 3 (the driver installed with the engine)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


class Store:
    """The register. Thread-safe: every call takes its own connection from the pool."""

    def __init__(self, url: str = DEFAULT_URL, *, create: bool = True, max_events: int = MAX_EVENTS):
        self.url = engine_url(url)
        self.max_events = max_events
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self._local_writer = threading.Lock() if self.sqlite else contextlib.nullcontext()
        if self.sqlite:
            if self.url.database in (None, "", ":memory:"):
                raise ValueError("the register needs a file: sqlite:///PATH (not in memory)")
            self.engine = sa.create_engine(self.url, connect_args={"timeout": _SQLITE_BUSY_SECONDS})
            sa_event.listen(self.engine, "connect", _sqlite_connect)
            sa_event.listen(self.engine, "begin", _sqlite_begin)
        elif self.url.get_backend_name() == "postgresql":
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        else:
            raise ValueError(f"unsupported database {self.url.get_backend_name()!r} "
                             "(expected sqlite:///PATH or postgresql://...)")
        if create:
            self.create_tables()

    def create_tables(self) -> None:
        self.check_schema()
        metadata.create_all(self.engine)

    def check_schema(self) -> None:
        """Refuse a register made before tenants and audit (no migration yet: docs/service.md)."""
        found = sa.inspect(self.engine)
        for table, needed in _NEW_COLUMNS.items():
            if not found.has_table(table):
                continue
            have = {c["name"] for c in found.get_columns(table)}
            missing = [c for c in needed if c not in have]
            if missing:
                raise OldSchema(f"the register was made by an older engine: table {table} has no "
                                f"column {missing[0]} (tenants and audit); see docs/service.md, "
                                "'Upgrading a register'")

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- transactions

    def _read(self):
        return self.engine.begin()

    def _write(self):
        """A transaction that writes: on SQLite it holds the write lock from its first statement."""
        conn = self.engine.connect().execution_options(convention_write=True)
        return _Tx(conn)

    def _retrying(self, work):
        """Run ``work(conn)`` in a write transaction, again when it loses a race."""
        last: Exception | None = None
        for attempt in range(_RETRIES):
            try:
                # SQLite: this process's writers queue here rather than in SQLite's busy handler,
                # which sleeps up to 100 ms between tries; other processes still meet the lock.
                with self._local_writer, self._write() as conn:
                    return work(conn)
            except sa.exc.IntegrityError as e:  # another writer took the version (or the key)
                last = e
            except sa.exc.OperationalError as e:  # SQLite: still locked after the busy timeout
                if not self.sqlite or "locked" not in str(e).lower():
                    raise
                last = e
            time.sleep(min(0.001 * (2 ** min(attempt, 8)), 0.2))
        raise Busy(f"the register is busy, try again ({type(last).__name__})")

    # ---------------------------------------------------------------- conventions

    def create(self, header: Mapping, evs: Sequence[Mapping] = (), *,
               key: str | None = None, by: Author = UNATTRIBUTED) -> tuple[str, int, bool]:
        """Store a new convention of ``by.tenant`` with its first events (versions 1..n); returns
        ``(id, version, replayed)``: with a key ``by.tenant`` already used and the same body, the
        first answer and nothing stored. Keys are the tenant's own."""
        if len(evs) > self.max_events:
            raise TooManyEvents(self.max_events)
        digest = body_hash({"header": header, "events": list(evs)})

        def work(conn):
            if key is not None:
                row = conn.execute(sa.select(conventions.c.id, conventions.c.body_hash)
                                   .where(conventions.c.tenant == by.tenant,
                                          conventions.c.idempotency_key == key)).first()
                if row is not None:
                    if row.body_hash != digest:
                        raise KeyReused(key)
                    return row.id, len(evs), True  # the first answer: its events' count
            cid = uuid.uuid4().hex
            now = _now()
            conn.execute(conventions.insert().values(id=cid, header=dumps(header), created=now,
                                                     idempotency_key=key, body_hash=digest,
                                                     tenant=by.tenant, key_name=by.name))
            if evs:
                conn.execute(events.insert(), [
                    {"convention_id": cid, "version": i + 1, "body": dumps(e), "idempotency_key": None,
                     "body_hash": body_hash(e), "created": now, "tenant": by.tenant,
                     "key_name": by.name} for i, e in enumerate(evs)])
            return cid, len(evs), False

        return self._retrying(work)

    def append(self, cid: str, ev: Mapping, *, key: str | None = None,
               expected: int | None = None, by: Author = UNATTRIBUTED, tenant: str | None = None,
               check: Callable[[Mapping, tuple[str | None, ...]], None] | None = None) -> Appended:
        """Append one event, stored with its author ``by``. With ``tenant``, a convention of
        another tenant is :class:`NotFound`, as an unknown one (first, before anything is said).
        A known ``key`` answers as the first time (before ``expected`` is looked at) or raises
        :class:`KeyReused`; ``expected`` (If-Match) must be the last version, else
        :class:`StaleVersion`. ``check(header, texts)``, given the header and every event text
        the convention would then hold (this one last), is called inside the write transaction,
        after every other test: what it raises stores nothing."""
        text = dumps(ev)
        digest = body_hash(ev)

        def work(conn):
            if conn.execute(sa.select(conventions.c.id).where(*_visible(cid, tenant))).first() is None:
                raise NotFound(cid)
            if key is not None:
                row = conn.execute(sa.select(events.c.version, events.c.body_hash).where(
                    events.c.convention_id == cid, events.c.idempotency_key == key)).first()
                if row is not None:
                    if row.body_hash != digest:
                        raise KeyReused(key)
                    return Appended(row.version, True)
            current = conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.version), 0))
                                   .where(events.c.convention_id == cid)).scalar_one()
            if expected is not None and expected != current:
                raise StaleVersion(expected, current)
            if current >= self.max_events:
                raise TooManyEvents(self.max_events)
            if check is not None:
                self._check_with(conn, cid, text, check)
            conn.execute(events.insert().values(convention_id=cid, version=current + 1, body=text,
                                                idempotency_key=key, body_hash=digest, created=_now(),
                                                tenant=by.tenant, key_name=by.name))
            return Appended(current + 1, False)

        return self._retrying(work)

    def _check_with(self, conn, cid: str, text: str, check: Callable) -> None:
        """The poison-proof append's test, from the transaction that will insert the event: the
        convention as it would be (the voided events left out), read under the write lock."""
        header = conn.execute(sa.select(conventions.c.header).where(conventions.c.id == cid)).scalar_one()
        check(loads(header), _live_texts(conn, cid) + (text,))

    # ---------------------------------------------------------------- voiding

    def void(self, cid: str, version: int, *, by: str, reason: str,
             check: Callable[[Mapping, tuple[str | None, ...]], None] | None = None) -> dict:
        """Void event ``version``: a row of ``voids`` (who, when, why); the event stays, the
        replay skips it. ``check(header, texts)`` sees the convention without it, inside the
        write transaction: what it raises voids nothing."""

        def work(conn):
            if conn.execute(sa.select(conventions.c.id).where(conventions.c.id == cid)).first() is None:
                raise NotFound(cid)
            if conn.execute(sa.select(events.c.version).where(
                    events.c.convention_id == cid, events.c.version == version)).first() is None:
                raise NoSuchEvent(version)
            if conn.execute(sa.select(voids.c.version).where(
                    voids.c.convention_id == cid, voids.c.version == version)).first() is not None:
                raise AlreadyVoided(version)
            if check is not None:
                header = conn.execute(sa.select(conventions.c.header)
                                      .where(conventions.c.id == cid)).scalar_one()
                texts = list(_live_texts(conn, cid))
                texts[version - 1] = None
                check(loads(header), tuple(texts))
            row = {"by": by, "at": _now(), "reason": reason}
            conn.execute(voids.insert().values(convention_id=cid, version=version, **row))
            return row

        return self._retrying(work)

    def history(self, cid: str, *, tenant: str | None = None) -> list[Audited]:
        """Every event as stored, in version order, each with its audit record (when it arrived,
        the tenant and name of the key that stored it) and its void (``None``, or who voided it,
        when and why); with ``tenant``, a convention of another tenant is :class:`NotFound`."""
        with self._read() as conn:
            if conn.execute(sa.select(conventions.c.id).where(*_visible(cid, tenant))).first() is None:
                raise NotFound(cid)
            rows = conn.execute(
                sa.select(events.c.version, events.c.body, events.c.created, events.c.tenant,
                          events.c.key_name, voids.c.by, voids.c.at, voids.c.reason)
                .select_from(events.outerjoin(voids, sa.and_(voids.c.convention_id == events.c.convention_id,
                                                             voids.c.version == events.c.version)))
                .where(events.c.convention_id == cid).order_by(events.c.version)).all()
        return [Audited(r.version, r.body, r.created, r.tenant, r.key_name,
                        None if r.at is None else {"by": r.by, "at": r.at, "reason": r.reason})
                for r in rows]

    def ping(self) -> None:
        """Raise unless the database answers (``/readyz``)."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def version(self, cid: str, *, tenant: str | None = None) -> int:
        with self._read() as conn:
            if conn.execute(sa.select(conventions.c.id).where(*_visible(cid, tenant))).first() is None:
                raise NotFound(cid)
            return conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.version), 0))
                                .where(events.c.convention_id == cid)).scalar_one()

    def header(self, cid: str, *, tenant: str | None = None) -> Mapping:
        with self._read() as conn:
            row = conn.execute(sa.select(conventions.c.header).where(*_visible(cid, tenant))).first()
        if row is None:
            raise NotFound(cid)
        return loads(row.header)

    def read(self, cid: str, *, tenant: str | None = None) -> Stored:
        """The header and every event, from one transaction."""
        with self._read() as conn:
            row = conn.execute(sa.select(conventions.c.header, conventions.c.created)
                               .where(*_visible(cid, tenant))).first()
            if row is None:
                raise NotFound(cid)
            bodies = conn.execute(sa.select(events.c.version, events.c.body)
                                  .where(events.c.convention_id == cid)
                                  .order_by(events.c.version)).all()
        # versions are 1..N without gap: each insert took max + 1 under the write lock or the key
        return Stored(cid, loads(row.header), tuple(loads(b.body) for b in bodies), row.created)

    def event_texts(self, cid: str, *, tenant: str | None = None) -> tuple[Mapping, tuple[str | None, ...], str]:
        """The header, the events' JSON texts as stored (version order; None for a voided one)
        and the creation time; with ``tenant``, a convention of another tenant is
        :class:`NotFound`."""
        with self._read() as conn:
            row = conn.execute(sa.select(conventions.c.header, conventions.c.created)
                               .where(*_visible(cid, tenant))).first()
            if row is None:
                raise NotFound(cid)
            bodies = _live_texts(conn, cid)
        return loads(row.header), bodies, row.created

    def ids(self, *, tenant: str | None = None) -> list[str]:
        """Every convention's id (of ``tenant`` only, if given), oldest first."""
        q = sa.select(conventions.c.id)
        if tenant is not None:
            q = q.where(conventions.c.tenant == tenant)
        with self._read() as conn:
            return list(conn.execute(q.order_by(conventions.c.created, conventions.c.id)).scalars())

    # ---------------------------------------------------------------- tenants and audit

    def tenant_of(self, cid: str) -> str:
        with self._read() as conn:
            row = conn.execute(sa.select(conventions.c.tenant).where(conventions.c.id == cid)).first()
        if row is None:
            raise NotFound(cid)
        return row.tenant

    # ---------------------------------------------------------------- API keys

    def add_key(self, *, id: str, name: str, tenant: str, role: str, hash: str) -> KeyRecord:
        """Store a key's record (its hash, never the key); a name already taken is ValueError."""
        record = KeyRecord(id, name, tenant, role, hash, _now(), None)

        def work(conn):
            if conn.execute(sa.select(keys.c.id).where(keys.c.name == name)).first() is not None:
                raise ValueError(f"a key is already named {name!r}")
            conn.execute(keys.insert().values(**attrs.asdict(record)))
            return record

        return self._retrying(work)

    def key_by_hash(self, digest: str) -> KeyRecord | None:
        with self._read() as conn:
            row = conn.execute(sa.select(keys).where(keys.c.hash == digest)).first()
        return None if row is None else KeyRecord(**row._asdict())

    def list_keys(self) -> list[KeyRecord]:
        with self._read() as conn:
            rows = conn.execute(sa.select(keys).order_by(keys.c.created, keys.c.name)).all()
        return [KeyRecord(**r._asdict()) for r in rows]

    def active_keys(self) -> int:
        with self._read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(keys)
                                .where(keys.c.revoked.is_(None))).scalar_one()

    def revoke_key(self, name_or_id: str) -> KeyRecord:
        """Revoke a key by its name or id (revoking twice keeps the first time)."""
        def work(conn):
            row = conn.execute(sa.select(keys).where(sa.or_(keys.c.name == name_or_id,
                                                            keys.c.id == name_or_id))).first()
            if row is None:
                raise UnknownKey(name_or_id)
            if row.revoked is None:
                conn.execute(keys.update().where(keys.c.id == row.id).values(revoked=_now()))
            got = conn.execute(sa.select(keys).where(keys.c.id == row.id)).one()
            return KeyRecord(**got._asdict())

        return self._retrying(work)

    def versions(self, cid: str) -> list[int]:
        """Every stored version of a convention, in order (for checks: 1..N without gap)."""
        with self._read() as conn:
            return list(conn.execute(sa.select(events.c.version).where(events.c.convention_id == cid)
                                     .order_by(events.c.version)).scalars())


def _live_texts(conn, cid: str) -> tuple[str | None, ...]:
    """The events' texts in version order, None for a voided one."""
    rows = conn.execute(
        sa.select(events.c.body, voids.c.version.label("voided"))
        .select_from(events.outerjoin(voids, sa.and_(voids.c.convention_id == events.c.convention_id,
                                                     voids.c.version == events.c.version)))
        .where(events.c.convention_id == cid).order_by(events.c.version)).all()
    return tuple(None if r.voided is not None else r.body for r in rows)


def _visible(cid: str, tenant: str | None) -> tuple:
    """The WHERE clause of a convention seen by ``tenant`` (None: every tenant's)."""
    if tenant is None:
        return (conventions.c.id == cid,)
    return (conventions.c.id == cid, conventions.c.tenant == tenant)


class _Tx:
    """``with`` a connection and its transaction; the connection goes back to the pool after."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.tx = self.conn.begin()
        return self.conn

    def __exit__(self, kind, value, tb):
        try:
            if kind is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        finally:
            self.conn.close()
        return False


def _sqlite_connect(dbapi_conn, record) -> None:
    # SQLAlchemy emits BEGIN itself (see _sqlite_begin), not the driver.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it is acknowledged
        cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_SECONDS * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
    finally:
        cur.close()


def _sqlite_begin(conn) -> None:
    # A writer takes the write lock at BEGIN: reading the last version and inserting the next
    # one cannot interleave with another writer (no upgrade from a read lock, no SQLITE_BUSY
    # half-way through).
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("convention_write")
                         else "BEGIN")

