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
        actor: str,
        session: Session | None = None,
    ) -> Document:
        """Store ``data`` as a document of the dossier.

        The type comes from the content (PDF, ODT, DOCX, PNG, JPEG), not the name. The
        file is written before the row; a failed transaction leaves an unreferenced
        file, never a row without its file.

        Args:
            dossier_id: the dossier's id.
            title: the title residents see (1 to 255 characters).
            filename: the uploaded file's name (cleaned; the extension follows the type).
            data: the file's bytes, at most ``Settings.documents.max_bytes``.
            published_on: the publication date; default today (``Settings.zone``).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Document: the stored document with its type, size (bytes) and SHA-256.

        Raises:
            InvalidInput: ``input.invalid``, field ``title``.
            DocumentRefused: a subclass naming the file: ``document.too_large``,
                ``document.executable``, ``document.html``, ``document.script`` (an SVG
                with script), ``document.type`` or ``document.empty``.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            StorageUnavailable: ``storage.unavailable``, the store cannot be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
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
        """A stored document and its bytes, for serving or the archive.

        Args:
            dossier_id: the dossier's id.
            document_id: the document's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            tuple[Document, bytes]: the document and the file's content.

        Raises:
            NotFound: ``not_found``, field ``document``: no such document in this
                dossier, or it is a link.
            DocumentMissing: ``document.missing``, the store lost the file.
            StorageUnavailable: ``storage.unavailable``, the store cannot be read.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

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
        actor: str,
        session: Session | None = None,
    ) -> None:
        """Remove a document (link or stored file) from the dossier. Without a host session
        a stored file is deleted from the store after the commit; with one the file is
        left in the store (the host's transaction may still roll back).

        Args:
            dossier_id: the dossier's id.
            document_id: the document's id.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            NotFound: ``not_found``, field ``document``: no such document in this dossier.
            StorageUnavailable: ``storage.unavailable``, the file could not be deleted
                (the row is gone already).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

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
