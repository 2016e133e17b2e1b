"""Every writer has one shape: ``write_<thing>(subject, out, *, fmt=..., ...)``.

``out`` is a path (a new file with mode 0600) or a binary file (written to, flushed, never
closed); both get the same bytes (for office files and ZIP archives, whose members carry
a time, the same members). Multi-file outputs go into a new or empty folder, or into one
ZIP archive of the same files when given a binary file, also an unseekable one.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import pytest
from sqlalchemy.orm import Session

from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.exports.files import Output, is_private
from participatie.polls.report import FORMATS as TALLY_FORMATS
from participatie.polls.schemas import BallotIn
from participatie.reactions.report import FORMATS as NOTA_FORMATS
from participatie.reactions.schemas import PointIn, ReactionIn, SubmitterIn
from participatie.testing import make_participatie
from tests.petitions.conftest import open_petition, seed_areas, sign_and_confirm
from tests.polls.conftest import issue, make_poll
from tests.reactions.conftest import new_dossier

#: Members of an office file that carry the time it was saved.
STAMPED = {"docProps/core.xml"}


def members(data: bytes) -> dict[str, bytes]:
    """The members of a ZIP archive (an xlsx, a docx) by name, without save times."""

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n not in STAMPED}


def to_path_and_buffer(write: Callable[[Output], Any], path: Path) -> tuple[bytes, bytes, Any]:
    """Write once to ``path`` and once to a buffer; the path is private, the buffer open."""

    first = write(path)
    assert is_private(path), f"{path.name} is readable by others"
    buffer = io.BytesIO()
    second = write(buffer)
    assert not buffer.closed, "the library closed the caller's file"
    return path.read_bytes(), buffer.getvalue(), (first, second)


def check_same(write: Callable[[Output], Any], path: Path, *, zipped: bool = False) -> bytes:
    on_disk, in_memory, (first, second) = to_path_and_buffer(write, path)
    if zipped:
        assert members(on_disk) == members(in_memory), path.name
    else:
        assert on_disk == in_memory, path.name
        assert first == second, path.name  # the digest (or result) of the same bytes
    return on_disk


class Unseekable:
    """A binary stream that can only be written to (a socket, a web response)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.flushed = False

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        self.flushed = True


@contextmanager
def rolled_back(p: Participatie) -> Iterator[Session]:
    """A host session whose work is undone at the end (to write a state-changing output
    twice from the same state)."""

    with Session(p.engine) as session:
        session.begin()
        try:
            yield session
        finally:
            session.rollback()


def folder_files(folder: Path) -> dict[str, bytes]:
    found = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
    assert all(is_private(folder / name) for name in found), "a file is readable by others"
    return found


# -- petitions ---------------------------------------------------------------------------


def test_petition_writers(p: Participatie, tmp_path: Path) -> None:
    seed_areas(p)
    petition = open_petition(p)
    for n in range(3):
        sign_and_confirm(p, petition, n)
    p.petitions.hand_over(petition.id, actor="griffie", to="de gemeenteraad")

    data = check_same(lambda out: p.petitions.write_signatures(petition.id, out), tmp_path / "s")
    assert len(data.decode("utf-8-sig").splitlines()) == 4
    doc = p.petitions.handover_document(petition.id)
    for fmt in ("html", "pdf"):

        def handover(out: Output, fmt: str = fmt) -> str:
            return p.petitions.write_handover(doc, out, fmt=fmt)

        data = check_same(handover, tmp_path / f"handover.{fmt}")
        assert data.startswith(b"%PDF" if fmt == "pdf" else b"<!")
    with pytest.raises(InvalidInput) as caught:
        p.petitions.write_handover(doc, io.BytesIO(), fmt="docx")
    assert caught.value.field == "format"


# -- polls -------------------------------------------------------------------------------


def test_poll_writers(p: Participatie, tmp_path: Path) -> None:
    # The codes are random: two polls, one written to a path and one to a buffer.
    first, second = make_poll(p), make_poll(p)
    path = tmp_path / "codes.csv"
    issued = p.polls.issue_codes(first.id, path, count=3, actor="projectleider")
    assert is_private(path) and issued.issued == 3
    buffer = io.BytesIO()
    p.polls.issue_codes(second.id, buffer, count=3, actor="projectleider")
    rows = [
        list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        for data in (path.read_bytes(), buffer.getvalue())
    ]
    assert rows[0][0] == rows[1][0] == ["volgnummer", "adres", "stemcode", "stemadres"]
    assert [r[0] for r in rows[0][1:]] == [r[0] for r in rows[1][1:]] == ["1", "2", "3"]

    poll = make_poll(p)
    codes = issue(p, poll, 2)
    p.polls.open(poll.id, actor="a")
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone", "Hoog Paddepoel"]), code=codes[1])
    p.polls.close(poll.id, actor="a")
    tally = p.polls.tally(poll.id)
    data = check_same(lambda out: p.polls.write_ballots(poll.id, out), tmp_path / "ballots")
    assert data.count(b'"tracker"') == 2
    for fmt in TALLY_FORMATS:

        def report(out: Output, fmt: str = fmt) -> str:
            return p.polls.write_tally(tally, out, fmt=fmt)

        check_same(report, tmp_path / f"tally.{fmt}", zipped=fmt == "xlsx")
    with pytest.raises(InvalidInput) as caught:
        p.polls.write_tally(tally, io.BytesIO(), fmt="odt")
    assert caught.value.field == "format"


