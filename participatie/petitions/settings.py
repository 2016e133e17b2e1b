"""Deployment-wide settings of the petitions module: ``Settings.petitions``.

Thresholds, lifetimes, rate limits and the allow- and block-lists a petition desk tunes.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

#: Reasons the griffie may give for refusing a petition (code -> Dutch, English).
DEFAULT_REJECT_REASONS: dict[str, tuple[str, str]] = {
    "outside_remit": (
        "Het onderwerp valt buiten wat de gemeente beslist",
        "Outside the municipality's remit",
    ),
    "commercial": ("De petitie heeft een commercieel doel", "Commercial purpose"),
    "party_political": ("De petitie is partijpolitiek", "Party-political"),
    "offensive": ("De tekst is beledigend of kwetsend", "Offensive"),
    "legal_procedure": (
        "Over dit onderwerp loopt een juridische procedure",
        "Subject of a legal procedure",
    ),
    "duplicate": ("Er is al een petitie over hetzelfde onderwerp", "Duplicate of another petition"),
}

#: Large mail providers: many honest signers share these domains.
DEFAULT_ALLOW_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "live.nl",
    "hotmail.nl",
    "icloud.com",
    "yahoo.com",
    "ziggo.nl",
    "kpnmail.nl",
    "home.nl",
    "planet.nl",
    "xs4all.nl",
    "proton.me",
)


class PetitionSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Co-initiators who must confirm before a petition goes to moderation.
    min_coinitiators: int = Field(default=0, ge=0, le=50)
    #: Where moderation requests and threshold notices for the griffie go (None: nowhere).
    desk_email: str | None = None
    reject_reasons: dict[str, tuple[str, str]] = Field(
        default_factory=lambda: dict(DEFAULT_REJECT_REASONS)
    )
    #: Signature counts that mean something (e.g. the council puts it on its agenda).
    default_thresholds: tuple[int, ...] = (500, 1000)
    #: Rows the verified count is spread over, so confirmations do not queue on one row.
    counter_shards: int = Field(default=16, ge=1, le=256)
    #: Confirmation mails sent again when a pending signer signs again.
    max_resends: int = Field(default=3, ge=0)
    #: Confirmation keeps working this long after the petition closed.
    confirm_grace: timedelta = timedelta(hours=24)
    remind_after: timedelta = timedelta(days=3)
    delete_unconfirmed_after: timedelta = timedelta(weeks=4)
    #: Personal data is anonymised this long after the answer (or the closing).
    anonymise_after: timedelta = timedelta(days=183)
    #: The creator's and co-initiators' names of a petition that ran stay public this long
    #: after the anonymisation, then they go (also from its texts and the desk's notes).
    names_after: timedelta = timedelta(days=730)
    #: An address the desk blocked (kept as a keyed hash) is unblocked after this long.
    blocked_address_after: timedelta = timedelta(days=730)
    #: Longest a petition may run, counted from approval.
    max_duration: timedelta = timedelta(days=365)
    #: Household rule when a petition switches it on: signatures per postcode + number.
    household_limit: int = Field(default=2, ge=1)
    #: Rate limits per petition within ``rate_window``; over a limit: silently fraudulent.
    rate_window: timedelta = timedelta(hours=1)
    ip_limit: int = Field(default=10, ge=1)
    subnet_limit: int = Field(default=50, ge=1)
    #: Trending: signatures per hour from one IP address or mail domain raising an event.
    trending_ip_per_hour: int = Field(default=5, ge=1)
    trending_domain_per_hour: int = Field(default=50, ge=1)
    allow_domains: tuple[str, ...] = DEFAULT_ALLOW_DOMAINS
    #: Known shared networks (CIDR) exempt from the IP and subnet limits.
    allow_networks: tuple[str, ...] = ()
    block_domains: tuple[str, ...] = ()
    block_networks: tuple[str, ...] = ()
    block_addresses: tuple[str, ...] = ()
    #: The answer to signers goes out at most this many messages per minute.
    answer_per_minute: int = Field(default=600, ge=1)


__all__ = [
    "DEFAULT_ALLOW_DOMAINS",
    "DEFAULT_REJECT_REASONS",
    "PetitionSettings",
]
