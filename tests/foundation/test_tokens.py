from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from participatie import TokenExpired, TokenInvalid, TokenWrongPurpose
from participatie.tokens import Tokens

KEY_A = "key-a-0123456789abcdef"
KEY_B = "key-b-0123456789abcdef"


def test_roundtrip_carries_subject_and_extra() -> None:
    tokens = Tokens([KEY_A])
    token = tokens.make("petition.confirm", "sig-1", bound_to="a@example.nl", lang="nl")
    payload = tokens.load(
        "petition.confirm", token, max_age=timedelta(days=7), bound_to="a@example.nl"
    )
    assert payload.subject == "sig-1"
    assert payload.extra == {"lang": "nl"}


def test_expired_is_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = Tokens([KEY_A])
    token = tokens.make("petition.confirm", "sig-1")
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 8 * 86400)
    with pytest.raises(TokenExpired) as info:
        tokens.load("petition.confirm", token, max_age=timedelta(days=7))
    assert info.value.code == "token.expired"


def test_tampered_token_is_invalid() -> None:
    tokens = Tokens([KEY_A])
    token = tokens.make("petition.confirm", "sig-1")
    body, _, signature = token.rpartition(".")
    # Change the first character: the last one of a base64 signature carries padding bits
    # that decoding ignores, so changing it does not always change the signature.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(TokenInvalid):
        tokens.load("petition.confirm", f"{body}.{flipped}", max_age=None)
    forged = URLSafeTimedSerializer("someone-elses-key-0123", salt="participatie:petition.confirm")
    with pytest.raises(TokenInvalid):
        tokens.load("petition.confirm", forged.dumps({"s": "sig-1"}), max_age=None)
    with pytest.raises(TokenInvalid):
        tokens.load("petition.confirm", "garbage", max_age=None)


def test_wrong_purpose_is_named() -> None:
    tokens = Tokens([KEY_A])
    token = tokens.make("petition.withdraw", "sig-1")
    with pytest.raises(TokenWrongPurpose) as info:
        tokens.load("petition.confirm", token, max_age=None)
    assert info.value.code == "token.wrong_purpose"
    assert info.value.details == {"expected": "petition.confirm", "actual": "petition.withdraw"}


def test_binding_kills_token_when_state_changes() -> None:
    tokens = Tokens([KEY_A])
    token = tokens.make("petition.confirm", "sig-1", bound_to="old@example.nl")
    with pytest.raises(TokenInvalid, match="no longer matches"):
        tokens.load("petition.confirm", token, max_age=None, bound_to="new@example.nl")
    # A token made without a binding cannot be used where one is required.
    unbound = tokens.make("petition.confirm", "sig-1")
    with pytest.raises(TokenInvalid):
        tokens.load("petition.confirm", unbound, max_age=None, bound_to="old@example.nl")


def test_key_rotation_first_signs_all_verify() -> None:
    old = Tokens([KEY_A])
    token = old.make("petition.confirm", "sig-1", bound_to="x")
    rotated = Tokens([KEY_B, KEY_A])
    assert rotated.load("petition.confirm", token, max_age=None, bound_to="x").subject == "sig-1"
    new_token = rotated.make("petition.confirm", "sig-2")
    # Signed with the new key: the old-only verifier rejects it, the new-only accepts it.
    with pytest.raises(TokenInvalid):
        old.load("petition.confirm", new_token, max_age=None)
    assert Tokens([KEY_B]).load("petition.confirm", new_token, max_age=None).subject == "sig-2"
    # Once the old key is dropped, its tokens stop working.
    with pytest.raises(TokenInvalid):
        Tokens([KEY_B]).load("petition.confirm", token, max_age=None)


def test_unknown_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown token purpose"):
        Tokens([KEY_A]).make("nope", "x")


def test_ages_follow_the_injected_clock() -> None:
    from datetime import UTC, datetime

    from participatie.clock import FixedClock

    clock = FixedClock(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    tokens = Tokens([KEY_A], clock=clock)
    token = tokens.make("petition.confirm", "sig-1")
    clock.advance(timedelta(days=6, hours=23))
    assert tokens.load("petition.confirm", token, max_age=timedelta(days=7)).subject == "sig-1"
    clock.advance(timedelta(hours=2))
    with pytest.raises(TokenExpired):
        tokens.load("petition.confirm", token, max_age=timedelta(days=7))


def test_small_clock_difference_between_servers_is_tolerated() -> None:
    from datetime import UTC, datetime

    from participatie.clock import FixedClock

    ahead = FixedClock(datetime(2026, 3, 3, 9, 3, tzinfo=UTC))
    behind = FixedClock(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    token = Tokens([KEY_A], clock=ahead).make("petition.confirm", "sig-1")
    # Made on a server three minutes ahead, checked on one that is behind: still valid.
    assert (
        Tokens([KEY_A], clock=behind)
        .load("petition.confirm", token, max_age=timedelta(days=7))
        .subject
        == "sig-1"
    )
    # A token "from" an hour in the future is not clock difference.
    far = FixedClock(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    future = Tokens([KEY_A], clock=far).make("petition.confirm", "sig-2")
    with pytest.raises(TokenExpired):
        Tokens([KEY_A], clock=behind).load("petition.confirm", future, max_age=timedelta(days=7))
