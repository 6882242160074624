"""Who may ask what (docs/service.md, "Deployment"): API keys, tenants and roles, and the guards
every request passes before its endpoint runs.

A key is ``Authorization: Bearer KEY``. ``convention keys add`` makes one: 256 random bits from
:mod:`secrets`, shown once; the register keeps only its SHA-256. A slow password hash (bcrypt,
scrypt, Argon2) is there to slow the guessing of a *low-entropy* secret from a stolen hash; a
key drawn uniformly from 2**256 cannot be guessed whatever the hash's speed, so a fast hash loses
nothing, and it lets the register find a key by its hash (an index lookup, no scan, no
comparison with each stored key). The lookup compares hashes, not keys: what an attacker
controls (the key) reaches the database only through SHA-256, so the timing of the lookup tells
nothing about any stored key; the hash found is compared again in constant time.

Each key belongs to a **tenant** (an authority party to conventions, or the managing body itself)
and has one of the :data:`ROLES` (their names are the service's, docs/service.md; the code says
what each one may through :data:`TENANT_ONLY`, :data:`ALL_TENANTS` and :data:`ADMIN`):

- :data:`TENANT_ONLY` sees and writes only its tenant's conventions and creates them for its tenant;
- :data:`ALL_TENANTS` sees and writes every tenant's conventions, and may create one for a named
  tenant (``POST /v1/conventions?tenant=T``);
- :data:`ADMIN` may what :data:`ALL_TENANTS` may, and the register's corrections
  (:attr:`Caller.manages`). Keys themselves are managed with ``convention keys``, which needs
  the database's URL.

Another tenant's convention answers 404 with the very body of an unknown id.

Bodies. Only ``application/json`` and ``application/yaml`` are read (``charset=utf-8`` allowed):
a browser sends ``text/plain``, ``application/x-www-form-urlencoded`` and ``multipart/form-data``
from any web page without asking the server first (no CORS preflight), so accepting them would
let a page opened on the internal network write to the register (cross-site request forgery).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import uuid
from typing import Any, Awaitable, Callable, Mapping, Sequence

import anyio.to_thread
import attrs
from starlette.requests import Request
from starlette.responses import Response

from .problems import Problem
from .store import Author, KeyRecord, Store

__all__ = ["ROLES", "Caller", "ANONYMOUS", "new_key", "key_hash", "authenticate", "guarded",
           "check_content_type", "is_loopback", "valid_name", "AUTH_ENV", "BODY_TYPES"]

# The roles' names, as docs/service.md and `convention keys add --role` spell them: a word of the
# service's access model (the one line of engine/ that tests/test_generality.py lets name them).
ROLES = TENANT_ONLY, ALL_TENANTS, ADMIN = ("member", "cdg", "admin")
KEY_PREFIX = "cvk_"  # a key is recognisable in a leaked file or a secret scanner
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BODY_TYPES = ("application/json", "application/yaml")

# How `convention serve` tells its workers how to authenticate (see create_app's `auth`).
AUTH_ENV = {"auth": "CONVENTION_AUTH", "cors": "CONVENTION_CORS_ORIGINS"}


@attrs.frozen
class Caller:
    """The authenticated key of a request."""

    tenant: str
    name: str
    role: str

    @property
    def sees_all(self) -> bool:
        """Every tenant's conventions (else only its own)."""
        return self.role in (ALL_TENANTS, ADMIN)

    @property
    def manages(self) -> bool:
        """Corrections of the register."""
        return self.role == ADMIN

    @property
    def scope(self) -> str | None:
        """The tenant whose conventions it sees, None for all: the store's ``tenant=``."""
        return None if self.sees_all else self.tenant

    @property
    def author(self) -> Author:
        return Author(self.tenant, self.name)


# Every request of a server run with --no-auth (or on loopback without any key): the tenant ""
# and every right, since anyone who reaches it could be anyone.
ANONYMOUS = Caller("", "anonymous", ADMIN)


def valid_name(what: str, text: str) -> str:
    if not _NAME.match(text):
        raise ValueError(f"invalid {what} {text!r} (expected 1 to 64 letters, digits, '.', '_' or "
                         "'-', starting with a letter or digit)")
    return text


