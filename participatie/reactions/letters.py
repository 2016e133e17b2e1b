"""Letters for submitters with only a postal address: one HTML file per letter, a print
file for the whole batch and a PDF (``reports`` extra), in a folder or one ZIP archive;
each dispatch gets its SHA-256.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.exports.files import OutputFiles
from participatie.reactions.dispatch import notice_context
from participatie.reactions.feedback import AnswerBook, feedback_context
from participatie.reactions.models import (
    DispatchRow,
    DossierRow,
    PointRow,
    ReactionRow,
    SubmitterRow,
)
from participatie.reactions.schemas import LetterBatch

if TYPE_CHECKING:
    from participatie.reactions.context import ReactionContext

KIND_ORDER = {"acknowledgement": 0, "delay": 1, "feedback": 2}

#: The print file gathers in memory up to this size, then in a temporary file.
SPOOL_SIZE = 8 * 1024 * 1024


def generate(
    ctx: ReactionContext,
    s: Session,
    dossier: DossierRow,
    files: OutputFiles,
    *,
    kind: str | None,
    pdf: bool,
) -> LetterBatch:
    """Write the pending letters into ``files``: one HTML file per letter, then the print
    file and the PDF. Each letter is written as it is rendered; the print file gathers in
    a spooled temporary file, so memory stays flat; the PDF is set by typst at the end."""

    p = ctx.p
    query = (
        select(DispatchRow, ReactionRow, SubmitterRow)
        .join(ReactionRow, ReactionRow.id == DispatchRow.reaction_id)
        .join(SubmitterRow, SubmitterRow.id == DispatchRow.submitter_id)
        .where(
            DispatchRow.dossier_id == dossier.id,
            DispatchRow.channel == "letter",
            DispatchRow.status == "pending",
        )
    )
    if kind is not None:
        query = query.where(DispatchRow.kind == kind)
    rows = sorted(
        s.execute(query).all(),
        key=lambda r: (KIND_ORDER.get(r[0].kind, 9), r[1].number, r[2].position),
    )
    if not rows:
        return LetterBatch(kind=kind, letters=0, files=[], print_file=None, pdf_file=None)
    now = ctx.now()
    today = ctx.local_date(now)
    # Made first: without typst (the reports extra) nothing is written.
    document = (
        LettersPdf(
            dossier.title,
            author=p.settings.organisation.name,
            created=now,
            logo=p.settings.organisation.logo_bytes(),
        )
        if pdf
        else None
    )
    book: AnswerBook | None = None
    points: dict[uuid.UUID, list[PointRow]] = {}
    if any(r[0].kind == "feedback" for r in rows):
        book = AnswerBook(s, dossier.id)
        ids = [r[1].id for r in rows if r[0].kind == "feedback"]
        for start in range(0, len(ids), 500):
            for point in s.execute(
                select(PointRow).where(PointRow.reaction_id.in_(ids[start : start + 500]))
            ).scalars():
                points.setdefault(point.reaction_id, []).append(point)
    names: list[str] = []
    # The address a resident can type from paper, instead of the dossier's UUID URL.
    short = p.short_codes.printed(p.short_codes.code_for("dossier", dossier.id, session=s))

    def articles() -> Iterator[str]:
        for dispatch, reaction, sub in rows:
            article = render_letter(
                ctx,
                dossier,
                reaction,
                sub,
                dispatch.kind,
                dispatch.data or {},
                book,
                points.get(reaction.id, []),
                short_url=short,
            )
            page = p.render("reactions/letters.html", letters=[article], title=dossier.title)
            name = f"brief-{dispatch.kind}-{reaction.number:05d}-{sub.position}.html"
            dispatch.status = "sent"
            dispatch.sent_at = now
            dispatch.sha256 = files.write(name, page.encode("utf-8"))
            dispatch.document = name
            if dispatch.kind == "acknowledgement" and reaction.acknowledged_at is None:
                reaction.acknowledged_at = now
            if dispatch.kind == "feedback" and reaction.answered_at is None:
                reaction.answered_at = now
            names.append(name)
            if document is not None:
                document.add(article)
            yield article

    stamp = today.isoformat()
    label = kind or "alle"
    print_name = f"brieven-{label}-{stamp}.html"
    template = p.templates.get_template("reactions/letters.html")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE) as spool:
        context = {**p.template_globals(), "letters": articles(), "title": dossier.title}
        for chunk in template.generate(context):
            spool.write(chunk.encode("utf-8"))
        spool.seek(0)
        with files.open(print_name) as fh:
            shutil.copyfileobj(spool, fh)
    pdf_name: str | None = None
    if document is not None:
        pdf_name = f"brieven-{label}-{stamp}.pdf"
        files.write(pdf_name, document.to_bytes())
    s.flush()
    per_kind: dict[str, int] = {}
    for row in rows:
        per_kind[row[0].kind] = per_kind.get(row[0].kind, 0) + 1
    return LetterBatch(
        kind=kind,
        per_kind=per_kind,
        letters=len(rows),
        files=names,
        print_file=print_name,
        pdf_file=pdf_name,
    )


def render_letter(
    ctx: ReactionContext,
    dossier: DossierRow,
    reaction: ReactionRow,
    sub: SubmitterRow,
    kind: str,
    data: dict[str, Any],
    book: AnswerBook | None,
    points: list[PointRow],
    *,
    short_url: str,
) -> str:
    """One letter as an HTML article, in the submitter's language; ``short_url`` is the
    dossier's address as a resident can type it from paper (``ShortCodes.printed``)."""

    context: dict[str, Any] = {
        "kind": kind,
        "today": ctx.today(),
        "submitter": sub,
        **notice_context(ctx, dossier, reaction),
        "data": data,
        "short_url": short_url,
    }
    if kind == "feedback" and book is not None:
        context.update(feedback_context(ctx, dossier, reaction, book, points, sub.locale))
    locale = sub.locale if sub.locale in ("nl", "en") else "nl"
    return ctx.p.render(f"reactions/letter.{locale}.html", locale=locale, **context)


