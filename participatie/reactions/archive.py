"""Archive package of a dossier (Archiefwet): JSON of everything that was decided and why,
the stored documents, the generated documents, the dossier's audit events and a SHA-256
manifest.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from participatie.exports.files import open_private, write_private_bytes
from participatie.exports.writers import deterministic_json, sha256_file
from participatie.storage import DocumentMissing

if TYPE_CHECKING:
    from participatie.reactions.context import ReactionContext
    from participatie.reactions.schemas import ArchiveManifest
    from participatie.reactions.service import Reactions


def export(
    svc: Reactions,
    ctx: ReactionContext,
    dossier_id: uuid.UUID,
    out: Path,
    *,
    actor: str,
    session: Session | None,
) -> ArchiveManifest:
    from participatie.reactions.context import SUBJECT
    from participatie.reactions.schemas import ArchiveManifest

    p = ctx.p
    out.mkdir(parents=True, exist_ok=True)
    with p.unit_of_work(session, readonly=True) as s:
        dossier = svc.get_dossier(dossier_id, session=s)
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
        write_private_bytes(out / "dossier.json", deterministic_json(data))
        # Stored documents go in whole; their SHA-256 is checked against the one taken
        # at upload, so the package shows the file the residents saw.
        for n, doc in enumerate(dossier.documents, start=1):
            if not doc.stored:
                continue
            _, body = svc.document_file(dossier_id, doc.id, session=s)
            if hashlib.sha256(body).hexdigest() != doc.sha256:
                raise DocumentMissing(
                    f"stored document {doc.title!r} differs from what was uploaded",
                    field="document",
                )
            write_private_bytes(out / f"document-{n:03d}-{doc.filename or doc.id}", body)
        for r in dossier.rounds:
            suffix = "" if len(dossier.rounds) == 1 else f"-ronde-{r.number}"
            nota = svc.nota(dossier_id, round=r.number, session=s)
            from participatie.reactions import report

            report.write(p, nota, out / f"nota{suffix}.html", "html")
            report.write(p, nota, out / f"nota{suffix}.csv", "csv")
        with open_private(out / "audit.jsonl") as raw, io.TextIOWrapper(raw, "utf-8") as fh:
            p.audit.export_jsonl(fh, session=s, subject_type=SUBJECT, subject_id=dossier_id)
    files = {
        path.name: sha256_file(path)
        for path in sorted(out.iterdir())
        if path.is_file() and path.name not in ("manifest.json", "SHA256SUMS")
    }
    (out / "SHA256SUMS").write_text(
        "".join(f"{digest}  {name}\n" for name, digest in files.items()), encoding="utf-8"
    )
    created = p.clock.now()
    manifest = ArchiveManifest(
        dossier_id=dossier_id, created_at=created, files=files, path=str(out)
    )
    (out / "manifest.json").write_bytes(deterministic_json(manifest))
    with p.unit_of_work(session) as s:
        ctx.audit(
            s,
            actor,
            "reactions.archived",
            dossier_id,
            files=files,
        )
    return manifest
