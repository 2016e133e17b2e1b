"""Imports every mapped class so the metadata knows all tables (migrations, create_all)."""

from __future__ import annotations

import importlib

from participatie import areas, audit, jobs, sendcaps, shortcodes
from participatie.outbox import models as outbox_models

_MODULE_MODELS = (
    "participatie.polls.models",
    "participatie.petitions.models",
    "participatie.reactions.models",
    "participatie.subscriptions.models",
)

for _name in _MODULE_MODELS:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a module without tables yet
        if exc.name != _name:
            raise

__all__ = ["areas", "audit", "jobs", "outbox_models", "sendcaps", "shortcodes"]
