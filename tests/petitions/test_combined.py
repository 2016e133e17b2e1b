"""The statements written as text for PostgreSQL (``petitions.combined``) name every
column a Python-side default would fill: SQLAlchemy's own INSERT would fill it, a text
statement would leave it empty without a word."""

from __future__ import annotations

from typing import Any

import pytest

from participatie.outbox import OUTBOX, QUEUED
from participatie.petitions.statements import NEW_SIGNATURE, SIGNATURES


@pytest.mark.parametrize(
    ("table", "names"), [(SIGNATURES, NEW_SIGNATURE), (OUTBOX, QUEUED)], ids=["signature", "outbox"]
)
def test_every_defaulted_column_is_named(table: Any, names: tuple[str, ...]) -> None:
    defaulted = {column.name for column in table.columns if column.default is not None}
    required = {
        column.name
        for column in table.columns
        if not column.nullable and column.server_default is None
    }
    assert defaulted | required <= set(names)
    assert set(names) <= {column.name for column in table.columns}
