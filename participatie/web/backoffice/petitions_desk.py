"""The petition desk, part two: allow and block rules, the hand-over with its downloads
(Excel CSV, HTML and PDF with the list's SHA-256), the council's answer (preview, then sent
once) and privacy requests (see, export, erase).
"""

from __future__ import annotations

import io
import json
import tempfile

from fastapi import Request
from starlette.responses import Response

from participatie.errors import InvalidInput, ParticipatieError
from participatie.web.backoffice.frame import (
    Pages,
    Staff,
    bo_state,
    download,
    redirect,
    refusal,
    refuse,
    render,
    subject_id,
)
from participatie.web.backoffice.petitions import parse_local, petition_page
from participatie.web.common import translator

pages = Pages()


# -- allow and block rules (for every petition) ------------------------------------------


@pages.route("/regels", action="petitions.desk")
def rules(request: Request, staff: Staff) -> Response:
    from participatie.petitions.abuse import RULE_KINDS

    p = bo_state(request).p
    return render(
        request,
        staff,
        "rules.html",
        section="petitions",
        rules=p.petitions.rules(),
        kinds=RULE_KINDS,
    )


@pages.route("/regels", action="petitions.desk", methods=("POST",))
def add_rule(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    try:
        p.petitions.add_rule(
            staff.field("kind", limit=40),
            staff.field("value", limit=255),
            actor=staff.actor,
            note=staff.field("note", limit=500) or None,
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, rules, form="regel")
    return redirect(request, "/regels", gedaan="rule_added")


@pages.route("/regels/{rule}/verwijderen", action="petitions.desk", methods=("POST",))
def remove_rule(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    try:
        p.petitions.remove_rule(subject_id(request.path_params["rule"]), actor=staff.actor)
    except ParticipatieError as exc:
        return redirect(request, "/regels", fout=exc.code)
    return redirect(request, "/regels", gedaan="rule_removed")


# -- hand-over and its documents ---------------------------------------------------------


@pages.route(
    "/petities/{petition}/aanbieden",
    action="petitions.desk",
    subject="petition",
    methods=("POST",),
)
def hand_over(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition_id = subject_id(staff.subject)
    back = f"/petities/{petition_id}"
    try:
        when = staff.field("at")
        p.petitions.hand_over(
            petition_id,
            actor=staff.actor,
            to=staff.field("to", limit=200),
            at=parse_local(p, when, field="at") if when else None,
            note=staff.field("note") or None,
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, petition_page, form="aanbied")
    return redirect(request, back, gedaan="handed_over")


@pages.route(
    "/petities/{petition}/handtekeningen.csv", action="petitions.export", subject="petition"
)
def signatures_csv(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition_id = subject_id(staff.subject)
    # Streamed by the service into a spooled file: memory stays flat for large lists.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        result = p.petitions.write_signatures(petition_id, spool)
        spool.seek(0)
        body = spool.read()
    response = download(
        request, body, "text/csv; charset=utf-8", f"handtekeningen-{petition_id}.csv"
    )
    response.headers["x-participatie-sha256"] = result.sha256
    return response


@pages.route(
    "/petities/{petition}/overdracht.{fmt}",
    action="petitions.desk",
    subject="petition",
)
def handover_document(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition_id = subject_id(staff.subject)
    fmt = request.path_params["fmt"]
    if fmt not in ("html", "pdf"):
        from participatie.errors import NotFound

        raise NotFound("the hand-over document is html or pdf", field="format")
    document = p.petitions.handover_document(petition_id)
    name = f"overdracht-{petition_id}.{fmt}"
    buffer = io.BytesIO()
    p.petitions.write_handover(document, buffer, fmt=fmt)
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    return download(request, buffer.getvalue(), media, name)


# -- the council's answer ----------------------------------------------------------------


@pages.route(
    "/petities/{petition}/antwoord",
    action="petitions.answer",
    subject="petition",
    methods=("POST",),
)
def answer(request: Request, staff: Staff) -> Response:
    """The mail as the signers will get it first; sending is a second, explicit step."""

    p = bo_state(request).p
    petition = p.petitions.get(subject_id(staff.subject))
    back = f"/petities/{petition.id}"
    text = staff.field("text", limit=20000)
    decision_url = staff.field("decision_url", limit=500)
    if staff.field("step") == "confirm":
        try:
            queued = p.petitions.answer(
                petition.id, actor=staff.actor, text=text, decision_url=decision_url or None
            )
        except ParticipatieError as exc:
            # Back to the preview with what was typed: a long answer is never lost.
            request.state.refusal = refusal(request, staff, exc, form="antwoord")
        else:
            return redirect(request, back, gedaan="answered", aantal=str(queued))
    subject, body, _ = p.render_mail(
        "petitions_answer",
        petition.locale,
        {
            **p.template_globals(),
            "title": petition.title,
            "name": petition.creator_name,
            "url": petition.url,
            "answer": text,
            "decision_url": decision_url,
            # The preview has no signer, so no real link to stop the mail.
            "unsub": p.url("petition.unsubscribe", token="…"),  # noqa: S106
        },
    )
    return render(
        request,
        staff,
        "petition_answer.html",
        section="petitions",
        petition=petition,
        text=text,
        decision_url=decision_url,
        mail_subject=subject,
        mail_body=body,
    )


# -- privacy requests --------------------------------------------------------------------


@pages.route("/privacy", action="privacy.requests")
def privacy(request: Request, staff: Staff) -> Response:
    return render(request, staff, "privacy.html", section="privacy", data=None, email="")


@pages.route("/privacy", action="privacy.requests", methods=("POST",))
def privacy_lookup(request: Request, staff: Staff) -> Response:
    """Looked up with a POST, so the address stays out of URLs and access logs."""

    p = bo_state(request).p
    email = staff.field("email", limit=254)
    step = staff.field("step")
    try:
        if step == "erase":
            if staff.field("confirm") != "1":
                data = p.privacy.personal_data(email)

                def found(request: Request, staff: Staff) -> Response:
                    return render(
                        request, staff, "privacy.html", section="privacy", data=data, email=email
                    )

                # Nothing erased: the page with what was found, the box marked (422).
                return refuse(
                    request,
                    staff,
                    InvalidInput("tick the box to confirm the erasure", field="confirm"),
                    found,
                    form="privacy",
                    message=bo_translate(request, "backoffice.privacy_confirm_needed"),
                )
            result = p.privacy.erase_personal_data(email, actor=staff.actor)
            return render(
                request,
                staff,
                "privacy.html",
                section="privacy",
                data=None,
                email="",
                erased=result,
            )
        data = p.privacy.personal_data(email)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, privacy, form="privacy")
    if step == "export":
        body = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2)
        return download(request, body.encode("utf-8"), "application/json", "gegevens.json")
    return render(request, staff, "privacy.html", section="privacy", data=data, email=email)


def bo_translate(request: Request, key: str) -> str:

    return translator(request)(key)