def new_key() -> str:
    """A new API key: 256 bits from the operating system's random source."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_key(store: Store, tenant: str, role: str, name: str | None = None) -> tuple[KeyRecord, str]:
    """Make and store a key; returns its record and the key itself (shown once, never stored)."""
    valid_name("tenant", tenant)
    if role not in ROLES:
        raise ValueError(f"invalid role {role!r} (expected {', '.join(ROLES)})")
    kid = uuid.uuid4().hex
    name = valid_name("key name", name) if name is not None else f"{tenant}-{role}-{kid[:8]}"
    key = new_key()
    return store.add_key(id=kid, name=name, tenant=tenant, role=role, hash=key_hash(key)), key


# --------------------------------------------------------------------------- authentication


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = 'Bearer realm="convention"' + (f', error="{error}"' if error else "")
    return Problem("unauthorized", detail, headers={"WWW-Authenticate": challenge})


def bearer(request: Request) -> str:
    """The key of ``Authorization: Bearer KEY`` (401 without one)."""
    header = request.headers.get("authorization")
    if header is None:
        raise _unauthorized("no API key: send Authorization: Bearer KEY")
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise _unauthorized("the Authorization header is not Bearer KEY", "invalid_request")
    return key


def authenticate(store: Store, key: str) -> Caller:
    """The caller of a key (blocking: the database); 401 for an unknown or revoked key, in
    the same words (whether a key was ever valid is not for the caller to learn)."""
    digest = key_hash(key)
    record = store.key_by_hash(digest) if len(key) <= 256 else None
    if record is None or record.revoked is not None or not hmac.compare_digest(record.hash, digest):
        raise _unauthorized("the API key is not valid (unknown or revoked)", "invalid_token")
    return Caller(record.tenant, record.name, record.role)


# --------------------------------------------------------------------------- bodies


def check_content_type(request: Request) -> None:
    """Only JSON and YAML bodies, UTF-8 (415 otherwise, a missing content type included)."""
    raw = request.headers.get("content-type")
    if raw is None:
        raise Problem("unsupported-media-type",
                      "no Content-Type: send application/json or application/yaml", headers=_ACCEPT)
    kind, *params = [p.strip() for p in raw.split(";")]
    ok = kind.lower() in BODY_TYPES
    for p in params:
        name, _, value = p.partition("=")
        if name.strip().lower() != "charset" or value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            ok = False
    if not ok:
        shown = raw if len(raw) <= 80 else raw[:77] + "..."
        raise Problem("unsupported-media-type",
                      f"Content-Type {shown!r}: the service reads application/json or "
                      "application/yaml (charset=utf-8) only", headers=_ACCEPT)


# RFC 9110 15.5.16: a 415 may say which media types would be read.
_ACCEPT = {"Accept-Post": ", ".join(BODY_TYPES)}


# --------------------------------------------------------------------------- the guard


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(endpoint: Endpoint, store: Store, *, public: bool, body: bool, auth: bool) -> Endpoint:
    """The endpoint behind its guards: the key (unless ``public`` or ``auth`` is off), then the
    body's content type (when it reads one), before the endpoint reads anything. The caller is
    ``request.state.caller``."""

    async def guard(request: Request) -> Response:
        if public:
            request.state.caller = None
        elif not auth:
            request.state.caller = ANONYMOUS
        else:
            key = bearer(request)
            request.state.caller = await anyio.to_thread.run_sync(authenticate, store, key)
        if body:
            check_content_type(request)
        return await endpoint(request)

    return guard


def caller(request: Request) -> Caller:
    return request.state.caller


def creation_tenant(request: Request, who: Caller) -> Author:
    """Whose convention a creation makes: the key's tenant, or with ``?tenant=T`` a named one
    (a key that sees every tenant only: 403 for one that sees its own tenant only)."""
    named = request.query_params.get("tenant")
    if named is None or named == who.tenant:
        return who.author
    if not who.sees_all:
        raise Problem("forbidden", f"tenant: a key of role {who.role} creates conventions for its own "
                                   f"tenant ({who.tenant}) only")
    try:
        valid_name("tenant", named)
    except ValueError as e:
        raise Problem("invalid-parameter", f"tenant: {e}") from None
    return Author(named, who.name)


# --------------------------------------------------------------------------- serving


def is_loopback(host: str) -> bool:
    """Whether ``--host`` listens on this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_from_env(env: Mapping[str, str] = os.environ) -> tuple[bool, tuple[str, ...]]:
    """(authenticate, CORS origins) of a worker of ``convention serve``."""
    auth = env.get(AUTH_ENV["auth"], "keys") != "none"
    origins = tuple(o for o in env.get(AUTH_ENV["cors"], "").split() if o)
    return auth, origins


def serve_env(auth: bool, origins: Sequence[str]) -> dict[str, str]:
    return {AUTH_ENV["auth"]: "keys" if auth else "none", AUTH_ENV["cors"]: " ".join(origins)}


def cors(origins: Sequence[str]) -> dict[str, Any]:
    """The CORS middleware's settings for the configured origins: what a browser page of one of
    them may send and read."""
    return {"allow_origins": list(origins), "allow_methods": ["GET", "POST"],
            "allow_headers": ["Authorization", "Content-Type", "Idempotency-Key", "If-Match"],
            "expose_headers": ["ETag", "Location", "Idempotent-Replayed", "Retry-After"],
            "allow_credentials": False, "max_age": 600}
