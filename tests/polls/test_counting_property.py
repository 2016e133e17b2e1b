"""Counting rules checked against independent, well-kept libraries on random polls:
approval (and plurality) against abcvoting's AV rule, Borda and instant run-off against
pref_voting, ties included. The libraries are in the ``test`` extra.

Ranked ballots here may be truncated (a voter ranks some options, or only one: a bullet
vote) or empty. Equal ranks cannot be cast: a ranked ballot is a list, and naming an option
twice is refused (``poll.invalid_ballot``), so no rule of ours sees them and they are not
generated."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from participatie.engine import Participatie
from participatie.polls.counting import Lot, score_outcome, stv
from participatie.polls.schemas import BallotIn, OptionIn
from tests.polls.conftest import issue, make_poll

abc_prefs = pytest.importorskip("abcvoting.preferences", reason="abcvoting (test extra)")
abc_rules = pytest.importorskip("abcvoting.abcrules", reason="abcvoting (test extra)")

NAMES = ["A", "B", "C", "D", "E", "F"]


@st.composite
def approval_polls(draw: Any) -> tuple[int, int, list[set[int]]]:
    n = draw(st.integers(min_value=2, max_value=6))
    seats = draw(st.integers(min_value=1, max_value=n - 1))
    voters = draw(
        st.lists(st.sets(st.integers(min_value=0, max_value=n - 1)), min_size=1, max_size=15)
    )
    return n, seats, voters


def abc_committees(n: int, seats: int, voters: list[set[int]]) -> set[frozenset[str]]:
    profile = abc_prefs.Profile(num_cand=n)
    profile.add_voters(voters)
    found = abc_rules.compute("av", profile, committeesize=seats, resolute=False)
    return {frozenset(NAMES[c] for c in committee) for committee in found}


def expected_committees(
    winners: list[str], tie_options: list[str], open_seats: int
) -> set[frozenset[str]]:
    return {
        frozenset(winners) | frozenset(pick)
        for pick in itertools.combinations(tie_options, open_seats)
    }


def approval_scores(n: int, voters: list[set[int]]) -> dict[str, int]:
    counts = Counter(c for voter in voters for c in voter)
    return {NAMES[i]: counts[i] for i in range(n)}


@settings(max_examples=300, deadline=None)
@given(approval_polls())
def test_approval_matches_abcvoting(poll: tuple[int, int, list[set[int]]]) -> None:
    n, seats, voters = poll
    outcome = score_outcome(approval_scores(n, voters), seats)
    committees = abc_committees(n, seats, voters)
    if not outcome.ties:
        assert committees == {frozenset(outcome.winners)}
        assert len(outcome.winners) == seats
    else:
        tie = outcome.ties[0]
        assert tie.resolution == "reported" and outcome.undecided_seats == tie.seats
        assert committees == expected_committees(outcome.winners, tie.options, tie.seats)


@settings(max_examples=200, deadline=None)
@given(approval_polls(), st.text(min_size=8, max_size=20))
def test_approval_by_lot_picks_a_winning_committee(
    poll: tuple[int, int, list[set[int]]], seed: str
) -> None:
    n, seats, voters = poll
    lot = Lot(seed, "0" * 64)
    outcome = score_outcome(approval_scores(n, voters), seats, lot=lot)
    assert len(outcome.winners) == seats
    assert frozenset(outcome.winners) in abc_committees(n, seats, voters)
    again = score_outcome(approval_scores(n, voters), seats, lot=Lot(seed, "0" * 64))
    assert again.winners == outcome.winners


# -- ranked rules against pref_voting ---------------------------------------------------


@st.composite
def rankings(draw: Any) -> tuple[int, list[tuple[int, ...]]]:
    n = draw(st.integers(min_value=2, max_value=5))
    perms = list(itertools.permutations(range(n)))
    voters = draw(st.lists(st.sampled_from(perms), min_size=1, max_size=15))
    return n, voters


def _pref_voting() -> tuple[Any, Any]:
    profiles = pytest.importorskip("pref_voting.profiles", reason="pref_voting (test extra)")
    methods = pytest.importorskip("pref_voting.voting_methods", reason="pref_voting (test extra)")
    return profiles, methods


@settings(max_examples=150, deadline=None)
@given(rankings())
def test_borda_matches_pref_voting(data: tuple[int, list[tuple[int, ...]]]) -> None:
    profiles, methods = _pref_voting()
    n, voters = data
    profile = profiles.Profile([list(v) for v in voters])
    scores = {NAMES[i]: 0 for i in range(n)}
    for voter in voters:
        for rank, cand in enumerate(voter, start=1):
            scores[NAMES[cand]] += n - rank
    assert scores == {NAMES[c]: s for c, s in profile.borda_scores().items()}
    outcome = score_outcome(scores, 1)
    theirs = sorted(NAMES[c] for c in methods.borda(profile))
    if outcome.ties:
        assert sorted(outcome.ties[0].options) == theirs
    else:
        assert outcome.winners == theirs


@settings(max_examples=200, deadline=None)
@given(rankings(), st.booleans())
def test_instant_runoff_matches_pref_voting(
    data: tuple[int, list[tuple[int, ...]]], by_lot: bool
) -> None:
    profiles, methods = _pref_voting()
    n, voters = data
    profile = profiles.Profile([list(v) for v in voters])
    theirs = sorted(NAMES[c] for c in methods.instant_runoff_put(profile))
    ballots = Counter(tuple(NAMES[c] for c in v) for v in voters)
    lot = Lot("seed-for-tests", "f" * 64) if by_lot else None
    outcome = stv(ballots, NAMES[:n], 1, lot=lot)
    if by_lot:
        assert len(outcome.winners) == 1 and outcome.winners[0] in theirs
    elif not outcome.ties:
        assert outcome.winners == theirs
    else:
        assert outcome.undecided_seats == 1 and outcome.winners == []
    if len(theirs) > 1 and not by_lot:
        assert outcome.ties  # a tie that matters is never hidden


@st.composite
def truncated_rankings(draw: Any) -> tuple[int, list[tuple[int, ...]]]:
    """Rankings cut anywhere, bullet votes (one option) and empty ballots weighted up."""

    n = draw(st.integers(min_value=2, max_value=5))
    voters: list[tuple[int, ...]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=15))):
        order = draw(st.permutations(range(n)))
        length = draw(st.one_of(st.just(1), st.just(0), st.integers(min_value=0, max_value=n)))
        voters.append(tuple(order[:length]))
    return n, voters


@settings(max_examples=400, deadline=None)
@given(truncated_rankings(), st.booleans())
def test_instant_runoff_on_truncated_ballots_matches_pref_voting(
    data: tuple[int, list[tuple[int, ...]]], by_lot: bool
) -> None:
    """One seat, truncated ballots, against pref_voting's ``instant_runoff_put`` on a
    ``ProfileWithTies``.

    How the two rules map: pref_voting scores each continuing candidate by the ballots that
    rank it first among those still in the race (its "approval" tops score, which on
    ballots without equal ranks is the first-preference count), eliminates the lowest, and
    with parallel-universe tie-breaking (PUT) returns every candidate that wins under some
    order of breaking the ties for elimination; it runs until one candidate is left. We stop
    as soon as a candidate holds a strict majority of the ballots still in the count
    (exhausted ballots leave that base): such a candidate can never become lowest, so the
    winner is the same. Candidates who all hold no vote we exclude together (every order
    gives the same count); any other tie for exclusion we report (or draw by lot). Hence:
    a count without a tie gives pref_voting's one winner; several winners there means a
    tie reported here; a draw by lot picks one of pref_voting's winners."""

    _, methods = _pref_voting()
    from pref_voting.profiles_with_ties import ProfileWithTies

    n, voters = data
    profile = ProfileWithTies(
        [{c: rank for rank, c in enumerate(v, start=1)} for v in voters],
        candidates=list(range(n)),
    )
    theirs = sorted(NAMES[c] for c in methods.instant_runoff_put(profile))
    ballots = Counter(tuple(NAMES[c] for c in v) for v in voters)
    lot = Lot("seed-for-tests", "e" * 64) if by_lot else None
    outcome = stv(ballots, NAMES[:n], 1, lot=lot)
    event("tie" if len(theirs) > 1 else "one winner")
    if by_lot:
        assert len(outcome.winners) == 1 and outcome.winners[0] in theirs
    elif not outcome.ties:
        assert outcome.winners == theirs
    else:
        assert outcome.undecided_seats == 1 and outcome.winners == []
    if len(theirs) > 1 and not by_lot:
        assert outcome.ties
    for rnd in outcome.rounds:
        if rnd.elected:
            # Elected on a strict majority of the ballots still counting, never fewer.
            held = Fraction(rnd.tallies[rnd.elected[0]])
            counting = sum(Fraction(v) for k, v in rnd.tallies.items() if k != "(exhausted)")
            assert held * 2 > counting or len(rnd.tallies) == 2


