"""A rule's `when`, from the rules file's words to a durable_rules condition.

A `when` is a mapping read as "all of these hold":

- ``field: VALUE``: the field equals the value (a date is compared as a day number);
- ``field: {OP: VALUE}`` with OP one of ``eq``, ``ne``, ``lt``, ``lte``, ``gt``, ``gte``;
- ``field: {OP: {field: OTHER}}``: compared with another field of the same event
  (``field: {field: OTHER}`` alone is equality);
- ``field: {any: [V1, V2]}``: the field equals one of the values;
- ``any: [WHEN, WHEN]``: one of the nested conditions holds; ``all: [WHEN, ...]``: all hold.

Each becomes the durable_rules JSON test of the posted event's own fields
(``{"$lt": {"last_day": {"$m": "initial_end"}}}``); the engine posts figures (dates as day
numbers, money as cents) and the rules choose between outcomes. Mistakes are reported as
:class:`WhenError` with the path of the offending key, so that the rules file's loader can name
its line.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping

_OPS = {"eq": None, "ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


class WhenError(ValueError):
    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def _constant(value: Any, path: tuple) -> Any:
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, bool) or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise WhenError(path, f"expected a name, a whole number, a date or true/false, got {value!r}")


def _operand(value: Any, path: tuple, fields: frozenset) -> Any:
    """A constant, or ``{field: OTHER}`` for another field of the same event."""
    if isinstance(value, Mapping):
        if set(value) != {"field"}:
            raise WhenError(path, "a comparison takes a value or {field: NAME}")
        other = value["field"]
        if other not in fields:
            raise WhenError(path + ("field",), f"unknown field {other!r}")
        return {"$m": other}
    return _constant(value, path)


def compile_when(when: Any, fields: frozenset, path: tuple = ()) -> list:
    """The list of durable_rules tests (to be joined with ``$and``) of one `when` mapping.

    ``fields`` are the names a decision event may carry; a test of any other name is an error.
    """
    if not isinstance(when, Mapping) or not when:
        raise WhenError(path, "`when` must map event fields to values")
    tests: list = []
    for key, value in when.items():
        here = path + (key,)
        if key in ("any", "all"):
            if not isinstance(value, (list, tuple)) or not value:
                raise WhenError(here, f"`{key}` takes a list of conditions")
            parts = [{"$and": compile_when(v, fields, here + (i,))} for i, v in enumerate(value)]
            tests.append({"$or" if key == "any" else "$and": parts})
            continue
        if key not in fields:
            raise WhenError(here, f"unknown field {key!r} (decision events carry: "
                                  f"{', '.join(sorted(fields))})")
        if not isinstance(value, Mapping):
            tests.append({key: _constant(value, here)})
            continue
        if set(value) == {"field"}:
            tests.append({key: _operand(value, here, fields)})
            continue
        if len(value) != 1:
            raise WhenError(here, "one operator per field (eq, ne, lt, lte, gt, gte, any)")
        (op, arg), = value.items()
        if op == "any":
            if not isinstance(arg, (list, tuple)) or not arg:
                raise WhenError(here + ("any",), "`any` takes a list of values")
            tests.append({"$or": [{key: _constant(v, here + ("any", i))} for i, v in enumerate(arg)]})
        elif op in _OPS:
            operand = _operand(arg, here + (op,), fields)
            tests.append({key: operand} if _OPS[op] is None else {_OPS[op]: {key: operand}})
        else:
            raise WhenError(here + (op,), f"unknown operator {op!r} (eq, ne, lt, lte, gt, gte, any)")
    return tests


def tested_values(when: Any, field: str) -> set:
    """The constants a `when` compares ``field`` with by equality (to check names such as `t`)."""
    out: set = set()
    if not isinstance(when, Mapping):
        return out
    for key, value in when.items():
        if key in ("any", "all") and isinstance(value, (list, tuple)):
            for v in value:
                out |= tested_values(v, field)
        elif key == field:
            if isinstance(value, Mapping):
                if "any" in value and isinstance(value["any"], (list, tuple)):
                    out |= set(value["any"])
                elif "eq" in value:
                    out.add(value["eq"])
            else:
                out.add(value)
    return out


_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}


def scalar(v: Any) -> str:
    """A constant as written in a rules file (``true``, ``null``, ``2027-01-01``)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def describe(when: Any) -> list[str]:
    """A `when` as a reader checks it against its clause: one condition per item, all to hold
    (``["t = notice", "last_day > final_end"]``); alternatives in parentheses joined by "or"."""
    out = []
    for key, value in when.items():
        if key in ("any", "all"):
            joiner = " or " if key == "any" else " and "
            out.append("(" + joiner.join(" and ".join(describe(v)) for v in value) + ")")
        elif isinstance(value, Mapping):
            (op, arg), = value.items()
            if op == "field":
                out.append(f"{key} = {arg}")
            elif op == "any":
                out.append(f"{key} in ({', '.join(scalar(v) for v in arg)})")
            else:
                other = arg["field"] if isinstance(arg, Mapping) else scalar(arg)
                out.append(f"{key} {_SYMBOLS[op]} {other}")
        else:
            out.append(f"{key} = {scalar(value)}")
    return out


def describe_do(do: Any) -> str:
    """A rule's `do` as written: the consequence, then its arguments."""
    if isinstance(do, Mapping):
        (name, args), = do.items()
        if args:
            return f"{name} (" + ", ".join(f"{k}: {scalar(v)}" for k, v in args.items()) + ")"
        return str(name)
    return str(do)
