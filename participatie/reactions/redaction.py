"""Redaction of personal data in free text for the public nota van beantwoording.

E-mail addresses, phone numbers, postcodes with house numbers (and street addresses) and
names a reviewer marked are replaced by a neutral marker, also in the middle of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s?(?:@|\(at\)|\[at\])\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
)
# Dutch numbers: 06-12345678, 050 123 4567, +31 6 1234 5678, 0031501234567.
PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)(?:[\s\-]?\(0\))?(?:[\s\-.]?\d){9}(?!\d)")
# A postcode followed by a house number, or a house number followed by a postcode.
# Lower-case letters that form a common word ("2026 en 12") are no postcode.
_WORDS = r"(?!(?:en|in|op|of|om|te|de|is|na|al|ja|nu|zo|er|ik|je|we|ze|me|an|at|to|on|or)\b)"
_ADDITION = r"(?:-?[A-Za-z0-9]{1,4}\b|\s[A-Za-z]\b)?"
POSTCODE_NUMBER = re.compile(
    rf"\b[1-9]\d{{3}}\s?{_WORDS}[A-Za-z]{{2}}(?![A-Za-z])[\s,]*(?:nr\.?\s*)?\d{{1,5}}{_ADDITION}"
    r"|\b\d{1,5}[A-Za-z]?\s*,?\s+[1-9]\d{3}\s?[A-Z]{2}(?![A-Za-z])",
)
# A street name with a house number ("Hoofdstraat 12a"), common Dutch street endings.
STREET_NUMBER = re.compile(
    r"\b[A-Z][\w'\-]*(?:straat|weg|laan|plein|kade|singel|dijk|pad|dreef|hof|gracht|markt"
    rf"|park|steeg|plantsoen|ring|wal)\s+\d{{1,5}}{_ADDITION}",
)
# A postcode alone, written with capitals (lower case would hit "2026 en").
POSTCODE = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}(?![A-Za-z])")

MARKERS = {
    "email": "[e-mailadres]",
    "phone": "[telefoonnummer]",
    "address": "[adres]",
    "name": "[naam]",
}


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all names (longest first, whole words, any case)."""

    cleaned = sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def redact(text: str, names: re.Pattern[str] | None = None) -> str:
    """The text with personal data replaced by markers."""

    if not text:
        return text
    out = EMAIL.sub(MARKERS["email"], text)
    out = PHONE.sub(MARKERS["phone"], out)
    out = STREET_NUMBER.sub(MARKERS["address"], out)
    out = POSTCODE_NUMBER.sub(MARKERS["address"], out)
    out = POSTCODE.sub(MARKERS["address"], out)
    if names is not None:
        out = names.sub(MARKERS["name"], out)
    return out
