"""The public surface is listed: every public module has ``__all__`` naming the types it
defines, nothing listed is missing, and each module's types and errors are importable from
the module itself (``from participatie.petitions import SignatureIn``).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from pydantic import BaseModel

PACKAGE = Path(__file__).resolve().parents[2] / "participatie"
FEATURES = ("polls", "petitions", "reactions", "subscriptions")
#: Modules a host reads or imports from: the core rooms and each feature's public parts.
PUBLIC = (
    "participatie",
    "participatie.areas",
    "participatie.audit",
    "participatie.clock",
    "participatie.config",
    "participatie.db",
    "participatie.engine",
    "participatie.errors",
    "participatie.exports",
    "participatie.identity",
    "participatie.jobs",
    "participatie.links",
    "participatie.outbox",
    "participatie.outbox.delivery",
    "participatie.outbox.mailers",
    "participatie.formatting",
    "participatie.organisation",
    "participatie.privacy",
    "participatie.storage",
    "participatie.uploads",
    "participatie.retention",
    "participatie.sendcaps",
    "participatie.testing",
    "participatie.tokens",
    "participatie.urls",
    *(f"participatie.{m}{part}" for m in FEATURES for part in ("", ".schemas", ".errors")),
    *(f"participatie.{m}.settings" for m in FEATURES),
    *(f"participatie.{m}.service" for m in FEATURES),
)


def defined_types(module_name: str) -> set[str]:
    """Public classes the module's own source defines (ORM rows excepted: they stay inside)."""

    module = importlib.import_module(module_name)
    source = Path(str(module.__file__)).read_text(encoding="utf-8")
    return {
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef)
        and not node.name.startswith("_")
        and not node.name.endswith("Row")
    }


@pytest.mark.parametrize("module_name", PUBLIC)
def test_all_lists_the_public_types(module_name: str) -> None:
    module = importlib.import_module(module_name)
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"{module_name} has no __all__"
    assert len(listed) == len(set(listed)), f"{module_name}.__all__ repeats a name"
    missing = [name for name in listed if not hasattr(module, name)]
    assert missing == [], f"{module_name}.__all__ names what it does not have"
    unlisted = sorted(defined_types(module_name) - set(listed))
    assert unlisted == [], f"{module_name} defines public types not in __all__"


@pytest.mark.parametrize("feature", FEATURES)
def test_a_module_offers_its_types_and_errors(feature: str) -> None:
    package = importlib.import_module(f"participatie.{feature}")
    for part in ("schemas", "errors", "settings"):
        module = importlib.import_module(f"participatie.{feature}.{part}")
        for name in module.__all__:
            assert getattr(package, name) is getattr(module, name), f"{feature}.{name}"
            assert name in package.__all__


def test_results_are_typed() -> None:
    """No public result holds a bare dictionary of anything: a reader (and mypy) knows
    every field's type."""

    from typing import Any, get_args, get_origin

    loose: list[str] = []
    for feature in FEATURES:
        schemas = importlib.import_module(f"participatie.{feature}.schemas")
        for name in schemas.__all__:
            model = getattr(schemas, name)
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            for field, info in model.model_fields.items():
                annotation = info.annotation
                stack = [annotation]
                while stack:
                    current = stack.pop()
                    if current is Any or current is dict or current is object:
                        loose.append(f"{feature}.{name}.{field}")
                    if get_origin(current) is dict and Any in get_args(current):
                        loose.append(f"{feature}.{name}.{field}")
                    stack.extend(get_args(current))
    assert loose == []
