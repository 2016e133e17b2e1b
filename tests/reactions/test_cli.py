from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from participatie.cli import main
from participatie.clock import FixedClock
from participatie.exports.writers import write_excel_csv
from participatie.testing import TEST_SECRET, make_participatie
from tests.reactions.conftest import new_dossier, web


def test_cli_list_import_overdue_nota(tmp_path: Path) -> None:
    """The command line on SQLite (the commands only call the tested service)."""

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    p = make_participatie(url, clock=FixedClock(datetime(2026, 3, 3, 8, 0, tzinfo=UTC)))
    p.create_all()
    dossier = new_dossier(p)
    p.reactions.submit(dossier, web())
    p.dispose()
    env = {"PARTICIPATIE_SECRET_KEYS": TEST_SECRET, "PARTICIPATIE_DATABASE_URL": url}
    runner = CliRunner()

    result = runner.invoke(main, ["reactions", "list"], env=env)
    assert result.exit_code == 0, result.output
    assert "Hondenbeleid" in result.output
    assert "1 reactions" in result.output

    csv_path = tmp_path / "formulieren.csv"
    write_excel_csv(
        csv_path,
        ["nummer", "datum", "tekst", "naam", "e-mail"],
        [["A1", "2026-03-03", "Goed", "Bea", "bea@example.nl"], ["A2", "2026-03-03", "", "X", ""]],
    )
    result = runner.invoke(main, ["reactions", "import", "Hondenbeleid", str(csv_path)], env=env)
    assert result.exit_code == 1
    assert "row 3 [tekst]" in result.output
    assert "imported 1 of 2 rows; 1 refused" in result.output

    # The real clock is long past March 2026: everything is overdue.
    result = runner.invoke(main, ["reactions", "overdue"], env=env)
    assert result.exit_code == 0, result.output
    assert "level 3" in result.output
    assert "2 overdue" in result.output

    out = tmp_path / "nota.html"
    result = runner.invoke(
        main, ["reactions", "nota", str(dossier), "--format", "html", "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "Nota van beantwoording" in out.read_text(encoding="utf-8")
    result = runner.invoke(
        main,
        ["reactions", "nota", "Onbekend", "--format", "csv", "--out", str(tmp_path / "x.csv")],
        env=env,
    )
    assert result.exit_code == 2
    assert "dossier.not_found" in result.output


def test_cli_letters_and_archive_to_a_zip_or_a_folder(tmp_path: Path) -> None:
    """``reactions letters`` and ``reactions archive``: a .zip out is one ZIP archive
    (mode 0600), any other out a new folder."""

    import zipfile

    from participatie.exports.files import is_private
    from participatie.reactions.schemas import ReactionIn, SubmitterIn

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    p = make_participatie(url, clock=FixedClock(datetime(2026, 3, 3, 8, 0, tzinfo=UTC)))
    p.create_all()
    dossier = new_dossier(p)
    postal = SubmitterIn(
        name="Piet Post",
        street="Kerkstraat",
        house_number="4",
        postcode="9742 AB",
        city="Groningen",
    )
    p.reactions.register(
        dossier, ReactionIn(channel="paper", text="Meer bankjes.", submitters=[postal]), actor="d"
    )
    p.dispose()
    env = {"PARTICIPATIE_SECRET_KEYS": TEST_SECRET, "PARTICIPATIE_DATABASE_URL": url}
    runner = CliRunner()

    letters = tmp_path / "brieven.zip"
    result = runner.invoke(
        main, ["reactions", "letters", str(dossier), "--no-pdf", "--out", str(letters)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "1 letters written" in result.output
    assert is_private(letters)
    with zipfile.ZipFile(letters) as archive:
        names = archive.namelist()
    assert len(names) == 2 and names[0].startswith("brief-acknowledgement-")

    folder = tmp_path / "archief"
    result = runner.invoke(
        main, ["reactions", "archive", str(dossier), "--out", str(folder)], env=env
    )
    assert result.exit_code == 0, result.output
    assert (folder / "SHA256SUMS").exists() and (folder / "manifest.json").exists()
    result = runner.invoke(
        main, ["reactions", "archive", str(dossier), "--out", str(folder)], env=env
    )
    assert result.exit_code != 0
    assert "not an empty folder" in result.output
