"""The gemeente as residents, staff and the archive see it: name, postal address, website,
logo, and the names of its raad and college as letters use them (``Settings.organisation``).
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Logo files a page, letter or PDF can show, by suffix.
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
#: The largest logo embedded in pages and documents (bytes).
MAX_LOGO_BYTES = 512 * 1024


class OrganisationSettings(BaseModel):
    """The organisation's own details (environment ``PARTICIPATIE_ORGANISATION__*``).

    Shown in every page, mail, letter, report and document, and written into document
    metadata (the author of PDF, XLSX and DOCX files). Example for Groningen::

        PARTICIPATIE_ORGANISATION__NAME="Gemeente Groningen"
        PARTICIPATIE_ORGANISATION__POSTAL_ADDRESS="Postbus 30026; 9700 RM Groningen"
        PARTICIPATIE_ORGANISATION__WEBSITE="https://gemeente.groningen.nl"
        PARTICIPATIE_ORGANISATION__LOGO_FILE=/etc/participatie/logo.png
    """

    model_config = ConfigDict(frozen=True)

    #: The organisation's full name as it signs ("Gemeente Groningen"). The default is a
    #: placeholder that makes an unset name visible in every output.
    name: str = Field(default="Gemeente Voorbeeld", min_length=1, max_length=200)
    #: The return address on letters, lines separated by ";" or a new line
    #: ("Postbus 30026; 9700 RM Groningen").
    postal_address: str = ""
    #: The organisation's website, shown under pages, mails and letters.
    website: str | None = None
    #: A PNG or JPEG file (at most 512 KiB) for the letterhead of pages, letters and PDFs.
    logo_file: str | None = None
    #: The raad as letters name it ("de gemeenteraad van Groningen"); from ``name`` when
    #: not set.
    council_name: str | None = None
    #: The college as letters name it ("het college van burgemeester en wethouders van
    #: Groningen"); from ``name`` when not set.
    college_name: str | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        # The name stands inside sentences ("de raad van Gemeente Groningen."): no
        # trailing punctuation of its own, and more than the word "gemeente".
        text = " ".join(value.split()).rstrip(" .,;:")
        if not any(ch.isalpha() for ch in text) or text.casefold() in {"gemeente", "de gemeente"}:
            raise ValueError(
                f"give the municipality's full name, e.g. 'Gemeente Groningen', not just {value!r}"
            )
        return text

    @field_validator("logo_file")
    @classmethod
    def _check_logo(cls, value: str | None) -> str | None:
        if not value:
            return None
        path = Path(value)
        if path.suffix.lower() not in LOGO_TYPES:
            raise ValueError(f"logo {value!r}: use a .png or .jpg file")
        if not path.is_file():
            raise ValueError(f"logo {value!r} does not exist")
        if path.stat().st_size > MAX_LOGO_BYTES:
            raise ValueError(f"logo {value!r} is larger than {MAX_LOGO_BYTES // 1024} KiB")
        return str(path)

    @field_validator("website")
    @classmethod
    def _check_website(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("the website must start with https:// (or http://)")
        return value.rstrip("/")

    @property
    def place(self) -> str:
        """The name without "Gemeente " in front ("Groningen"), for "de raad van ..."."""

        for prefix in ("Gemeente ", "gemeente "):
            if self.name.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name

    @property
    def council(self) -> str:
        """The raad as a letter names it, lower case first ("de gemeenteraad van Groningen")."""

        return self.council_name or f"de gemeenteraad van {self.place}"

    @property
    def college(self) -> str:
        """The college as a letter names it ("het college van burgemeester en wethouders
        van Groningen")."""

        return self.college_name or f"het college van burgemeester en wethouders van {self.place}"

    @property
    def address_lines(self) -> list[str]:
        """The return address, one line per item (empty when not set)."""

        text = self.postal_address.replace("\n", ";")
        return [line.strip() for line in text.split(";") if line.strip()]

    @property
    def website_label(self) -> str:
        """The website without its scheme, as printed ("gemeente.groningen.nl")."""

        if not self.website:
            return ""
        return self.website.split("://", 1)[1]

    def logo_bytes(self) -> bytes | None:
        """The logo file's bytes, or None when no logo is set."""

        return _read(self.logo_file) if self.logo_file else None

    def logo_data_uri(self) -> str | None:
        """The logo as a ``data:`` URI for HTML pages and documents that stand alone."""

        if not self.logo_file:
            return None
        data = _read(self.logo_file)
        kind = LOGO_TYPES[Path(self.logo_file).suffix.lower()]
        return f"data:{kind};base64,{base64.b64encode(data).decode()}"


@lru_cache(maxsize=4)
def _read(path: str) -> bytes:
    return Path(path).read_bytes()


__all__ = ["OrganisationSettings"]
