"""The organisation's settings: read from the environment, checked, and shown in pages,
mails and documents."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from participatie.config import Settings
from participatie.errors import ConfigurationError
from participatie.organisation import OrganisationSettings
from participatie.testing import TEST_SECRET, make_participatie

#: A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", TEST_SECRET)
    monkeypatch.setenv("PARTICIPATIE_ORGANISATION__NAME", "Gemeente Groningen")
    monkeypatch.setenv(
        "PARTICIPATIE_ORGANISATION__POSTAL_ADDRESS", "Postbus 30026; 9700 RM Groningen"
    )
    monkeypatch.setenv("PARTICIPATIE_ORGANISATION__WEBSITE", "https://gemeente.groningen.nl/")
    monkeypatch.setenv("PARTICIPATIE_ORGANISATION__LOGO_FILE", str(logo))
    org = Settings.load().organisation
    assert org.name == "Gemeente Groningen"
    assert org.address_lines == ["Postbus 30026", "9700 RM Groningen"]
    assert org.website == "https://gemeente.groningen.nl"
    assert org.website_label == "gemeente.groningen.nl"
    assert org.council == "de gemeenteraad van Groningen"
    assert org.college == "het college van burgemeester en wethouders van Groningen"
    assert org.logo_bytes() == PNG
    assert org.logo_data_uri() == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_names_as_letters_use_them() -> None:
    org = OrganisationSettings(
        name="Gemeente Súdwest-Fryslân",
        council_name="de gemeenteraad van Súdwest-Fryslân",
        college_name="het college van Súdwest-Fryslân",
    )
    assert org.place == "Súdwest-Fryslân"
    assert org.college == "het college van Súdwest-Fryslân"
    # A name without "Gemeente" in front is the place itself.
    assert OrganisationSettings(name="Stad Amsterdam").council == (
        "de gemeenteraad van Stad Amsterdam"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Gemeente", "full name"),
        ("name", " gemeente ", "full name"),
        ("name", "Gemeente.", "full name"),
        ("name", "...", "full name"),
        ("website", "gemeente.nl", "https://"),
        ("logo_file", "/nonexistent/logo.png", "does not exist"),
        ("logo_file", "logo.gif", ".png or .jpg"),
    ],
)
def test_refused_with_the_setting_named(field: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(secret_keys=[TEST_SECRET], organisation={field: value})
    assert f"PARTICIPATIE_ORGANISATION__{field.upper()}" in str(caught.value)
    assert message in str(caught.value)


def test_a_large_logo_is_refused(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG + b"\0" * 600 * 1024)
    with pytest.raises(ConfigurationError, match="larger than 512 KiB"):
        Settings.load(secret_keys=[TEST_SECRET], organisation={"logo_file": str(logo)})


def test_the_earlier_keyword_still_names_the_organisation() -> None:
    settings = Settings.load(secret_keys=[TEST_SECRET], organisation_name="Gemeente Haren")
    assert settings.organisation.name == settings.organisation_name == "Gemeente Haren"


def test_pages_and_mails_carry_the_organisation(tmp_path: Path) -> None:
    p = make_participatie(
        f"sqlite:///{tmp_path / 'o.db'}",
        organisation={"name": "Gemeente Groningen", "website": "https://gemeente.groningen.nl"},
    )
    try:
        context = {"name": "Anna", "title": "Een titel", "total": 3, "url": "https://x.nl"}
        _subject, body, _html = p.render_mail(
            "petitions_closed", "nl", {**p.template_globals(), **context}
        )
        assert body.rstrip().endswith("Gemeente Groningen")
        page = p.render(
            "web/base.html",
            lang="nl",
            t=lambda key, **_: key,
            link=lambda *_a, **_k: "/",
            local=lambda path: path,
            switch_url="/",
            stylesheets=[],
        )
        assert "Gemeente Groningen" in page
        assert 'href="https://gemeente.groningen.nl">gemeente.groningen.nl</a>' in page
        assert "Gemeente Voorbeeld" not in page
    finally:
        p.dispose()