def test_instant_runoff_bullet_votes_example() -> None:
    """A x5, B x2, C x2, D x1, bullet votes: A wins, as pref_voting says too."""

    ballots: Counter[tuple[str, ...]] = Counter({("A",): 5, ("B",): 2, ("C",): 2, ("D",): 1})
    outcome = stv(ballots, NAMES[:4], 1)
    assert outcome.winners == ["A"] and outcome.ties == []
    _, methods = _pref_voting()
    from pref_voting.profiles_with_ties import ProfileWithTies

    profile = ProfileWithTies(
        [{NAMES.index(b[0]): 1} for b, k in ballots.items() for _ in range(k)],
        candidates=list(range(4)),
    )
    assert methods.instant_runoff_put(profile) == [0]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=3, max_value=6),
    st.integers(min_value=1, max_value=3),
    st.lists(st.permutations(NAMES), min_size=1, max_size=25),
    st.integers(min_value=1, max_value=6),
)
def test_stv_keeps_every_vote_accounted_for(
    n: int, seats: int, perms: list[list[str]], cut: int
) -> None:
    seats = min(seats, n - 1)
    names = NAMES[:n]
    ballots = Counter(tuple(c for c in perm if c in names)[:cut] for perm in perms)
    outcome = stv(ballots, names, seats, lot=Lot("s", "x"))
    assert len(outcome.winners) == seats and len(set(outcome.winners)) == seats
    valid = sum(ballots.values())
    quota = valid // (seats + 1) + 1
    elected_before = 0
    for rnd in outcome.rounds:
        total = sum(Fraction(v) for v in rnd.tallies.values())
        assert total + quota * elected_before == valid  # exact: no vote lost or made up
        elected_before += len(rnd.elected)


