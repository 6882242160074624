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
    catalogue = doc.get("rules") or {}
    return RulesFile(
        id=str(doc.get("id") or os.path.basename(path).rsplit(".", 1)[0]),
        path=path,
        title=str(doc.get("title", "")),
        tree=freeze(tree),
        sources=freeze(doc["parameters"]),
        catalogue=freeze(catalogue),
        not_encoded=freeze(doc.get("not_encoded") or ()),
    )
