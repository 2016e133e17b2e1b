"""Counting rules on already aggregated data: scores -> winners, rankings -> STV rounds.

Ties are never broken silently: with ``report`` they are listed and the seats left open;
with ``lot`` a seeded, reproducible draw (HMAC-SHA256 of seed, witness data and name)
decides, and the draw order is part of the result.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from participatie.polls.schemas import Round, Tie

#: The STV variant used for ``ranked``: see docs/polls/counting.md.
STV_NAME = "STV, Weighted Inclusive Gregory Method (WIGM), Droop quota, exact fractions"


class Lot:
    """A reproducible draw: the order of names under HMAC-SHA256(seed, context|stage|name).

    ``context`` is the SHA-256 of the published ballots, unknown until voting ends, so
    nobody can predict a draw from the seed alone; anyone with seed and ballots can redo it.
    """

    def __init__(self, seed: str, context: str) -> None:
        self.seed = seed
        self.context = context

    def key(self, stage: str, name: str) -> str:
        message = f"{self.context}|{stage}|{name}".encode()
        return hmac.new(self.seed.encode(), message, hashlib.sha256).hexdigest()

    def order(self, names: Sequence[str], stage: str) -> list[str]:
        return sorted(names, key=lambda name: (self.key(stage, name), name))


@dataclass
class Outcome:
    winners: list[str]
    ties: list[Tie] = field(default_factory=list)
    undecided_seats: int = 0
    rounds: list[Round] = field(default_factory=list)


def _fmt(value: Fraction) -> str:
    """Exact: ``"5"`` or ``"17/3"``, so a transfer can be re-checked to the last vote."""

    return str(value)


def score_outcome(
    scores: Mapping[str, int | Fraction],
    seats: int,
    *,
    lot: Lot | None = None,
    stage: str = "seats",
) -> Outcome:
    """The ``seats`` highest scores win; a tie on the border is reported or drawn.

    ``scores`` is in ballot order (option position), which is also the order of winners
    with equal scores that all win.
    """

    seats = min(seats, len(scores))
    groups: dict[int | Fraction, list[str]] = {}
    for name, score in scores.items():
        groups.setdefault(score, []).append(name)
    winners: list[str] = []
    outcome = Outcome(winners=winners)
    for score in sorted(groups, reverse=True):
        group = groups[score]
        remaining = seats - len(winners)
        if remaining <= 0:
            break
        if len(group) <= remaining:
            winners.extend(group)
            continue
        if lot is None:
            outcome.ties.append(
                Tie(options=list(group), seats=remaining, stage=stage, resolution="reported")
            )
            outcome.undecided_seats = remaining
        else:
            drawn = lot.order(group, stage)
            winners.extend(drawn[:remaining])
            outcome.ties.append(
                Tie(
                    options=list(group), seats=remaining, stage=stage, resolution="lot", drawn=drawn
                )
            )
        break
    return outcome


def stv(
    rankings: Mapping[tuple[str, ...], int],
    candidates: Sequence[str],
    seats: int,
    *,
    lot: Lot | None = None,
) -> Outcome:
    """Single transferable vote, WIGM with a Droop quota and exact fractions.

    With one seat this is instant run-off: the winner needs a strict majority of the
    ballots still in the count, so exhausted ballots (no further preference) leave the
    base that majority is measured against. With more seats the Droop quota is fixed from
    the valid ballots, as WIGM (Scottish STV rule 46) prescribes; exhausted ballots do not
    lower it, and the count ends when no more candidates continue than seats are open.

    Each round: a candidate at or over the quota is elected and all ballots in their pile
    pass on at value surplus/total (the Weighted Inclusive Gregory Method); otherwise the
    lowest continuing candidate is excluded and their ballots pass on at their current
    value. Candidates who all hold no vote at all are excluded together (nothing moves, so
    their order cannot matter). Any other tie for exclusion is drawn by lot or, under
    ``report``, stops the count with the tie reported.
    """

    order = {name: i for i, name in enumerate(candidates)}
    parcels: list[tuple[tuple[str, ...], Fraction]] = []
    for ranking, count in rankings.items():
        known = tuple(c for c in ranking if c in order)
        if known and count > 0:
            parcels.append((known, Fraction(count)))
    valid = sum((weight for _, weight in parcels), Fraction(0))
    seats = min(seats, len(candidates))
    quota = droop_quota(valid, seats)
    continuing = list(candidates)
    elected: list[str] = []
    outcome = Outcome(winners=elected)
    number = 0
    while len(elected) < seats:
        number += 1
        piles: dict[str, list[int]] = {c: [] for c in continuing}
        totals: dict[str, Fraction] = dict.fromkeys(continuing, Fraction(0))
        exhausted = Fraction(0)
        for index, (ranking, weight) in enumerate(parcels):
            top = next((c for c in ranking if c in totals), None)
            if top is None:
                exhausted += weight
                continue
            piles[top].append(index)
            totals[top] += weight
        tallies = {c: _fmt(totals[c]) for c in continuing}
        tallies["(exhausted)"] = _fmt(exhausted)
        if seats == 1:
            # Instant run-off: a majority of the ballots that still count.
            quota = droop_quota(sum(totals.values(), Fraction(0)), 1)
        if len(continuing) <= seats - len(elected):
            chosen = sorted(continuing, key=lambda c: (-totals[c], order[c]))
            elected.extend(chosen)
            outcome.rounds.append(
                Round(
                    number=number,
                    tallies=tallies,
                    elected=chosen,
                    note="as many continuing candidates as open seats",
                )
            )
            break
        reached = sorted(
            (c for c in continuing if totals[c] >= quota), key=lambda c: (-totals[c], order[c])
        )
        if reached:
            for name in reached:
                surplus = totals[name] - quota
                factor = surplus / totals[name]
                for index in piles[name]:
                    ranking, weight = parcels[index]
                    parcels[index] = (ranking, weight * factor)
                continuing.remove(name)
                elected.append(name)
            outcome.rounds.append(
                Round(
                    number=number,
                    tallies=tallies,
                    elected=list(reached),
                    note=f"quota {_fmt(quota)}",
                )
            )
            continue
        lowest = min(totals[c] for c in continuing)
        tied = [c for c in continuing if totals[c] == lowest]
        if len(tied) > 1 and lowest == 0 and len(continuing) - len(tied) >= seats - len(elected):
            for name in tied:
                continuing.remove(name)
            outcome.rounds.append(
                Round(
                    number=number,
                    tallies=tallies,
                    excluded=list(tied),
                    note=f"quota {_fmt(quota)}; no votes: excluded together",
                )
            )
            continue
        if len(tied) > 1:
            stage = f"round {number}: exclusion"
            if lot is None:
                outcome.ties.append(Tie(options=tied, seats=1, stage=stage, resolution="reported"))
                outcome.undecided_seats = seats - len(elected)
                outcome.rounds.append(
                    Round(
                        number=number,
                        tallies=tallies,
                        note="tie for exclusion: the count stops here",
                    )
                )
                break
            drawn = lot.order(tied, stage)
            outcome.ties.append(
                Tie(options=tied, seats=1, stage=stage, resolution="lot", drawn=drawn)
            )
            loser = drawn[0]
        else:
            loser = tied[0]
        continuing.remove(loser)
        outcome.rounds.append(
            Round(number=number, tallies=tallies, excluded=[loser], note=f"quota {_fmt(quota)}")
        )
    return outcome


def droop_quota(votes: Fraction, seats: int) -> Fraction:
    """floor(votes / (seats + 1)) + 1; with one seat, a strict majority of ``votes``."""

    return Fraction(int(votes // (seats + 1)) + 1)


def count_rankings(rows: Sequence[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
    return Counter(rows)


__all__ = [
    "STV_NAME",
    "Lot",
    "Outcome",
    "count_rankings",
    "droop_quota",
    "score_outcome",
    "stv",
]