@settings(max_examples=250, deadline=None)
@given(
    st.integers(min_value=3, max_value=6),
    st.integers(min_value=2, max_value=3),
    st.lists(
        st.tuples(st.permutations(range(6)), st.integers(min_value=1, max_value=6)),
        min_size=1,
        max_size=30,
    ),
)
def test_stv_matches_pref_voting_wig(n: int, seats: int, raw: list[tuple[list[int], int]]) -> None:
    """Multi-seat STV against pref_voting's ``stv_wig`` (Weighted Inclusive Gregory, integer
    Droop quota): the same variant, written independently. Where our count reports a tie
    the other breaks it by its own rule, so only tie-free counts are compared."""

    pytest.importorskip("pref_voting.profiles_with_ties", reason="pref_voting (test extra)")
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_wig

    seats = min(seats, n - 1)
    ballots = [tuple(c for c in perm if c < n)[:cut] for perm, cut in raw]
    profile = ProfileWithTies(
        [{c: rank for rank, c in enumerate(b, start=1)} for b in ballots],
        candidates=list(range(n)),
    )
    theirs = sorted(NAMES[c] for c in stv_wig(profile, num_seats=seats, quota_rule="droop"))
    ours = stv(Counter(tuple(NAMES[c] for c in b) for b in ballots), NAMES[:n], seats)
    event("compared" if not ours.ties else "tie reported")
    if not ours.ties:
        assert sorted(ours.winners) == theirs


