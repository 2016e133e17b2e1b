"""The Paddepoel case end to end through the public API: 354 household letters, 128
ballots online and on paper (typed in twice), closing, tally and the published ballots.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import MissingExtra
from participatie.exports import sha256_file
from participatie.polls import models as _models  # noqa: F401  (tables on the metadata)
from participatie.polls.errors import AlreadyVoted, CodeRevoked, CodeTypo
from participatie.polls.schemas import BallotIn, LetterAddress, OptionIn, PaperEntry, PollIn

LOCATIONS = [
    ("Hoog Paddepoel", "Grasveld tussen de flats aan de Zonnelaan en de Pleiadenlaan."),
    ("Ecozone", "Natuurspeelplek aan de rand van de Ecozone, bij het water."),
    ("Pleintje Zonnelaan", "Het verharde plein achter het winkelcentrum."),
    ("Grasveld Zaagmuldersweg", "Het grasveld langs de Zaagmuldersweg."),
    ("Siriusstraat", "De groenstrook aan het eind van de Siriusstraat."),
]
STREETS = [
    ("Zonnelaan", "9742 BA"),
    ("Pleiadenlaan", "9742 GA"),
    ("Dierenriemstraat", "9742 AE"),
    ("Siriusstraat", "9742 EX"),
    ("Aquariusstraat", "9742 JL"),
    ("Zaagmuldersweg", "9742 CM"),
]
#: How likely a household approves each location (the information evening's mood).
APPEAL = {
    "Hoog Paddepoel": 0.62,
    "Ecozone": 0.55,
    "Pleintje Zonnelaan": 0.30,
    "Grasveld Zaagmuldersweg": 0.26,
    "Siriusstraat": 0.17,
}
HOUSEHOLDS = 354
ONLINE = 104
PAPER = 24
TYPISTS = ("A. de Vries", "B. Bakker")
RESOLVER = "C. Jansen (teamleider)"


def _choices(rng: random.Random) -> list[str]:
    picked = [name for name, _ in LOCATIONS if rng.random() < APPEAL[name]]
    rng.shuffle(picked)
    return picked[:2]


def run_demo(
    p: Participatie,
    out: Path,
    clock: FixedClock,
    echo: Callable[[str], Any] = print,
    *,
    scale: float = 1.0,
) -> dict[str, Any]:
    # ``scale`` is ignored: 354 letters and 128 ballots are small enough as they are.
    rng = random.Random(20091015)  # the day the college decided
    start = clock.now()
    poll = p.polls.create(
        PollIn(
            title="Speelplekken Paddepoel",
            question="Op welke twee plekken komen de nieuwe speelplekken?",
            explanation="Kies ten hoogste twee locaties. Het college beslist op basis van "
            "de uitslag.",
            options=[OptionIn(name=n, description=d) for n, d in LOCATIONS],
            rule="approval",
            seats=2,
            max_choices=2,
            eligibility="codes",
            tie_break="report",
            area_codes=["paddepoel"],
            opens_at=start + timedelta(days=1),
            closes_at=start + timedelta(days=15),
        ),
        actor="projectleider",
    )
    echo(f"poll {poll.id}: {poll.title} ({poll.rule}, {poll.seats} seats)")
    addresses = [
        LetterAddress(line=f"{street} {number}", postcode=pc)
        for number in range(1, 100)
        for street, pc in STREETS
    ][:HOUSEHOLDS]
    letters = out / "letters.csv"
    issued = p.polls.issue_codes(poll.id, letters, addresses=addresses, actor="projectleider")
    codes = [
        line.split(";")[2] for line in letters.read_text(encoding="utf-8-sig").splitlines()[1:]
    ]
    echo(f"issued {issued.issued} codes; letters for the mail merge in {letters.name}")
    try:
        p.polls.issue_codes(poll.id, out / "again.csv", count=1, actor="projectleider")
    except Exception as exc:  # the one-time rule
        echo(f"second export refused: {exc}")
    p.polls.schedule(poll.id, actor="projectleider")
    clock.set(start + timedelta(days=1, minutes=1))
    runs = p.jobs.run_due(only="polls.open_close")
    echo(f"job polls.open_close: {runs[0].result}")

    # A lost letter: the code of letter 17 is revoked and a new one handed out.
    new = p.polls.reissue_code(poll.id, 17, actor="balie", reason="brief kwijt")
    old_code, codes[16] = codes[16], new.code
    echo(f"letter 17 reissued as letter {new.serial}")

    order = list(range(HOUSEHOLDS))
    rng.shuffle(order)
    online_codes = [codes[i] for i in order[:ONLINE]]
    paper_codes = [codes[i] for i in order[ONLINE : ONLINE + PAPER]]
    trackers = []
    for index, code in enumerate(online_codes):
        clock.advance(timedelta(minutes=rng.randint(5, 180)))
        choices = [] if index in (13, 77) else _choices(rng)
        typed = code.lower().replace("-", " ") if index % 10 == 0 else code
        receipt = p.polls.cast(poll.id, BallotIn(choices=choices), code=typed)
        trackers.append(receipt.tracker)
    echo(f"{ONLINE} online ballots cast")
    # What residents get wrong, answered plainly and without writing anything.
    sample = online_codes[0]
    attempts: list[tuple[str, Callable[[], object]]] = [
        ("used code", lambda: p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=sample)),
        (
            "typo",
            lambda: p.polls.cast(
                poll.id,
                BallotIn(choices=["Ecozone"]),
                code=sample[:-1] + ("2" if sample[-1] != "2" else "3"),
            ),
        ),
        (
            "old code of a reissued letter",
            lambda: p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=old_code),
        ),
    ]
    for label, attempt in attempts:
        try:
            attempt()
        except (AlreadyVoted, CodeTypo, CodeRevoked) as exc:
            echo(f"refused ({label}): [{exc.code}] {exc}")

    clock.set(start + timedelta(days=15, minutes=1))
    runs = p.jobs.run_due(only="polls.open_close")
    echo(f"job polls.open_close: {runs[0].result}")

    # Paper ballots, typed in twice by two people after the envelopes were opened.
    p.polls.set_paper_envelopes(poll.id, PAPER, staff=TYPISTS[0])
    mismatch_sheet = "P007"
    for index, code in enumerate(paper_codes):
        sheet = f"P{index + 1:03d}"
        if index == 5:
            marks = ["Hoog Paddepoel", "Ecozone", "Siriusstraat"]  # too many: invalid
        elif index == 11:
            marks = []  # blank
        else:
            marks = _choices(rng) or ["Hoog Paddepoel"]
        p.polls.enter_paper(
            poll.id, PaperEntry(sheet=sheet, code=code, marks=marks), staff=TYPISTS[0]
        )
        second = list(marks)
        if sheet == mismatch_sheet:
            second = ["Pleintje Zonnelaan"]  # a slip of the second typist
        outcome = p.polls.enter_paper(
            poll.id, PaperEntry(sheet=sheet, code=code, marks=second), staff=TYPISTS[1]
        )
        if outcome.status == "mismatch":
            echo(f"sheet {sheet}: the two typings differ; {RESOLVER} looks at the paper")
            outcome = p.polls.resolve_paper(
                poll.id, PaperEntry(sheet=sheet, code=code, marks=marks), staff=RESOLVER
            )
            echo(f"sheet {sheet}: {outcome.status}")
    echo(f"{PAPER} paper ballots typed in twice")

    ballots_path = out / "ballots.json"
    p.polls.write_ballots(poll.id, ballots_path)
    tally = p.polls.publish(poll.id, actor="projectleider")
    for fmt in ("json", "csv", "html", "xlsx", "pdf"):
        try:
            p.polls.write_tally(tally, out / f"tally.{fmt}", fmt=fmt)
        except MissingExtra as exc:  # openpyxl or typst missing: the reports extra
            echo(f"no tally.{fmt}: {exc}")

    digest = sha256_file(ballots_path)
    counts = {o.name: o.votes for o in tally.options}
    recounted = recount_ballots(ballots_path)
    recount = {name: recounted.get(name, 0) for name in counts}
    echo(
        f"eligible {tally.eligible}, ballots {tally.ballots} "
        f"(online {tally.channels['online']}, paper {tally.channels['paper']}), "
        f"turnout {tally.turnout:.1%}, blank {tally.blank}, invalid {tally.invalid}"
    )
    for option in tally.options:
        mark = "  <- chosen" if option.elected else ""
        echo(f"  {option.name:<26} {option.votes:>4}{mark}")
    echo(f"winners: {', '.join(tally.winners)}")
    same = "matches" if digest == tally.ballots_sha256 else "DIFFERS"
    echo(f"ballots.json sha256 {digest} ({same} the tally's ballots_sha256)")
    echo(f"recount of ballots.json {'matches' if recount == counts else 'DIFFERS'} the tally")
    return {
        "poll_id": str(poll.id),
        "eligible": tally.eligible,
        "ballots": tally.ballots,
        "turnout": tally.turnout,
        "winners": tally.winners,
        "ballots_sha256": tally.ballots_sha256,
        "sha256_matches": digest == tally.ballots_sha256,
        "recount_matches": recount == counts,
        "trackers": len(trackers),
    }


def recount_ballots(path: Path) -> dict[str, int]:
    """Count approvals in a published ballots file, independently of the database."""

    counts: Counter[str] = Counter()
    for ballot in json.loads(path.read_text(encoding="utf-8")):
        if not ballot["invalid"]:
            counts.update(ballot["choices"])
    return dict(counts)
