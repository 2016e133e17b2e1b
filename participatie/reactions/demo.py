"""The dog-policy case (hondenbeleid) end to end: 400 web and 600 paper reactions, themes,
answers, publication, feedback by e-mail and letter, an overdue report and the nota.
"""

from __future__ import annotations

import contextlib
import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import MissingExtra
from participatie.exports.writers import deterministic_json, write_excel_csv, write_xlsx
from participatie.formatting import format_day
from participatie.reactions.schemas import (
    AnswerIn,
    DocumentIn,
    DossierIn,
    DossierUpdate,
    PhaseIn,
    PointIn,
    ReactionIn,
    SubmitterIn,
    ThemeIn,
)

#: (code, title, summary, outcome, changes the plan, change reference, answer)
THEMES: list[tuple[str, str, str, str, bool, str | None, str]] = [
    (
        "losloop",
        "Meer losloopgebieden",
        "Veel eigenaren willen meer en grotere plekken waar honden los mogen lopen.",
        "honoured",
        True,
        "Kaart losloopgebieden: 4 nieuwe gebieden",
        "Wij wijzen vier nieuwe losloopgebieden aan, in elke grote wijk minstens één.",
    ),
    (
        "opruim",
        "Opruimplicht handhaven",
        "Bewoners ergeren zich aan hondenpoep op stoepen en in plantsoenen.",
        "partially_honoured",
        True,
        "Handhavingsparagraaf: extra controles",
        "De opruimplicht blijft. Boa's controleren vaker, vooral in de buurt van scholen. "
        "Meer boa's aannemen kan niet binnen de begroting.",
    ),
    (
        "belasting",
        "Hondenbelasting afschaffen",
        "Eigenaren vragen de hondenbelasting af te schaffen of te verlagen.",
        "not_honoured",
        False,
        None,
        "De hondenbelasting blijft. De opbrengst betaalt de losloopgebieden, afvalbakken en "
        "het schoonhouden van de openbare ruimte.",
    ),
    (
        "afvalbak",
        "Meer afvalbakken en poepzakjes",
        "Er zijn te weinig afvalbakken op de uitlaatroutes.",
        "honoured",
        True,
        "Bijlage 2: 60 extra afvalbakken",
        "Wij plaatsen 60 extra afvalbakken langs de drukste uitlaatroutes.",
    ),
    (
        "aanlijn",
        "Aanlijnplicht in parken",
        "Sommigen willen honden overal aangelijnd, anderen juist vrij in parken.",
        "partially_honoured",
        True,
        "Artikel 3: aanlijnplicht Stadspark alleen overdag",
        "In het Stadspark geldt de aanlijnplicht voortaan alleen tussen 8.00 en 20.00 uur.",
    ),
    (
        "speel",
        "Speelplaatsen hondvrij",
        "Ouders willen dat honden niet op speelplaatsen en trapveldjes komen.",
        "honoured",
        False,
        None,
        "Speelplaatsen en trapveldjes zijn al verboden voor honden. Wij zetten er duidelijke "
        "borden bij.",
    ),
    (
        "handhaving",
        "Handhaving en boetes",
        "Vragen over de hoogte van boetes en wie controleert.",
        "noted",
        False,
        None,
        "De boetes stelt het Openbaar Ministerie vast. Wij nemen uw opmerkingen mee in het "
        "gesprek met de politie.",
    ),
    (
        "gevaarlijk",
        "Gevaarlijke honden",
        "Zorgen over bijtincidenten en honden die niet te houden zijn.",
        "out_of_scope",
        False,
        None,
        "Bijtincidenten vallen onder de politie en de landelijke regels. Dit beleid gaat over "
        "de openbare ruimte. Meld een incident altijd bij de politie.",
    ),
    (
        "uitlaat",
        "Hondenuitlaatservices",
        "Professionele uitlaters lopen met grote groepen honden.",
        "partially_honoured",
        True,
        "Artikel 5: maximaal 6 honden per uitlater",
        "Een uitlater mag voortaan met ten hoogste zes honden tegelijk lopen.",
    ),
    (
        "zwem",
        "Zwemplekken voor honden",
        "Eigenaren willen plekken waar honden mogen zwemmen.",
        "honoured",
        True,
        "Kaart: 2 hondenzwemplekken",
        "Bij de Hoornseplas en het Kardinge-strand komt een zwemplek voor honden.",
    ),
    (
        "blaffen",
        "Geluidsoverlast door blaffen",
        "Klachten over honden die lang blaffen.",
        "out_of_scope",
        False,
        None,
        "Blaffen in en om huis valt onder burenoverlast, niet onder dit beleid. "
        "De buurtbemiddeling helpt u graag.",
    ),
    (
        "communicatie",
        "Informatie over de regels",
        "Bewoners weten niet goed waar welke regel geldt.",
        "honoured",
        True,
        "Paragraaf 6: kaart in de app",
        "Wij maken een kaart waarop u per plek ziet welke regel geldt, online en op borden.",
    ),
]

