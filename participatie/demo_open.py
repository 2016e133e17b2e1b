"""Something open to try in ``participatie serve --demo``: a poll with printed demo codes,
a petition to sign and a dossier that takes reactions. The finished cases show the
results; these let a newcomer vote, sign and react under the server's moving clock.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from participatie.engine import Participatie
from participatie.links import link_params
from participatie.petitions.schemas import PetitionIn
from participatie.polls.schemas import OptionIn, PollIn
from participatie.reactions.schemas import DossierIn, PhaseIn

#: Voting codes printed on the start page: enough for a few tries.
DEMO_CODES = 8
ACTOR = "demo"


@dataclass
class OpenCases:
    """What ``open_cases`` made, for the start page's notice."""

    poll_title: str = ""
    codes: list[str] = field(default_factory=list)
    petition_title: str = ""
    dossier_title: str = ""

    def notice(self) -> str:
        """Plain text for the start page: what is open and the demo voting codes."""

        lines = [
            "Dit is een demo. Alles hieronder mag u uitproberen; e-mail komt in de map "
            "mail/ van de demo terecht, niet bij echte mensen.",
            f"Stemmen: '{self.poll_title}' is open. Gebruik een van deze demo-stemcodes "
            "(elke code werkt één keer): " + ", ".join(self.codes) + ".",
            f"Tekenen: de petitie '{self.petition_title}' is open.",
            f"Reageren: het dossier '{self.dossier_title}' neemt reacties aan.",
        ]
        return "\n".join(lines)


def open_cases(p: Participatie, echo: Callable[[str], Any] = print) -> OpenCases:
    """Create an open poll (with :data:`DEMO_CODES` codes), an open petition and a dossier
    open for reactions, all timed from ``p.clock`` so they stay open for weeks.
    """

    now = p.clock.now()
    result = OpenCases()

    poll = p.polls.create(
        PollIn(
            title="Bankjes in het Noorderplantsoen",
            question="Waar komen de twee nieuwe bankjes?",
            explanation="Een demo-stemming: kies ten hoogste twee plekken.",
            options=[
                OptionIn(name="Bij de vijver"),
                OptionIn(name="Langs het fietspad"),
                OptionIn(name="Bij de speeltuin"),
                OptionIn(name="Onder de grote beuk"),
            ],
            rule="approval",
            seats=2,
            max_choices=2,
            eligibility="codes",
            closes_at=now + timedelta(days=28),
        ),
        actor=ACTOR,
    )
    letters = io.BytesIO()
    p.polls.issue_codes(poll.id, letters, count=DEMO_CODES, actor=ACTOR)
    rows = letters.getvalue().decode("utf-8-sig").splitlines()[1:]
    result.codes = [row.split(";")[2] for row in rows]
    p.polls.open(poll.id, actor=ACTOR)
    result.poll_title = poll.title
    echo(f"open poll '{poll.title}': demo codes {', '.join(result.codes)}")

    creator = "wijkraad@noorderplantsoen.example"
    petition = p.petitions.create(
        PetitionIn(
            title="Meer prullenbakken in het Noorderplantsoen",
            summary="Zet in het hele park prullenbakken, ook bij de vijver en de speeltuin.",
            body="Na elk zonnig weekend ligt het park vol afval. Wij vragen de gemeenteraad "
            "om twintig extra prullenbakken en een extra ronde van de reiniging op maandag.",
            creator_name="Wijkraad Noorderplantsoen",
            creator_email=creator,
            closes_at=now + timedelta(days=60),
        )
    )
    link = p.outbox.messages(to=creator)[-1].links["petition.creator"]
    p.petitions.confirm_creator(
        link_params("petition.creator", link, p.settings.public_base_url)["token"]
    )
    p.petitions.approve(petition.id, actor=ACTOR, closes_at=now + timedelta(days=60))
    result.petition_title = petition.title
    echo(f"open petition '{petition.title}'")

    today = now.astimezone(p.settings.zone).date()
    area_codes = {area.code for area in p.areas.list()}
    dossier = p.reactions.create_dossier(
        DossierIn(
            title="Herinrichting Noorderplantsoen",
            summary="De gemeente wil paden, verlichting en speelplekken in het "
            "Noorderplantsoen vernieuwen. Wat vindt u belangrijk?",
            procedure="U kunt zes weken reageren. Daarna leest de projectleider alle "
            "reacties, beantwoordt ze in een nota van beantwoording en stuurt iedereen "
            "die reageerde bericht.",
            responsible_official="J. de Vries (projectleider)",
            responsible_email="noorderplantsoen@gemeente.example.nl",
            areas=["centrum"],
            period_start=today,
            phases=[
                PhaseIn(name="Reacties geven", planned_date=today, status="current"),
                PhaseIn(name="Nota van beantwoording", planned_date=today + timedelta(weeks=8)),
                PhaseIn(
                    name="Besluit van het college",
                    planned_date=today + timedelta(weeks=10),
                    status="delayed",
                    delay_reason="Het college wil eerst de wijkraad Centrum horen.",
                    expected_date=today + timedelta(weeks=13),
                ),
            ],
            also_areas=["paddepoel"] if "paddepoel" in area_codes else [],
        ),
        actor=ACTOR,
    )
    result.dossier_title = dossier.title
    echo(f"open dossier '{dossier.title}': reactions until {dossier.period_end}")
    return result