# -- reactions ---------------------------------------------------------------------------


def postal_dossier(p: Participatie) -> uuid.UUID:
    dossier = new_dossier(p)
    for number, name in enumerate(["Piet Post", "Zoë Ŝŭ"], start=1):
        p.reactions.register(
            dossier,
            ReactionIn(
                channel="paper",
                text=f"Reactie van {name}.",
                submitters=[
                    SubmitterIn(
                        name=name,
                        street="Kerkstraat",
                        house_number=str(number),
                        postcode="9742 AB",
                        city="Groningen",
                    )
                ],
                points=[PointIn(text="Meer losloopgebieden.", theme="losloop")],
            ),
            actor="desk",
        )
    # Made once, so the letters written twice carry the same short address.
    p.short_codes.code_for("dossier", dossier)
    return dossier


def test_nota_writer(p: Participatie, tmp_path: Path) -> None:
    dossier = postal_dossier(p)
    for fmt in NOTA_FORMATS:

        def nota(out: Output, fmt: str = fmt) -> str:
            return p.reactions.write_nota(dossier, out, fmt=fmt, internal=True)

        check_same(nota, tmp_path / f"nota.{fmt}", zipped=fmt in ("xlsx", "docx"))
    with pytest.raises(InvalidInput) as caught:
        p.reactions.write_nota(dossier, io.BytesIO(), fmt="odt")
    assert caught.value.field == "format"


def test_letters_and_archive_to_a_folder_or_one_zip(p: Participatie, tmp_path: Path) -> None:
    dossier = postal_dossier(p)
    folder = tmp_path / "brieven"
    with rolled_back(p) as session:
        batch = p.reactions.write_letters(dossier, folder, actor="post", session=session)
    assert batch.letters == 2 and batch.pdf_file is not None
    on_disk = folder_files(folder)
    assert set(on_disk) == {*batch.files, batch.print_file, batch.pdf_file}
    # The same letters as one ZIP, into a stream that cannot seek.
    stream = Unseekable()
    zipped = p.reactions.write_letters(dossier, cast(IO[bytes], stream), actor="post")
    assert zipped == batch and stream.flushed
    with zipfile.ZipFile(io.BytesIO(stream.buffer.getvalue())) as archive:
        assert archive.namelist() == [*batch.files, batch.print_file, batch.pdf_file]
        assert {n: archive.read(n) for n in archive.namelist()} == on_disk
        assert all(i.external_attr >> 16 & 0o777 == 0o600 for i in archive.infolist())
    # Printed now: a second batch finds nothing (and its folder stays empty).
    assert p.reactions.write_letters(dossier, tmp_path / "again", actor="post").letters == 0

    package = tmp_path / "archief"
    with rolled_back(p) as session:
        manifest = p.reactions.write_archive(dossier, package, actor="archivaris", session=session)
    on_disk = folder_files(package)
    assert manifest.path == str(package)
    assert set(manifest.files) | {"SHA256SUMS", "manifest.json"} == set(on_disk)
    buffer = io.BytesIO()
    again = p.reactions.write_archive(dossier, buffer, actor="archivaris")
    assert again.files == manifest.files and again.path == ""
    with zipfile.ZipFile(buffer) as archive:
        inside = {n: archive.read(n) for n in archive.namelist()}
    # The same files; only the manifest's folder differs ("" for a file object).
    assert inside.keys() == on_disk.keys()
    assert {n: d for n, d in inside.items() if n != "manifest.json"} == {
        n: d for n, d in on_disk.items() if n != "manifest.json"
    }
    written = json.loads(on_disk["manifest.json"])
    assert written.pop("path") == str(package)
    assert json.loads(inside["manifest.json"]) == {**written, "path": ""}
    assert on_disk["SHA256SUMS"].count(b"\n") == len(manifest.files)


def test_a_zip_path_is_one_zip_archive_as_on_the_command_line(
    p: Participatie, tmp_path: Path
) -> None:
    dossier = postal_dossier(p)
    with rolled_back(p) as session:
        batch = p.reactions.write_letters(
            dossier, tmp_path / "brieven.ZIP", actor="post", session=session
        )
    assert (tmp_path / "brieven.ZIP").is_file() and is_private(tmp_path / "brieven.ZIP")
    assert (batch.kind, batch.per_kind, batch.letters) == (None, {"acknowledgement": 2}, 2)
    with zipfile.ZipFile(tmp_path / "brieven.ZIP") as archive:
        assert archive.namelist() == [*batch.files, batch.print_file, batch.pdf_file]
    manifest = p.reactions.write_archive(dossier, tmp_path / "archief.zip", actor="archivaris")
    with zipfile.ZipFile(tmp_path / "archief.zip") as archive:
        assert set(archive.namelist()) == {*manifest.files, "SHA256SUMS", "manifest.json"}