@settings(max_examples=250, deadline=None)
@given(
    st.integers(min_value=3, max_value=6),
    st.integers(min_value=2, max_value=3),
    st.lists(
        st.tuples(
            st.permutations(range(6)),
            st.one_of(st.just(1), st.just(1), st.integers(min_value=0, max_value=3)),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_stv_with_bullet_votes_matches_pref_voting_wig(
    n: int, seats: int, raw: list[tuple[list[int], int]]
) -> None:
    """Multi-seat STV where most ballots are bullet votes or nearly so (and some empty):
    many ballots exhaust. WIGM keeps the Droop quota of the first round (Scottish STV
    rule 46), as ``stv_wig`` does; candidates left when no more continue than seats are
    open are elected. Compared where our count reports no tie (``stv_wig`` breaks ties by
    its own rule)."""

    pytest.importorskip("pref_voting.profiles_with_ties", reason="pref_voting (test extra)")
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_wig

    seats = min(seats, n - 1)
    ballots = [tuple(c for c in perm if c < n)[:cut] for perm, cut in raw]
    ballots = [b for b in ballots if b] or [(0,)]
    profile = ProfileWithTies(
        [{c: rank for rank, c in enumerate(b, start=1)} for b in ballots],
        candidates=list(range(n)),
    )
    theirs = sorted(NAMES[c] for c in stv_wig(profile, num_seats=seats, quota_rule="droop"))
    ours = stv(Counter(tuple(NAMES[c] for c in b) for b in ballots), NAMES[:n], seats)
    event("compared" if not ours.ties else "tie reported")
    if not ours.ties:
        assert sorted(ours.winners) == theirs
    else:
        assert len(ours.winners) + ours.undecided_seats == seats


# -- end to end through the database --------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(approval_polls())
def test_database_tally_matches_abcvoting(
    p: Participatie, poll: tuple[int, int, list[set[int]]]
) -> None:
    n, seats, voters = poll
    created = make_poll(
        p, options=[OptionIn(name=NAMES[i]) for i in range(n)], seats=seats, max_choices=None
    )
    codes = issue(p, created, len(voters))
    p.polls.open(created.id, actor="a")
    for voter, code in zip(voters, codes, strict=True):
        p.polls.cast(created.id, BallotIn(choices=[NAMES[c] for c in voter]), code=code)
    p.polls.close(created.id, actor="a")
    tally = p.polls.tally(created.id)
    assert {o.name: o.votes for o in tally.options} == approval_scores(n, voters)
    committees = abc_committees(n, seats, voters)
    if tally.ties:
        tie = tally.ties[0]
        assert committees == expected_committees(tally.winners, tie.options, tie.seats)
    else:
        assert committees == {frozenset(tally.winners)}


@st.composite
def scored_polls(draw: Any) -> tuple[str, int, list[BallotIn]]:
    rule = draw(st.sampled_from(["plurality", "approval", "cumulative", "borda", "ranked"]))
    n = draw(st.integers(min_value=2, max_value=5))
    names = NAMES[:n]
    ballots: list[BallotIn] = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        if rule == "cumulative":
            spread = draw(st.dictionaries(st.sampled_from(names), st.integers(0, 3), max_size=n))
            ballots.append(BallotIn(points=spread))
        elif rule == "plurality":
            ballots.append(BallotIn(choices=draw(st.lists(st.sampled_from(names), max_size=1))))
        else:
            order = draw(st.permutations(names))
            ballots.append(BallotIn(choices=list(order[: draw(st.integers(0, n))])))
    return rule, n, ballots


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scored_polls())
def test_recounting_published_ballots_gives_the_tally(
    p: Participatie, data: tuple[str, int, list[BallotIn]]
) -> None:
    """Every rule: a recount from the published ballots alone reproduces the tally."""

    rule, n, ballots = data
    created = make_poll(
        p,
        options=[OptionIn(name=NAMES[i]) for i in range(n)],
        rule=rule,
        seats=1,
        max_choices=None,
        points=12 if rule == "cumulative" else None,
    )
    codes = issue(p, created, len(ballots))
    p.polls.open(created.id, actor="a")
    for ballot, code in zip(ballots, codes, strict=True):
        p.polls.cast(created.id, ballot, code=code)
    p.polls.close(created.id, actor="a")
    tally = p.polls.tally(created.id)
    recount: Counter[str] = Counter()
    for published in p.polls.published_ballots(created.id):
        if rule == "cumulative":
            recount.update(published.points or {})
        elif rule == "borda":
            for rank, name in enumerate(published.choices, start=1):
                recount[name] += n - rank
        elif rule == "ranked":
            recount.update(published.choices[:1])
        else:
            recount.update(published.choices)
    assert {o.name: o.votes for o in tally.options} == {
        NAMES[i]: recount[NAMES[i]] for i in range(n)
    }
    assert tally.ballots == len(ballots)
    assert tally.blank == sum(1 for b in ballots if not b.choices and not any(b.points.values()))