FIRST = [
    "Anna",
    "Bram",
    "Carla",
    "Dirk",
    "Eva",
    "Frank",
    "Greetje",
    "Henk",
    "Ilse",
    "Jan",
    "Karin",
    "Lucas",
    "Marieke",
    "Niels",
    "Olga",
    "Pieter",
    "Roos",
    "Sander",
    "Tineke",
    "Wouter",
    "Yvonne",
    "Zeger",
]
LAST = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dijkstra",
    "Postma",
    "Hoekstra",
]
STREETS = [
    "Hoofdstraat",
    "Kerkstraat",
    "Zonnelaan",
    "Eikenlaan",
    "Vinkenweg",
    "Dorpsstraat",
    "Molenweg",
    "Parkweg",
    "Wilhelminakade",
    "Oosterstraat",
]
PHRASES = {
    "losloop": "Ik wil een losloopgebied in de buurt, de dichtstbijzijnde is te ver.",
    "opruim": "Overal ligt hondenpoep, vooral bij de school. Pak de eigenaren aan.",
    "belasting": "Waarom betaal ik hondenbelasting als er niets voor terugkomt?",
    "afvalbak": "Er hangen te weinig afvalbakken op mijn route.",
    "aanlijn": "Laat honden 's avonds los in het park, overdag aangelijnd is prima.",
    "speel": "Honden horen niet op het speelveldje van mijn kinderen.",
    "handhaving": "Wie controleert er eigenlijk en hoe hoog is de boete?",
    "gevaarlijk": "Ik ben gebeten door een loslopende hond, doe daar iets aan.",
    "uitlaat": "Uitlaters met tien honden tegelijk zijn niet te houden.",
    "zwem": "Mijn hond wil zwemmen, waar mag dat?",
    "blaffen": "De hond van de buren blaft de hele dag.",
    "communicatie": "Ik weet niet waar welke regel geldt, maak een duidelijke kaart.",
}
#: Information markets where paper forms were collected (days after the start, place).
MARKETS = [(8, "Paddepoel"), (22, "Beijum"), (36, "Centrum")]
POSTCODES = ["9711", "9713", "9716", "9721", "9724", "9733", "9737", "9741", "9742", "9743", "9745"]

#: What an overdue reaction waits for, as overdue.csv says it.
OVERDUE_KIND_NL = {"acknowledgement": "ontvangstbevestiging", "answer": "antwoord"}


def _person(rng: random.Random) -> tuple[str, str, str, str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    letters = "ABCDEGHJKLMNPRTVWXZ"
    postcode = f"{rng.choice(POSTCODES)} {rng.choice(letters)}{rng.choice(letters)}"
    return name, rng.choice(STREETS), str(rng.randint(1, 180)), postcode


def _email(name: str, n: int) -> str:
    local = name.lower().replace(" ", ".").replace("de.", "de")
    return f"{local}.{n}@example.nl"


def _text(rng: random.Random, codes: list[str], extra: str = "") -> str:
    text = " ".join(PHRASES[c] for c in codes)
    return f"{text} {extra}".strip()


def _local(day: date, hour: int, zone: Any) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=zone).astimezone(UTC)


