"""Archive package of a dossier (Archiefwet): JSON of everything that was decided and why,
the stored documents, the generated documents, the dossier's audit events and a SHA-256
manifest; in a folder or as one ZIP archive.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from participatie.exports.files import Output, output_files
from participatie.exports.writers import deterministic_json
from participatie.storage import DocumentMissing

if TYPE_CHECKING:
    from participatie.reactions.context import ReactionContext
    from participatie.reactions.schemas import ArchiveManifest
    from participatie.reactions.service import Reactions


def export(
    svc: Reactions,
    ctx: ReactionContext,
    dossier_id: uuid.UUID,
    out: Output,
    *,
    actor: str,
    session: Session | None,
) -> ArchiveManifest:
    """Write the archive package into ``out`` (a folder, or one ZIP archive for a binary
    file), each file as it is read, and audit it."""

    import os

    from participatie.reactions import report
    from participatie.reactions.context import SUBJECT
    from participatie.reactions.schemas import ArchiveManifest

    p = ctx.p
    created = p.clock.now()
    with p.unit_of_work(session, readonly=True) as s:
        dossier = svc.get_dossier(dossier_id, session=s)
        with output_files(out, when=created) as files:
            points = svc.points(dossier_id, session=s)
            answers = svc.answers(dossier_id, session=s)
            data = {
                "dossier": dossier,
                "reactions": list(svc.reactions(dossier_id, session=s)),
                "themes": svc.themes(dossier_id, session=s),
                "points": points,
                "answers": [
                    {"answer": a, "history": svc.answer_history(a.id, session=s)} for a in answers
                ],
                "dispatches": svc.dispatches(dossier_id, session=s),
                "stats": {
                    str(r.number): svc.stats(dossier_id, round=r.number, session=s)
                    for r in dossier.rounds
                },
            }
            files.write("dossier.json", deterministic_json(data))
            del data
            # Stored documents go in whole; their SHA-256 is checked against the one
            # taken at upload, so the package shows the file the residents saw.
            for n, doc in enumerate(dossier.documents, start=1):
                if not doc.stored:
                    continue
                _, body = svc.document_file(dossier_id, doc.id, session=s)
                if hashlib.sha256(body).hexdigest() != doc.sha256:
                    raise DocumentMissing(
                        f"stored document {doc.title!r} differs from what was uploaded",
                        field="document",
                    )
                files.write(f"document-{n:03d}-{doc.filename or doc.id}", body)
            for r in dossier.rounds:
                suffix = "" if len(dossier.rounds) == 1 else f"-ronde-{r.number}"
                nota = svc.nota(dossier_id, round=r.number, session=s)
                for fmt in ("html", "csv"):
                    with files.open(f"nota{suffix}.{fmt}") as fh:
                        report.write(p, nota, fh, fmt)
            with files.open("audit.jsonl") as fh:
                p.audit.write_events(fh, session=s, subject_type=SUBJECT, subject_id=dossier_id)
            digests = dict(sorted(files.digests.items()))
            files.write(
                "SHA256SUMS",
                "".join(f"{digest}  {name}\n" for name, digest in digests.items()).encode(),
            )
            path = str(out) if isinstance(out, str | os.PathLike) else ""
            manifest = ArchiveManifest(
                dossier_id=dossier_id, created_at=created, files=digests, path=path
            )
            files.write("manifest.json", deterministic_json(manifest))
    with p.unit_of_work(session) as s:
        ctx.audit(
            s,
            actor,
            "reactions.archived",
            dossier_id,
            files=digests,
        )
    return manifest
