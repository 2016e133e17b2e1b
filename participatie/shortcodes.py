"""Short codes a resident can type from a letter: ``meedoen.gemeente.nl/k/K7QF`` opens the
dossier, poll or petition the letter is about, instead of a URL with a UUID in it.

A code is four characters (five once four run short) from an alphabet without look-alikes
(no 0/O, 1/I/L, U/V, 5/S, 8/B); typing is forgiving: lower case, spaces and hyphens are
accepted. One code per page, kept in ``participatie_short_code``: printing letters again
gives the same code.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, UniqueConstraint, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from participatie.db import Base
from participatie.links import PATHS, build_path

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: Characters of a code: no two that look alike on paper or in handwriting.
ALPHABET = "ACDEFGHJKMNPQRTWXYZ2346789"
#: The path of a short code below ``Settings.public_base_url``.
SHORT_PATH = "/k/{code}"
#: Codes shorter than this are refused before any look-up.
MIN_LENGTH = 4
MAX_LENGTH = 8
#: Pages that can have a short code, and the parameter their path takes. A code poll's
#: letters use ``poll.vote``: the code opens the page where the voting code is typed.
TARGETS = {"dossier": "dossier", "poll": "poll", "poll.vote": "poll", "petition": "petition"}


class ShortCodeRow(Base):
    """One code for one page (a link name of ``links.PATHS`` and its id)."""

    __tablename__ = "participatie_short_code"
    __table_args__ = (UniqueConstraint("link", "target"),)

    code: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
    link: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


def normalise(text: str) -> str | None:
    """The code as stored, from what somebody typed ("k7qf", "K7-QF"); None when it
    cannot be a code (wrong length or a character outside the alphabet)."""

    code = "".join(text.split()).replace("-", "").upper()
    if not MIN_LENGTH <= len(code) <= MAX_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


class ShortCodes:
    """``p.short_codes``: the code of a page, and the page of a code."""

    def __init__(self, p: Participatie) -> None:
        self._p = p

    def code_for(self, link: str, target: object, *, session: Session | None = None) -> str:
        """The code of the page ``link`` (``"dossier"``, ``"poll"``, ``"poll.vote"`` or
        ``"petition"``) with id ``target``; made on first use, the same ever after.

        Raises:
            ValueError: ``link`` is not a page that can have a short code.
        """

        if link not in TARGETS:
            raise ValueError(f"no short codes for {link!r}: use one of {', '.join(TARGETS)}")
        key = str(target)
        with self._p.unit_of_work(session) as s:
            found = self._find(s, link, key)
            if found:
                return found
            length = MIN_LENGTH
            for attempt in range(40):
                code = "".join(secrets.choice(ALPHABET) for _ in range(length))
                try:
                    with s.begin_nested():
                        s.execute(
                            insert(ShortCodeRow).values(
                                code=code, link=link, target=key, created_at=self._p.clock.now()
                            )
                        )
                    return code
                except IntegrityError:
                    # Taken: by another page (try another code) or by this page, made at the
                    # same moment in another transaction (use that one).
                    found = self._find(s, link, key)
                    if found:
                        return found
                    if attempt % 10 == 9:
                        length = min(length + 1, MAX_LENGTH)
            raise RuntimeError("no free short code found")  # pragma: no cover - 26^8 codes

    @staticmethod
    def _find(s: Session, link: str, target: str) -> str | None:
        return s.execute(
            select(ShortCodeRow.code).where(
                ShortCodeRow.link == link, ShortCodeRow.target == target
            )
        ).scalar_one_or_none()

    def resolve(self, typed: str, *, session: Session | None = None) -> str | None:
        """The path of the page a code stands for (``/dossiers/<id>``), or None."""

        code = normalise(typed)
        if code is None:
            return None
        with self._p.unit_of_work(session) as s:
            row = s.get(ShortCodeRow, code)
            if row is None or row.link not in PATHS:
                return None
            return build_path(row.link, **{TARGETS[row.link]: row.target})

    def url(self, code: str) -> str:
        """The full short URL (``https://meedoen.gemeente.nl/k/K7QF``)."""

        return self._p.settings.public_base_url + SHORT_PATH.format(code=code)

    def printed(self, code: str) -> str:
        """The short URL as a letter prints it, without ``https://``
        (``meedoen.gemeente.nl/k/K7QF``)."""

        return self.url(code).split("://", 1)[1]


__all__ = ["ALPHABET", "SHORT_PATH", "ShortCodeRow", "ShortCodes", "normalise"]
