"""Documents of a dossier that the library stores itself (uploads), next to links to
documents elsewhere: checked by content, kept in the document store with their SHA-256.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, NotFound
from participatie.reactions.context import ReactionsPart
from participatie.reactions.models import DocumentRow
from participatie.reactions.outputs import document_out
from participatie.reactions.schemas import Document
from participatie.storage import new_key
from participatie.uploads import safe_filename, sniff


class Documents(ReactionsPart):
    """Stored documents: upload, read back, remove (links: ``add_document``)."""

    def upload_document(
        self,
        dossier_id: uuid.UUID,
        *,
        title: str,
        filename: str,
        data: bytes,
        published_on: date | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Document:
        """Store ``data`` as a document of the dossier.

        The type comes from the content (PDF, ODT, DOCX, PNG, JPEG); a file over
        ``Settings.documents.max_bytes``, a program, a web page or an SVG with script is
        refused with a :class:`~participatie.uploads.DocumentRefused` subclass naming the
        file (codes ``document.too_large``, ``document.executable``, ``document.html``,
        ``document.script``, ``document.type``, ``document.empty``). The file is written
        before the row; a failed transaction leaves an unreferenced file, never a row
        without its file.
        """

        title = title.strip()
        if not title or len(title) > 255:
            raise InvalidInput("a document needs a title of at most 255 characters", field="title")
        kind = sniff(data, name=filename, max_bytes=self._ctx.p.settings.documents.max_bytes)
        store = self._ctx.p.document_store
        key = new_key(f"dossiers/{dossier_id}", kind.extension)
        digest = hashlib.sha256(data).hexdigest()
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            store.put(key, data, kind.content_type)
            doc = DocumentRow(
                title=title,
                url="",
                published_on=published_on or self._ctx.today(),
                storage_key=key,
                filename=safe_filename(filename, kind.extension),
                content_type=kind.content_type,
                size=len(data),
                sha256=digest,
            )
            row.documents.append(doc)
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.document_added",
                row.id,
                title=title,
                content_type=kind.content_type,
                size=len(data),
                sha256=digest,
            )
            return document_out(doc)

    def document_file(
        self, dossier_id: uuid.UUID, document_id: uuid.UUID, *, session: Session | None = None
    ) -> tuple[Document, bytes]:
        """A stored document and its bytes; NotFound (``not_found``) for a link or an
        unknown id, ``document.missing`` when the store lost the file."""

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            doc = self._document(s, dossier_id, document_id)
            if doc.storage_key is None:
                raise NotFound("this document is a link, not a stored file", field="document")
            out = document_out(doc)
            key = doc.storage_key
        return out, self._ctx.p.document_store.get(key)

    def remove_document(
        self,
        dossier_id: uuid.UUID,
        document_id: uuid.UUID,
        *,
        actor: str = "system",
        session: Session | None = None,
    ) -> None:
        """Remove a document (link or stored file) from the dossier; a stored file is
        deleted from the store after the row."""

        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            doc = self._document(s, dossier_id, document_id)
            key = doc.storage_key
            row.documents.remove(doc)
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(s, actor, "reactions.document_removed", row.id, title=doc.title)
        if key is not None and session is None:
            self._ctx.p.document_store.delete(key)

    def _document(self, s: Session, dossier_id: uuid.UUID, document_id: uuid.UUID) -> DocumentRow:
        doc = s.execute(
            select(DocumentRow).where(
                DocumentRow.id == document_id, DocumentRow.dossier_id == dossier_id
            )
        ).scalar_one_or_none()
        if doc is None:
            raise NotFound(f"no document {document_id} in this dossier", field="document")
        return doc
