"""Bulk import of paper reactions from CSV or XLSX.

Every row is checked on its own: a bad row is reported with its row number (as the
spreadsheet shows it, the header being row 1) and the reason; every good row is kept.
A row whose reference (``nummer``) is in the dossier already is refused, so a corrected
file can be imported again without doubling the good rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.config import ImportSettings
from participatie.errors import ImportTooLarge, InvalidInput, ParticipatieError
from participatie.imports_bounds import CSV_SUFFIXES, XLSX_SUFFIXES, read_table
from participatie.reactions.errors import ImportFailed
from participatie.reactions.intake import receive
from participatie.reactions.models import ReactionRow
from participatie.reactions.schemas import (
    CHANNELS,
    ImportReport,
    ImportRowError,
    PointIn,
    ReactionIn,
    SubmitterIn,
)

if TYPE_CHECKING:
    from participatie.reactions.context import ReactionContext

#: Column names (lower case) and what they mean; Dutch and English both work.
COLUMNS: dict[str, str] = {
    "nummer": "external_ref",
    "formulier": "external_ref",
    "ref": "external_ref",
    "reference": "external_ref",
    "datum": "received",
    "ontvangen": "received",
    "received": "received",
    "poststempel": "postmark",
    "postmark": "postmark",
    "kanaal": "channel",
    "channel": "channel",
    "tekst": "text",
    "reactie": "text",
    "text": "text",
    "naam": "name",
    "name": "name",
    "e-mail": "email",
    "email": "email",
    "straat": "street",
    "street": "street",
    "huisnummer": "house_number",
    "house_number": "house_number",
    "postcode": "postcode",
    "plaats": "city",
    "woonplaats": "city",
    "city": "city",
    "telefoon": "phone",
    "phone": "phone",
    "medeondertekenaars": "cosigners",
    "cosigners": "cosigners",
    "thema": "theme",
    "theme": "theme",
    "taal": "locale",
    "locale": "locale",
}
CHANNEL_WORDS = {
    "papier": "paper",
    "formulier": "paper",
    "brief": "letter",
    "mondeling": "oral",
    "web": "web",
    "e-mail": "email",
}


def _rows(path: Path, bounds: ImportSettings) -> list[tuple[int, dict[str, Any]]]:
    """Every row with data, read whole and within ``bounds`` (before any transaction)."""

    suffix = path.suffix.lower()
    if suffix not in XLSX_SUFFIXES + CSV_SUFFIXES:
        raise ImportFailed(f"cannot import {path.name}: use .csv or .xlsx", field="file")
    try:
        table = read_table(path, bounds)
    except ImportTooLarge:
        raise
    except InvalidInput as exc:
        raise ImportFailed(exc.message, field="file") from None
    names = _header(table.header)
    return [
        (number, {names[i]: v for i, v in enumerate(row) if i < len(names) and names[i]})
        for number, row in table.rows
    ]


def _header(cells: list[str]) -> list[str]:
    names = [COLUMNS.get(c.strip().lower(), "") for c in cells]
    if "text" not in names:
        raise ImportFailed("the file has no column 'tekst' (or 'reactie', 'text')", field="file")
    return names


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _date(value: Any, field: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d-%m-%y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise _RowError(field, f"'{text}' is geen datum (schrijf 14-03-2026)")


class _RowError(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _reaction(ctx: ReactionContext, values: dict[str, Any], channel: str) -> ReactionIn:
    text = _text(values.get("text"))
    if not text:
        raise _RowError("tekst", "de reactie heeft geen tekst")
    raw_channel = (_text(values.get("channel")) or channel).lower()
    chosen = CHANNEL_WORDS.get(raw_channel, raw_channel)
    if chosen not in CHANNELS:
        raise _RowError("kanaal", f"onbekend kanaal '{raw_channel}'")
    received = _date(values.get("received"), "datum")
    received_at = None
    if received is not None:
        # Paper forms carry a date, not a time: noon local time on that day.
        received_at = datetime.combine(received, time(12), tzinfo=ctx.p.settings.zone)
    submitter: dict[str, Any] = {
        key: _text(values.get(key))
        for key in ("name", "email", "street", "house_number", "postcode", "city", "phone")
    }
    locale = (_text(values.get("locale")) or "nl").lower()
    submitter["locale"] = "en" if locale.startswith("en") else "nl"
    submitters = []
    if any(v for k, v in submitter.items() if k != "locale"):
        submitters.append(SubmitterIn(**submitter))
    for name in (_text(values.get("cosigners")) or "").split(";"):
        if name.strip():
            submitters.append(SubmitterIn(name=name.strip()))
    theme = _text(values.get("theme"))
    return ReactionIn(
        channel=chosen,
        text=text,
        submitters=submitters,
        received_at=received_at,
        postmark_date=_date(values.get("postmark"), "poststempel"),
        external_ref=_text(values.get("external_ref")),
        points=[PointIn(text=text, theme=theme)] if theme else [],
    )


_FIELD_NAMES = {
    "text": "tekst",
    "email": "e-mail",
    "postcode": "postcode",
    "house_number": "huisnummer",
    "theme": "thema",
    "received_at": "datum",
    "consent": "toestemming",
}


#: Why a typed value was refused, in the language of the import file's header (Dutch).
_REASONS_NL = {
    "e-mail": "geen geldig e-mailadres",
    "postcode": "geen Nederlandse postcode (4 cijfers, niet met 0 beginnend, en 2 letters)",
    "huisnummer": "geen geldig huisnummer",
    "datum": "geen geldige datum",
    "toestemming": "geen geldige toestemming",
}


def _reason_nl(field: str | None, error: Any) -> str:
    """A pydantic validation error as a Dutch reason, with the value that was typed."""

    value = error.get("input")
    shown = f": '{value}'" if isinstance(value, str) and value else ""
    return _REASONS_NL.get(field or "", "ongeldige waarde") + shown


def _error_nl(exc: ParticipatieError) -> str:
    """A domain error met while importing a row, as a Dutch reason."""

    if exc.code == "reaction.unknown_theme":
        return "dit thema bestaat niet in het dossier"
    known = _REASONS_NL.get(_field(exc.field) or "")
    if known:
        return known
    # Else the resident's message for the error's code (or its nearest parent's): never
    # the English text meant for the log, under the file's Dutch header.
    from participatie.catalogues import text

    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        said = text("nl", f"errors.{code}") if isinstance(code, str) else None
        if said:
            return said
    return exc.message


def _field(name: str | None) -> str | None:
    if name is None:
        return None
    last = name.split(".")[-1]
    return _FIELD_NAMES.get(last, last)


def import_file(
    ctx: ReactionContext,
    dossier_id: uuid.UUID,
    path: Path,
    *,
    actor: str,
    channel: str,
    session: Session | None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    if not path.exists():
        raise ImportFailed(f"no file {path}", field="file")
    # Read and bounded before the transaction opens: no lock is held while a file is read.
    rows = _rows(path, ctx.p.settings.imports)
    errors: list[ImportRowError] = []
    numbers: list[int] = []
    reaction_ids: list[uuid.UUID] = []
    total = 0
    with ctx.p.unit_of_work(session) as s:
        ctx.dossier(s, dossier_id)
        query = select(ReactionRow.external_ref).where(
            ReactionRow.dossier_id == dossier_id, ReactionRow.external_ref.is_not(None)
        )
        seen: set[str | None] = set(s.execute(query).scalars())
        for row_number, values in rows:
            total += 1
            if progress is not None:
                progress(total, len(rows))
            try:
                data = _reaction(ctx, values, channel)
                if data.external_ref and data.external_ref in seen:
                    raise _RowError(
                        "nummer", f"nummer '{data.external_ref}' staat al in het dossier"
                    )
                with s.begin_nested():
                    received = receive(ctx, s, dossier_id, data, actor=actor, web=False)
            except _RowError as exc:
                errors.append(ImportRowError(row=row_number, field=exc.field, reason=exc.reason))
                continue
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(part) for part in first.get("loc", ()))
                errors.append(
                    ImportRowError(
                        row=row_number,
                        field=_field(loc or None),
                        reason=_reason_nl(_field(loc or None), first),
                    )
                )
                continue
            except ParticipatieError as exc:
                errors.append(
                    ImportRowError(row=row_number, field=_field(exc.field), reason=_error_nl(exc))
                )
                continue
            if data.external_ref:
                seen.add(data.external_ref)
            numbers.append(received.reaction.number)
            reaction_ids.append(received.reaction.id)
        ctx.audit(
            s,
            actor,
            "reactions.imported",
            dossier_id,
            file=path.name,
            rows=total,
            imported=len(numbers),
            errors=[{"row": e.row, "field": e.field, "reason": e.reason} for e in errors],
        )
    return ImportReport(
        rows=total,
        imported=len(numbers),
        reaction_ids=reaction_ids,
        numbers=numbers,
        errors=errors,
    )