def test_a_folder_is_no_file(p: Participatie, tmp_path: Path) -> None:
    """A one-file writer given a folder's path says so, naming ``out``; nothing is written."""

    dossier = postal_dossier(p)
    (tmp_path / "map").mkdir()
    writers: list[Callable[[], Any]] = [
        lambda: p.audit.write_events(tmp_path / "map"),
        lambda: p.reactions.write_nota(dossier, tmp_path / "map", fmt="csv"),
        lambda: p.reactions.write_nota(dossier, str(tmp_path / "map"), fmt="pdf"),
    ]
    for write in writers:
        with pytest.raises(InvalidInput) as caught:
            write()
        assert caught.value.field == "out" and "folder" in caught.value.message
    assert list((tmp_path / "map").iterdir()) == []


def test_a_folder_must_be_new_or_empty(p: Participatie, tmp_path: Path) -> None:
    dossier = postal_dossier(p)
    (tmp_path / "bezet").mkdir()
    (tmp_path / "bezet" / "iets.txt").write_text("al hier")
    for write in (p.reactions.write_letters, p.reactions.write_archive):
        with pytest.raises(InvalidInput) as caught:
            write(dossier, tmp_path / "bezet", actor="post")
        assert caught.value.field == "out"
    assert p.reactions.pending_letters(dossier)["acknowledgement"] == 2  # nothing was sent


# -- audit ---------------------------------------------------------------------------------


def test_audit_writer_and_a_text_file_is_refused(p: Participatie, tmp_path: Path) -> None:
    seed_areas(p)
    data = check_same(lambda out: p.audit.write_events(out), tmp_path / "audit.jsonl")
    assert data.count(b"\n") == 2
    with open(tmp_path / "text.jsonl", "w") as text, pytest.raises(InvalidInput) as caught:
        p.audit.write_events(text)  # type: ignore[arg-type]
    assert caught.value.field == "out"


# -- the facades ---------------------------------------------------------------------------

FACADES = (
    "polls",
    "petitions",
    "reactions",
    "subscriptions",
    "outbox",
    "privacy",
    "audit",
    "jobs",
    "areas",
    "short_codes",
    "send_caps",
)
#: Names a parameter for an output file or folder must not have: it is ``out``.
OUTPUT_NAMES = {"path", "out_dir", "file", "folder", "output", "fh", "dest"}
#: Methods that read a file (and so may name it ``path``).
READERS = {("reactions", "import_file")}
#: Writers whose name says what they do besides writing (issuing codes).
NAMED_OTHERWISE = {("polls", "issue_codes")}


@pytest.fixture(scope="module")
def facade(tmp_path_factory: pytest.TempPathFactory) -> Participatie:
    path = tmp_path_factory.mktemp("facades") / "p.db"
    return make_participatie(f"sqlite:///{path}")


def methods(facade: Participatie) -> Iterator[tuple[str, str, inspect.Signature, Any]]:
    for room in FACADES:
        for name, function in inspect.getmembers(
            type(getattr(facade, room)), predicate=inspect.isfunction
        ):
            if not name.startswith("_"):
                yield room, name, inspect.signature(function), function


def test_every_writer_takes_out_as_a_path_or_binary_file(facade: Participatie) -> None:
    writers = set()
    for room, name, signature, function in methods(facade):
        params = signature.parameters
        where = f"p.{room}.{name}"
        if "out" in params:
            writers.add(where)
            annotation = params["out"].annotation
            if isinstance(annotation, str):
                annotation = eval(annotation, inspect.unwrap(function).__globals__)  # noqa: S307
            assert annotation == Output, f"{where}: out is {annotation}, not Output"
            assert name.startswith("write_") or (room, name) in NAMED_OTHERWISE, where
        if "fmt" in params:
            assert params["fmt"].kind is inspect.Parameter.KEYWORD_ONLY, where
        assert "format" not in params, f"{where}: the format is the keyword fmt"
        if name.startswith(("export", "generate")):
            assert "out" not in params, f"{where} writes a file: call it write_..."
        if (room, name) not in READERS:
            assert not OUTPUT_NAMES & set(params), f"{where} takes {OUTPUT_NAMES & set(params)}"
    assert writers >= {
        "p.petitions.write_signatures",
        "p.petitions.write_handover",
        "p.polls.write_ballots",
        "p.polls.write_tally",
        "p.polls.issue_codes",
        "p.reactions.write_nota",
        "p.reactions.write_letters",
        "p.reactions.write_archive",
        "p.audit.write_events",
    }