def run_demo(
    p: Participatie,
    out: Path,
    clock: FixedClock,
    echo: Callable[[str], Any] = print,
    *,
    scale: float = 1.0,
) -> dict[str, Any]:
    rng = random.Random(2026)
    zone = p.settings.zone
    r = p.reactions
    official = "M. Hoekstra (projectleider hondenbeleid)"
    start = clock.now().astimezone(zone).date()
    areas = [a.code for a in p.areas.list()]
    dossier = r.create_dossier(
        DossierIn(
            title="Hondenbeleid 2026",
            summary=(
                "De gemeente maakt nieuwe regels voor honden in de stad: waar honden los mogen "
                "lopen, waar ze aangelijnd moeten zijn, de opruimplicht en de hondenbelasting. "
                "7.063 hondenbezitters kregen een brief. Wij horen graag wat u ervan vindt."
            ),
            procedure=(
                "Het voorstel lag zes weken ter inzage (Awb art. 3:16). U kon reageren via het "
                "webformulier, per e-mail, per brief en op drie informatiemarkten. Alle "
                "reacties zijn een voor een beoordeeld. Na deze ronde volgt een aangepast "
                "voorstel en daarna het besluit van het college."
            ),
            responsible_official=official,
            responsible_email="hondenbeleid@gemeente.example.nl",
            areas=areas,
            period_start=start,
            documents=[
                DocumentIn(
                    title="Voorstel hondenbeleid 2026",
                    url="https://example.nl/voorstel.pdf",
                    published_on=start,
                ),
                DocumentIn(
                    title="Kaart losloopgebieden",
                    url="https://example.nl/kaart.pdf",
                    published_on=start,
                ),
            ],
            phases=[
                PhaseIn(name="Reacties geven", planned_date=start, status="current"),
                PhaseIn(name="Nota van beantwoording", planned_date=start + timedelta(weeks=9)),
                PhaseIn(name="Besluit college", planned_date=start + timedelta(weeks=13)),
            ],
        ),
        actor="projectleider",
    )
    did = dossier.id
    echo(f"dossier {dossier.title}: reactions {dossier.period_start} .. {dossier.period_end}")
    for code, title, summary, *_ in THEMES:
        r.create_theme(
            did,
            ThemeIn(code=code, title=title, summary=summary),
            assessor=rng.choice(["beoordelaar.a", "beoordelaar.b"]),
            actor="projectleider",
        )
    codes = [t[0] for t in THEMES]
    weights = [14, 12, 10, 9, 9, 7, 6, 5, 5, 4, 3, 3]

    # -- 400 reactions (at scale 1) through the web form, spread over the six weeks --------
    period_days = (dossier.period_end - dossier.period_start).days
    web_times = sorted(
        _local(start + timedelta(days=rng.randrange(period_days)), rng.randint(7, 22), zone)
        for _ in range(max(round(400 * scale), 10))
    )
    special: list[uuid.UUID] = []
    for i, moment in enumerate(web_times):
        if moment > clock.now():
            clock.set(moment)
        name, street, number, postcode = _person(rng)
        themes = list(dict.fromkeys(rng.choices(codes, weights=weights, k=rng.choice([1, 1, 2]))))
        extra = ""
        personal = i % 40 == 7
        if personal:
            # Residents put contact details in the text itself: the public nota hides them.
            extra = (
                f"Bel mij gerust op 06-{rng.randint(10000000, 99999999)} of mail "
                f"{_email(name, i)}; ik woon op {street} {number}, {postcode}."
            )
        received = r.submit(
            did,
            ReactionIn(
                text=_text(rng, themes, extra),
                submitters=[
                    SubmitterIn(
                        name=name, email=_email(name, i), locale="en" if i % 25 == 3 else "nl"
                    )
                ],
                points=[
                    PointIn(
                        text=PHRASES[c] + (" " + extra if extra and j == 0 else ""),
                        theme=None if personal and j == 0 else c,
                    )
                    for j, c in enumerate(themes)
                ],
            ),
        )
        if personal:
            special.append(received.reaction.id)
    echo(f"web form: {len(web_times)} reactions, acknowledged by e-mail at once")

    # -- 600 (at scale 1) on paper: three information markets and late letters ------------
    header = [
        "nummer",
        "datum",
        "poststempel",
        "kanaal",
        "tekst",
        "naam",
        "e-mail",
        "straat",
        "huisnummer",
        "postcode",
        "plaats",
        "medeondertekenaars",
        "thema",
    ]
    rows: list[list[Any]] = []
    n = 0
    per_market = max(round(195 * scale), 5)
    for offset, place in MARKETS:
        market_day = start + timedelta(days=offset)
        for _ in range(per_market):
            n += 1
            name, street, number, postcode = _person(rng)
            theme = rng.choices(codes, weights=weights, k=1)[0]
            postal_only = n % 4 == 0
            cosigners = ""
            if n % 30 == 0:
                cosigners = "; ".join(f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(6))
            elif n % 11 == 0:
                cosigners = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            rows.append(
                [
                    f"M{n:04d}",
                    market_day.isoformat(),
                    "",
                    "papier",
                    PHRASES[theme] + f" (markt {place})",
                    name,
                    "" if postal_only else _email(name, 1000 + n),
                    street,
                    number,
                    postcode,
                    "Groningen",
                    cosigners,
                    theme,
                ]
            )
    for k in range(15):
        n += 1
        name, street, number, postcode = _person(rng)
        theme = rng.choice(codes)
        # Forms sent by post after the last market: the postmark decides (Awb art. 6:9).
        stamp = dossier.period_end + timedelta(days=1 + k % 3) if k < 10 else dossier.period_end
        rows.append(
            [
                f"P{n:04d}",
                (stamp + timedelta(days=2)).isoformat(),
                stamp.isoformat(),
                "papier",
                PHRASES[theme],
                name,
                "",
                street,
                number,
                postcode,
                "Groningen",
                "",
                theme,
            ]
        )
    # Typing errors the import must report, while every good row goes in.
    d1 = (start + timedelta(days=MARKETS[0][0])).isoformat()
    d2 = (start + timedelta(days=MARKETS[1][0])).isoformat()
    bad = [
        ["X0001", d1, "", "papier", "", "Leeg Formulier", "", "", "", "", "", "", ""],
        [
            "X0002",
            d1,
            "",
            "papier",
            "Te veel poep.",
            "Foute Mail",
            "geen-adres@",
            "",
            "",
            "",
            "",
            "",
            "opruim",
        ],
        [
            "X0003",
            d2,
            "",
            "papier",
            "Meer bakken.",
            "Foute Postcode",
            "",
            "Kerkstraat",
            "4",
            "0123 AB",
            "Groningen",
            "",
            "afvalbak",
        ],
        [
            "X0004",
            d2,
            "",
            "papier",
            "Iets anders.",
            "Onbekend Thema",
            "",
            "",
            "",
            "",
            "",
            "",
            "vuurwerk",
        ],
        [
            "X0005",
            "31-02-2026",
            "",
            "papier",
            "Datum fout.",
            "Foute Datum",
            "",
            "",
            "",
            "",
            "",
            "",
            "losloop",
        ],
    ]
    # The first typing session holds most of the first two markets (300 of their 390
    # forms at full size); the rest comes with the third market and the letters.
    split = round(2 * per_market * 300 / 390)
    first_half = rows[:split] + bad[:3]
    second_half = rows[split:] + bad[3:]
    paper_dir = out / "invoer"
    paper_dir.mkdir(parents=True, exist_ok=True)
    write_excel_csv(paper_dir / "markten-1-2.csv", header, first_half)
    # The second typing session comes as a spreadsheet; without the reports extra
    # (openpyxl) the same rows come as a second CSV file.
    second_file = paper_dir / "markt-3-en-brieven.xlsx"
    try:
        # In a workbook the dates are date cells, as Excel keeps what staff type.
        write_xlsx(second_file, [("Reacties", header, [_date_cells(r) for r in second_half])])
    except MissingExtra as exc:
        echo(f"no XLSX ({exc}): the third market's forms come as CSV")
        second_file = paper_dir / "markt-3-en-brieven.csv"
        write_excel_csv(second_file, header, second_half)
    # Forms of the first two markets are typed in two days after the second market.
    clock.set(_local(start + timedelta(days=MARKETS[1][0] + 2), 9, zone))
    rep1 = r.import_file(did, paper_dir / "markten-1-2.csv", actor="typist.1")
    letters_dir = out / "brieven"
    r.write_letters(
        did, letters_dir / "ontvangst-1", kind="acknowledgement", actor="postkamer", pdf=False
    )
    clock.set(_local(dossier.period_end + timedelta(days=6), 9, zone))
    rep2 = r.import_file(did, second_file, actor="typist.2")
    ack2 = r.write_letters(
        did, letters_dir / "ontvangst-2", kind="acknowledgement", actor="postkamer", pdf=False
    )
    errors = rep1.errors + rep2.errors
    write_excel_csv(
        out / "import-fouten.csv",
        ["rij", "veld", "reden"],
        [[e.row, e.field, e.reason] for e in errors],
    )
    echo(
        f"paper: imported {rep1.imported + rep2.imported} of {rep1.rows + rep2.rows} rows; "
        f"{len(errors)} rows refused with row number and reason (import-fouten.csv)"
    )
    echo(f"acknowledgement letters printed: {ack2.letters} in the last batch")

    # Late letters: admissible when the postmark is within the period, else not.
    for reaction in r.reactions(did):
        if reaction.late:
            ok = reaction.postmark_date is not None and reaction.postmark_date <= dossier.period_end
            r.decide_admissibility(
                reaction.id,
                admissible=ok,
                reason=(
                    "poststempel binnen de termijn (Awb art. 6:9)"
                    if ok
                    else "na de termijn verstuurd; geen bijzondere omstandigheden"
                ),
                actor="projectleider",
            )

    # -- a second delay: the overdue report and the reminder job ---------------------------
    clock.set(_local(dossier.period_end + timedelta(days=14), 8, zone))
    overdue = r.overdue(did)
    write_excel_csv(
        out / "overdue.csv",
        ["reactie", "wat", "uiterlijk", "dagen te laat", "escalatieniveau"],
        [
            [
                i.number,
                OVERDUE_KIND_NL.get(i.kind, i.kind),
                format_day(i.due),
                i.days_overdue,
                i.level,
            ]
            for i in overdue
        ],
    )
    levels: dict[str, int] = {}
    for item in overdue:
        levels[str(item.level)] = levels.get(str(item.level), 0) + 1
    runs = p.jobs.run_due(clock.now(), only="reactions.reminders")
    echo(f"overdue: {len(overdue)} items by level {levels}; reminder job: {runs[0].result}")
    extension = r.extend_answer_deadline(
        did,
        new_due=clock.now().astimezone(zone).date() + timedelta(days=7),
        reason="De papieren formulieren van de informatiemarkten zijn later ingevoerd; wij "
        "willen ze even zorgvuldig beantwoorden als de andere reacties.",
        reaction_ids=rep1.reaction_ids,
        actor="projectleider",
    )
    echo(
        f"deadline extended for {extension.reactions} reactions: {extension.emails} delay "
        f"e-mails, {extension.letters_due} delay letters"
    )

    # -- assessment: answers per theme, some per point, a template, a second version ------
    r.save_answer_template(
        did,
        "buiten-reikwijdte",
        "Uw punt over {onderwerp} valt buiten dit beleid. {verwijzing}",
        actor="projectleider",
    )
    answers = {}
    for code, _title, _summary, outcome, changes, ref, motivation in THEMES:
        answers[code] = r.draft_answer(
            did,
            AnswerIn(
                theme=code,
                outcome=outcome,
                motivation=motivation,
                changes_plan=changes,
                change_reference=ref,
            ),
            actor="beoordelaar.a",
        )
    first = answers["belasting"]
    r.update_answer(
        first.id,
        AnswerIn(
            theme="belasting",
            outcome="not_honoured",
            motivation=first.motivation + " Wij kijken wel naar een korting voor "
            "eigenaren met een laag inkomen.",
            changes_plan=False,
        ),
        expected_version=first.version,
        actor="beoordelaar.b",
    )
    for special_id in special:
        for point in r.points(did, reaction_id=special_id):
            if point.theme is None:
                text = r.fill_answer_template(
                    did,
                    "buiten-reikwijdte",
                    {
                        "onderwerp": "uw persoonlijke situatie",
                        "verwijzing": "Wij nemen hierover rechtstreeks contact met u op.",
                    },
                )
                r.draft_answer(
                    did,
                    AnswerIn(point_id=point.id, outcome="noted", motivation=text),
                    actor="beoordelaar.b",
                )
    r.update_dossier(
        did,
        DossierUpdate(
            own_changes=[
                "Wij verlengen de proefperiode van de hondenzwemplekken tot twee jaar.",
                "Wij voegen de regels samen in één overzichtelijke kaart.",
            ],
            conclusion=(
                "De reacties leiden tot zeven aanpassingen van het voorstel; daarnaast passen "
                "wij het op twee punten uit eigen beweging aan. Het aangepaste voorstel gaat "
                "in een tweede ronde ter inzage en daarna naar het college."
            ),
            redact_names=["Bakker"],
        ),
        actor="projectleider",
    )
    r.set_phase(
        did,
        PhaseIn(
            name="Nota van beantwoording",
            planned_date=start + timedelta(weeks=11),
            status="delayed",
            delay_reason="Er kwamen meer reacties dan verwacht.",
            expected_date=start + timedelta(weeks=14),
        ),
        position=2,
        actor="projectleider",
    )

    # -- publication, feedback by e-mail and by letter -----------------------------------
    clock.set(_local(dossier.period_end + timedelta(days=20), 9, zone))
    published = r.publish_answers(did, actor="projectleider")
    sent = 0
    while True:
        report = p.outbox.deliver(500)
        sent += report.sent
        if report.claimed == 0:
            break
    try:
        feedback = r.write_letters(did, letters_dir / "antwoord", actor="postkamer", pdf=True)
    except MissingExtra as exc:  # the print file as PDF needs the reports extra
        echo(f"letters as HTML only: {exc}")
        feedback = r.write_letters(did, letters_dir / "antwoord", actor="postkamer", pdf=False)
    echo(
        f"published {published.answers} answers: {published.emails} feedback e-mails, "
        f"{feedback.letters} letters; the outbox delivered {sent} messages"
    )

    # -- outputs -------------------------------------------------------------------------
    r.write_nota(did, out / "nota.html", fmt="html")
    r.write_nota(did, out / "nota-internal.html", fmt="html", internal=True)
    r.write_nota(did, out / "nota.csv", fmt="csv")
    for fmt in ("xlsx", "docx", "pdf"):
        try:
            r.write_nota(did, out / f"nota.{fmt}", fmt=fmt)
        except MissingExtra as exc:  # the reports extra
            echo(f"no nota.{fmt}: {exc}")
    stats = r.stats(did)
    payload = stats.model_dump()
    payload["import_errors"] = len(errors)
    payload["overdue"] = {"items": len(overdue), "by_level": levels}
    payload["delay_notices"] = extension.emails + extension.letters_due
    (out / "stats.json").write_bytes(deterministic_json(payload))
    archive = r.write_archive(did, out / "archief", actor="archivaris")
    r.record_decision(
        did, summary="Het college stelt het hondenbeleid 2026 vast.", actor="projectleider"
    )
    echo(
        f"stats: {stats.reactions} reactions {json.dumps(stats.per_channel)}; outcomes "
        f"{json.dumps(stats.per_outcome)}; {stats.themes} themes; {stats.notified_by_email} "
        f"e-mailed, {stats.letters} letters; archive with {len(archive.files)} files"
    )
    return payload


def _date_cells(row: list[Any]) -> list[Any]:
    """A typed row with its ISO dates (datum, poststempel) as dates."""

    cells: list[Any] = list(row)
    for index in (1, 2):
        value = cells[index] if index < len(cells) else None
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            # A wrong date typed on purpose stays text: the import refuses it.
            with contextlib.suppress(ValueError):
                cells[index] = date.fromisoformat(value)
    return cells