def letter_text(article: str) -> str:
    """The text of a letter's HTML, one block per paragraph (for previews)."""

    parser = _Blocks()
    parser.feed(article)
    parser.close()
    return "\n\n".join(text for _, text in parser.blocks)


class _Blocks(HTMLParser):
    """Text of the block elements of a letter, in order, for the PDF."""

    BLOCKS = frozenset({"p", "h1", "h2", "h3", "li", "tr", "address", "div"})

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[str, str]] = []
        self._stack: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._flush()
            self._stack.append(tag)
        elif tag == "br":
            self._text.append("\n")
        elif tag in ("td", "th"):
            self._text.append(" | " if self._text else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self._flush()
            if self._stack:
                self._stack.pop()

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def _flush(self) -> None:
        text = "".join(self._text)
        lines = [" ".join(line.split()) for line in text.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            self.blocks.append((self._stack[-1] if self._stack else "p", joined))
        self._text = []


class LettersPdf:
    """One PDF/A-2U file with a page per letter (``exports.pdf.PdfDocument``): each
    letter's own letterhead (from its HTML) comes first on its page, under ``logo``.

    Raises:
        MissingExtra: ``extra.missing`` when typst (the ``reports`` extra) is not installed.
    """

    def __init__(
        self, title: str, *, author: str, created: datetime, logo: bytes | None = None
    ) -> None:
        from participatie.exports.pdf import PdfDocument

        self._pdf = PdfDocument(
            f"Brieven: {title}", author=author, created=created, show_title=False
        )
        self._logo = logo
        self.letters = 0

    def add(self, article: str) -> None:
        """Put the letter ``article`` (its HTML) on a page of its own."""

        parser = _Blocks()
        parser.feed(article)
        parser.close()
        if self.letters:
            self._pdf.new_page()
        self.letters += 1
        if self._logo:
            self._pdf.image(self._logo)
        for tag, text in parser.blocks:
            if tag in ("h1", "h2", "h3"):
                self._pdf.heading(text, level=2)
            elif tag in ("address", "div") or ("\n" in text and len(text) < 200):
                self._pdf.lines(text.split("\n"))
            else:
                self._pdf.paragraph(text)

    def to_bytes(self) -> bytes:
        """The PDF (typst sets it now)."""

        return self._pdf.to_bytes()
