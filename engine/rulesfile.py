"""Rules files: `rules/<id>.yaml`, shipped inside the wheel as the package ``engine.rules``."""

from __future__ import annotations

import functools
import importlib.resources
import os
from typing import Any, Mapping

import attrs
import yaml

from . import params
from .events import freeze


class RulesError(ValueError):
    pass


@attrs.frozen
class RulesFile:
    id: str
    path: str
    title: str
    tree: Mapping  # the plain parameter values
    sources: Mapping  # the parameter tree with value, article, clause and note
    catalogue: Mapping  # rule id -> {article, decides}
    not_encoded: tuple


def leaves(tree: Mapping, prefix: str = ""):
    """(dotted name, node) for each parameter of a rules file's tree (leaves hold a `value`)."""
    for key, node in tree.items():
        if isinstance(node, Mapping) and "value" in node:
            yield prefix + key, node
        elif isinstance(node, Mapping):
            yield from leaves(node, prefix + key + ".")


def shipped_ids() -> tuple[str, ...]:
    root = importlib.resources.files("engine.rules")
    return tuple(sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml")))


def find(ref: str, base_dir: str | None = None) -> str:
    """The path of a rules id shipped with the engine, or of a rules file given by path."""
    if ref in shipped_ids():
        return str(importlib.resources.files("engine.rules").joinpath(f"{ref}.yaml"))
    candidates = [ref] if os.path.isabs(ref) else [os.path.join(base_dir or ".", ref), ref]
    for c in candidates:
        if (c.endswith(".yaml") or c.endswith(".yml")) and os.path.isfile(c):
            return os.path.abspath(c)
    raise RulesError(
        f"unknown convention {ref!r} (shipped rules: {', '.join(shipped_ids())}; or a path to a rules file)"
    )


# The consequences a rule's `do` may name (engine/replay.py carries them out).
CONSEQUENCES = frozenset({
    "started", "terminated", "expire", "renew", "after_termination", "record_agents",
    "record_count", "amend", "call", "overdue", "cured", "payment", "notice_void",
    "terminate_now", "supersede_newcomer", "refuse_notice", "unfounded",
    "schedule_termination", "adjust", "documents", "dispute", "signed",
})


def _check_catalogue(path: str, catalogue: Any) -> None:
    if not isinstance(catalogue, Mapping) or not catalogue:
        raise RulesError(f"{path}: a rules file needs its `rules:` catalogue")
    for rule_id, rule in catalogue.items():
        where = f"{path}: rules.{rule_id}"
        if not isinstance(rule, Mapping) or not isinstance(rule.get("article"), str):
            raise RulesError(f"{where}: a rule needs its `article`")
        when = rule.get("when")
        if not isinstance(when, Mapping) or not when or not all(
                isinstance(v, (str, bool, int)) for v in when.values()):
            raise RulesError(f"{where}: `when` must map event fields to values")
        if rule.get("do") not in CONSEQUENCES:
            raise RulesError(f"{where}: unknown consequence `do: {rule.get('do')}` "
                             f"(known: {', '.join(sorted(CONSEQUENCES))})")
        if '"' in str(rule_id):
            raise RulesError(f"{where}: a rule id cannot hold a double quote")


@functools.lru_cache(maxsize=64)
def load(path: str) -> RulesFile:
    """Read and check a rules file; cached, the result is immutable."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc: Any = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as e:
        raise RulesError(f"cannot read rules file {path}: {e}") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("parameters"), Mapping):
        raise RulesError(f"{path}: a rules file needs `id` and `parameters`")
    try:
        tree = params.values_of(doc["parameters"])
        params.Params.from_tree(tree)
    except params.ParamError as e:
        raise RulesError(f"{path}: parameters.{e}") from None
    catalogue = doc.get("rules")
    _check_catalogue(path, catalogue)
    return RulesFile(
        id=str(doc.get("id") or os.path.basename(path).rsplit(".", 1)[0]),
        path=path,
        title=str(doc.get("title", "")),
        tree=freeze(tree),
        sources=freeze(doc["parameters"]),
        catalogue=freeze(catalogue),
        not_encoded=freeze(doc.get("not_encoded") or ()),
    )
