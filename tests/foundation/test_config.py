from __future__ import annotations

import pytest

from participatie import ConfigurationError, Participatie, Settings


def test_missing_secret_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTICIPATIE_SECRET_KEYS", raising=False)
    with pytest.raises(ConfigurationError) as info:
        Settings.load()
    assert info.value.field == "secret_keys"
    assert "PARTICIPATIE_SECRET_KEYS" in info.value.message
    assert info.value.code == "config.invalid"


@pytest.mark.parametrize("value", ["", "   ", ","])
def test_empty_secret_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", value)
    with pytest.raises(ConfigurationError, match="no secret key set"):
        Settings.load()


def test_short_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="shorter than 16"):
        Settings.load(secret_keys=["short"])


def test_keys_from_environment_comma_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", "new-key-0123456789, old-key-0123456789")
    assert Settings.load().signing_keys == ["new-key-0123456789", "old-key-0123456789"]
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", '["json-key-0123456789"]')
    assert Settings.load().signing_keys == ["json-key-0123456789"]


def test_hash_key_defaults_to_oldest_secret() -> None:
    settings = Settings.load(secret_keys=["new-key-0123456789", "old-key-0123456789"])
    assert settings.hashing_key == b"old-key-0123456789"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "malformed database URL"),
        ("oracle://scott@db/x", "unsupported database 'oracle'"),
        ("", "database URL is empty"),
    ],
)
def test_malformed_database_url(url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected) as info:
        Settings.load(secret_keys=["k" * 20], database_url=url)
    assert info.value.field == "database_url"


def test_unknown_locale_and_timezone() -> None:
    with pytest.raises(ConfigurationError, match="unknown locale 'fr'"):
        Settings.load(secret_keys=["k" * 20], locale="fr")
    with pytest.raises(ConfigurationError, match="unknown time zone"):
        Settings.load(secret_keys=["k" * 20], timezone="Mars/Olympus")


def test_settings_are_frozen() -> None:
    settings = Settings.load(secret_keys=["k" * 20])
    with pytest.raises(Exception, match="frozen"):
        settings.locale = "en"  # type: ignore[misc]


def test_nested_smtp_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", "k" * 20)
    monkeypatch.setenv("PARTICIPATIE_SMTP__HOST", "mail.example.nl")
    monkeypatch.setenv("PARTICIPATIE_SMTP__PORT", "587")
    monkeypatch.setenv("PARTICIPATIE_SMTP__SECURITY", "starttls")
    smtp = Settings.load().smtp
    assert (smtp.host, smtp.port, smtp.security) == ("mail.example.nl", 587, "starttls")


def test_demo_generates_a_key_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTICIPATIE_SECRET_KEYS", raising=False)
    settings, generated = Settings.for_demo()
    assert generated
    assert len(settings.signing_keys[0]) >= 32
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", "k" * 20)
    settings, generated = Settings.for_demo()
    assert not generated
    assert settings.signing_keys == ["k" * 20]


def test_bad_settings_write_nothing(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PARTICIPATIE_SECRET_KEYS", raising=False)
    with pytest.raises(ConfigurationError):
        Participatie(Settings.load())
    assert list(folder.iterdir()) == []
