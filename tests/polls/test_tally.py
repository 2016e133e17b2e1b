"""The tally per rule, counted in the database; ties reported or drawn by lot (seeded,
reproducible); the report in every format rests on the same figures."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from participatie.engine import Participatie
from participatie.errors import InvalidInput, InvalidState
from participatie.polls.errors import InvalidBallot
from participatie.polls.report import FORMATS, tally_json
from participatie.polls.schemas import BallotIn, OptionIn, Poll
from tests.archive_pdf import UNICODE_NAMES, check_archival_pdf, pdf_text, with_organisation
from tests.polls.conftest import issue, make_poll

CodePoll = Callable[..., tuple[Poll, list[str]]]


def vote_all(p: Participatie, poll: Poll, ballots: list[BallotIn]) -> None:
    poll_codes = issue(p, poll, len(ballots))
    p.polls.open(poll.id, actor="a")
    for ballot, code in zip(ballots, poll_codes, strict=True):
        p.polls.cast(poll.id, ballot, code=code)
    p.polls.close(poll.id, actor="a")


def test_no_result_while_open(p: Participatie, code_poll: CodePoll) -> None:
    poll, _ = code_poll(1)
    with pytest.raises(InvalidState):
        p.polls.tally(poll.id)
    with pytest.raises(InvalidState):
        list(p.polls.published_ballots(poll.id))


def test_plurality(p: Participatie) -> None:
    poll = make_poll(p, rule="plurality", seats=1, max_choices=None)
    vote_all(p, poll, [BallotIn(choices=[c]) for c in ["Ecozone", "Ecozone", "Hoog Paddepoel"]])
    tally = p.polls.tally(poll.id)
    assert tally.winners == ["Ecozone"] and tally.ties == []


def test_cumulative(p: Participatie) -> None:
    poll = make_poll(p, rule="cumulative", seats=1, max_choices=None, points=5)
    over = make_poll(p, title="b", rule="cumulative", seats=1, max_choices=None, points=5)
    over_codes = issue(p, over, 1)
    p.polls.open(over.id, actor="a")
    with pytest.raises(InvalidBallot, match="at most 5") as info:
        p.polls.cast(over.id, BallotIn(points={"Ecozone": 6}), code=over_codes[0])
    assert info.value.field == "choices"
    with pytest.raises(InvalidBallot, match=r"points per option"):
        p.polls.cast(over.id, BallotIn(choices=["Ecozone"]), code=over_codes[0])
    vote_all(
        p,
        poll,
        [
            BallotIn(points={"Ecozone": 5}),
            BallotIn(points={"Hoog Paddepoel": 3, "Ecozone": 1}),
            BallotIn(points={"Hoog Paddepoel": 3}),
        ],
    )
    tally = p.polls.tally(poll.id)
    votes = {o.name: o.votes for o in tally.options}
    assert votes["Ecozone"] == 6 and votes["Hoog Paddepoel"] == 6
    assert tally.winners == [] and tally.undecided_seats == 1
    assert tally.ties[0].options == ["Hoog Paddepoel", "Ecozone"]
    assert tally.ties[0].resolution == "reported"
    ballots = list(p.polls.published_ballots(poll.id))
    assert sorted(json.dumps(b.points, sort_keys=True) for b in ballots) == sorted(
        json.dumps(x, sort_keys=True)
        for x in [{"Ecozone": 5}, {"Ecozone": 1, "Hoog Paddepoel": 3}, {"Hoog Paddepoel": 3}]
    )


def test_borda(p: Participatie) -> None:
    poll = make_poll(p, rule="borda", seats=1, max_choices=None)
    vote_all(
        p,
        poll,
        [
            BallotIn(choices=["Ecozone", "Hoog Paddepoel", "Pleintje Zonnelaan"]),
            BallotIn(choices=["Hoog Paddepoel", "Ecozone"]),
            BallotIn(choices=["Hoog Paddepoel"]),
        ],
    )
    votes = {o.name: o.votes for o in p.polls.tally(poll.id).options}
    # 4 options: rank 1 -> 3 points, rank 2 -> 2, rank 3 -> 1, unranked 0.
    assert votes == {
        "Hoog Paddepoel": 2 + 3 + 3,
        "Ecozone": 3 + 2,
        "Pleintje Zonnelaan": 1,
        "Grasveld Zaagmuldersweg": 0,
    }


def test_ranked_stv_two_seats(p: Participatie) -> None:
    names = ["A", "B", "C", "D"]
    poll = make_poll(
        p, rule="ranked", seats=2, max_choices=None, options=[OptionIn(name=n) for n in names]
    )
    ballots = (
        [BallotIn(choices=["A", "B"])] * 6
        + [BallotIn(choices=["C", "D"])] * 3
        + [BallotIn(choices=["D", "C"])] * 2
    )
    vote_all(p, poll, ballots)
    tally = p.polls.tally(poll.id)
    # Quota floor(11/3)+1 = 4: A elected with 2 surplus to B (2); then D (2) and B (2)
    # tie for exclusion below C (3)... reported, so the count stops with one seat open.
    assert tally.winners == ["A"] and tally.undecided_seats == 1
    assert tally.rounds[0].elected == ["A"]
    assert tally.rounds[1].tallies == {"B": "2", "C": "3", "D": "2", "(exhausted)": "0"}
    assert tally.ties[0].options == ["B", "D"] and tally.ties[0].resolution == "reported"
    assert "WIGM" in tally.rule_detail
    first = {o.name: o.votes for o in tally.options}
    assert first == {"A": 6, "B": 0, "C": 3, "D": 2}


def test_ranked_instant_runoff(p: Participatie) -> None:
    names = ["A", "B", "C"]
    poll = make_poll(
        p, rule="ranked", seats=1, max_choices=None, options=[OptionIn(name=n) for n in names]
    )
    ballots = (
        [BallotIn(choices=["A", "C"])] * 4
        + [BallotIn(choices=["B", "C"])] * 3
        + [BallotIn(choices=["C", "B"])] * 2
    )
    vote_all(p, poll, ballots)
    tally = p.polls.tally(poll.id)
    assert tally.winners == ["B"]
    assert tally.rounds[0].excluded == ["C"]


def test_instant_runoff_majority_of_ballots_still_counting(p: Participatie) -> None:
    """Bullet votes A x5, B x2, C x2, D x1: once D is out, D's ballot is exhausted and A
    holds 5 of the 9 ballots still in the count, a majority; the B-C tie never matters."""

    names = ["A", "B", "C", "D"]
    poll = make_poll(
        p, rule="ranked", seats=1, max_choices=None, options=[OptionIn(name=n) for n in names]
    )
    counts = {"A": 5, "B": 2, "C": 2, "D": 1}
    vote_all(p, poll, [BallotIn(choices=[n]) for n, k in counts.items() for _ in range(k)])
    tally = p.polls.tally(poll.id)
    assert tally.winners == ["A"] and tally.undecided_seats == 0 and tally.ties == []
    assert tally.rounds[0].excluded == ["D"] and tally.rounds[0].note == "quota 6"
    assert tally.rounds[1].tallies == {"A": "5", "B": "2", "C": "2", "(exhausted)": "1"}
    assert tally.rounds[1].elected == ["A"] and tally.rounds[1].note == "quota 5"


def test_tie_reported_then_drawn_by_lot(p: Participatie) -> None:
    ballots = [BallotIn(choices=["Ecozone"]), BallotIn(choices=["Hoog Paddepoel"])]
    reported = make_poll(p, seats=1)
    vote_all(p, reported, ballots)
    result = p.polls.tally(reported.id)
    assert result.winners == [] and result.undecided_seats == 1
    assert result.ties[0].resolution == "reported"

    lot = make_poll(p, title="lot", seats=1, tie_break="lot", lot_seed="gemeente-groningen-2009")
    vote_all(p, lot, ballots)
    first = p.polls.tally(lot.id, witness="notaris J. de Boer")
    again = p.polls.tally(lot.id, witness="notaris J. de Boer")
    assert first.ties[0].resolution == "lot"
    assert first.winners == again.winners == first.ties[0].drawn[:1]
    assert first.lot_seed == "gemeente-groningen-2009" and first.lot_witness == "notaris J. de Boer"
    assert sorted(first.ties[0].drawn) == ["Ecozone", "Hoog Paddepoel"]
    published = p.polls.publish(lot.id, actor="a", witness="notaris J. de Boer")
    assert published.winners == first.winners
    event = p.audit.events(action="poll.published", subject_id=lot.id)[0]
    assert event.data["ties"][0]["drawn"] == first.ties[0].drawn


def test_lot_seed_is_fixed_before_opening(p: Participatie) -> None:
    poll = make_poll(p, seats=1, tie_break="lot")
    p.polls.open(poll.id, actor="a")
    event = p.audit.events(action="poll.opened", subject_id=poll.id)[0]
    assert len(event.data["lot_seed"]) == 32


def test_reports_in_every_format(p: Participatie, tmp_path: Path) -> None:
    poll = make_poll(
        p,
        options=[
            OptionIn(name='=HYPERLINK("x")'),
            OptionIn(name="Ecozone"),
            OptionIn(name="Café Noord"),
        ],
        seats=1,
    )
    vote_all(p, poll, [BallotIn(choices=["Ecozone"]), BallotIn(choices=["Café Noord", "Ecozone"])])
    tally = p.polls.tally(poll.id)
    assert tally_json(tally) == tally_json(p.polls.tally(poll.id))
    for fmt in FORMATS:
        p.polls.write_tally(tally, tmp_path / f"t.{fmt}", fmt=fmt)
        assert (tmp_path / f"t.{fmt}").stat().st_size > 200
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["winners"] == ["Ecozone"] and data["software_version"]
    assert data["signature"]["decided_by"]
    text = (tmp_path / "t.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # Options in order of votes, the formula-like name escaped.
    assert [r[:3] for r in rows[1:4]] == [
        ["optie", "Ecozone", "2"],
        ["optie", "Café Noord", "1"],
        ["optie", '\'=HYPERLINK("x")', "0"],
    ]
    assert "Café Noord" in text
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames[0] == "Uitslag"
    cell = book["Uitslag"]["B4"]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "&#34;x&#34;" in html or "&quot;x&quot;" in html
    assert "Handtekening" in html and tally.ballots_sha256 in html


def test_published_ballots_hash_matches(p: Participatie) -> None:
    poll = make_poll(p)
    vote_all(p, poll, [BallotIn(choices=["Ecozone"]), BallotIn()])
    buffer = io.BytesIO()
    digest = p.polls.write_ballots(poll.id, buffer)
    import hashlib

    assert (
        hashlib.sha256(buffer.getvalue()).hexdigest()
        == digest
        == p.polls.tally(poll.id).ballots_sha256
    )
    data = json.loads(buffer.getvalue())
    assert sorted(b["tracker"] for b in data) == [b["tracker"] for b in data]
    assert sorted(len(b["choices"]) for b in data) == [0, 1]


def test_pdf_is_pdfa_with_every_name_and_the_organisation(p: Participatie, tmp_path: Path) -> None:

    names = [*UNICODE_NAMES, "Café – Noord"]
    poll = make_poll(p, seats=1, options=[OptionIn(name=name) for name in names])
    vote_all(p, poll, [BallotIn(choices=["Łukasz Żółć"])])
    tally = p.polls.tally(poll.id)
    groningen = with_organisation(p)
    groningen.polls.write_tally(tally, tmp_path / "a.pdf", fmt="pdf")
    data = (tmp_path / "a.pdf").read_bytes()
    text = check_archival_pdf(
        data,
        title=f"Uitslag: {poll.title}",
        author="Gemeente Groningen",
        created=tally.generated_at,
        names=(*UNICODE_NAMES, "Café – Noord"),
    )
    assert "Postbus 30026" in text
    assert "het college van burgemeester en wethouders van Groningen" in text
    # The same tally gives the same bytes: nothing in the file depends on the wall clock.
    groningen.polls.write_tally(tally, tmp_path / "b.pdf", fmt="pdf")
    assert (tmp_path / "b.pdf").read_bytes() == data


#: What an internal key or a dumped structure looks like in a document.
SNAKE_OR_JSON = re.compile(r"\b[a-z]+_[a-z_]+\b|[{}\[\]]|\"\w+\":")


def test_reports_read_as_reports(p: Participatie, tmp_path: Path) -> None:
    """Options in order of votes with the winners marked, the rule in words, tables in
    Dutch without internal keys or JSON, and a workbook with real sheets."""

    poll = make_poll(
        p,
        seats=1,
        options=[OptionIn(name="Noord"), OptionIn(name="Zuid"), OptionIn(name="Oost")],
    )
    vote_all(
        p,
        poll,
        [BallotIn(choices=["Zuid"]), BallotIn(choices=["Zuid"]), BallotIn(choices=["Oost"])],
    )
    tally = p.polls.tally(poll.id)
    groningen = with_organisation(p)
    for fmt in ("html", "pdf", "xlsx"):
        groningen.polls.write_tally(tally, tmp_path / f"t.{fmt}", fmt=fmt)
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>|<[^>]*>", " ", html, flags=re.S)
    pdf = pdf_text((tmp_path / "t.pdf").read_bytes())
    for text in (" ".join(body.split()), " ".join(pdf.split())):
        assert not SNAKE_OR_JSON.search(text), SNAKE_OR_JSON.findall(text)
        assert "max_choices" not in text and "Result" not in text
        assert "de optie met de meeste stemmen is gekozen" in text
        assert text.index("Zuid") < text.index("Oost") < text.index("Noord")
    assert re.search(r"1\s+Zuid\s+2\s+2\s+0\s+0\s+gekozen", " ".join(body.split()))
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames[:4] == ["Uitslag", "Samenvatting", "Controle", "Papier"]
    assert book.properties.creator == "Gemeente Groningen"
    sheet = book["Uitslag"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert [c.value for c in sheet[2]][:3] == [1, "Zuid", 2]
    assert sheet["G2"].value == "gekozen"
    assert sheet.column_dimensions["B"].width >= len("Optie")
    for name in book.sheetnames:
        for row in book[name].iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not SNAKE_OR_JSON.search(value), (name, value)


DUTCH_WORDS = re.compile(
    r"\b(Uitslag|Stemmen|Samenvatting|Controle|gekozen|Stembiljetten|Opkomst|Handtekening|"
    r"Opgesteld|Vastgesteld|Telregel|Waarvan|Papier)\b"
)


def test_english_is_a_rendering_of_its_own(p: Participatie, tmp_path: Path) -> None:
    """One document, one language: the English report has no Dutch words of the library
    (the poll's own title, question and options stay as written)."""

    from openpyxl import load_workbook

    poll = make_poll(p, seats=1, options=[OptionIn(name="Noord"), OptionIn(name="Zuid")])
    vote_all(p, poll, [BallotIn(choices=["Zuid"])] * 2 + [BallotIn(choices=["Noord"])])
    tally = p.polls.tally(poll.id)
    groningen = with_organisation(p)
    for fmt in ("html", "pdf", "xlsx", "csv"):
        groningen.polls.write_tally(tally, tmp_path / f"t.{fmt}", fmt=fmt, lang="en")
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    body = " ".join(re.sub(r"<style>.*?</style>|<[^>]*>", " ", html, flags=re.S).split())
    pdf = " ".join(pdf_text((tmp_path / "t.pdf").read_bytes()).split())
    csv_text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    for text in (body, pdf, csv_text):
        assert not DUTCH_WORDS.search(text), DUTCH_WORDS.findall(text)
        assert "the option with the most votes is chosen" in text
        assert not SNAKE_OR_JSON.search(text.replace(tally.ballots_sha256, ""))
    assert "Result: " in body and "Votes per option" in body
    assert "Adopted by" in pdf and "Eligible" in pdf
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames[:4] == ["Result", "Summary", "Checks", "Paper"]
    assert [c.value for c in book["Result"][2]][-1] == "chosen"
    with pytest.raises(InvalidInput) as info:
        p.polls.write_tally(tally, tmp_path / "t.de.html", fmt="html", lang="de")
    assert info.value.field == "lang"
    assert not (tmp_path / "t.de.html").exists()
