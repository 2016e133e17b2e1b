"""The message catalogues: every key a template or route asks for exists in Dutch and in
English, both catalogues have the same keys and placeholders, and text is escaped."""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from participatie.catalogues import catalogue, plural_keys
from participatie.engine import Participatie
from tests.web.helpers import open_petition

PACKAGE = Path(__file__).resolve().parents[2] / "participatie"
#: t("section.key") with a literal key, in templates and in the web package's code.
LITERAL = re.compile(r"""(?<![\w.])[t_]\(\s*["']([a-z_]+\.[a-z_.]+)["']""")
#: Keys built at run time from a value: their stems and the values they take.
DYNAMIC = {
    "petition.status_": ["closed", "handed_over", "answered"],
    "dossier.phase_": ["planned", "current", "done", "delayed"],
    "dossier.status_": ["in_progress", "answers", "decided"],
    "poll.state_": ["scheduled", "closed", "published", "cancelled", "result_pending"],
    "petition.form_error.": ["name", "email", "postcode", "house_number", "form"],
    "dossier.form_error.": ["name", "email", "text"],
    "poll.ballot_error.": ["plurality", "approval", "cumulative", "ranked"],
    "error_page.title_": ["400", "403", "404", "409", "413", "422", "429", "500", "other"],
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    files = [*(PACKAGE / "templates" / "web").glob("*.html"), *(PACKAGE / "web").glob("*.py")]
    for path in files:
        found = LITERAL.findall(path.read_text(encoding="utf-8"))
        # A key ending in "_" or "." is a stem completed at run time (see DYNAMIC).
        keys |= {key for key in found if not key.endswith(("_", "."))}
    for stem, values in DYNAMIC.items():
        keys |= {stem + value for value in values}
    for role in ("creator", "coinitiator"):
        keys |= {
            f"petition.{role}_{part}" for part in ("title", "explain", "button", "done", "already")
        }
    return keys


def test_every_used_key_exists_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 100
    for lang in ("nl", "en"):
        missing = sorted(k for k in keys if k not in catalogue(lang))
        assert missing == [], f"{lang}: {missing}"


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    nl, en = catalogue("nl"), catalogue("en")
    assert set(nl) == set(en)

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    different = [key for key in nl if fields(nl[key]) != fields(en[key])]
    assert different == []


def test_text_from_residents_is_escaped(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p, title="<script>alert(1)</script> scherm")
    page = client.get(f"/petitions/{petition.id}")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; scherm" in page.text


class _Languages(HTMLParser):
    """Each text of a page with the language of the nearest element that declares one."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(tag in ("script", "style", "title") for tag, _ in self.stack):
            lang = next((value for _, value in reversed(self.stack) if value), None)
            self.texts.append((" ".join(data.split()), lang))


def test_dutch_texts_on_english_pages_say_they_are_dutch(
    p: Participatie, client: TestClient
) -> None:
    """WCAG 2.1 SC 3.1.2 (Language of Parts): on an English page, what staff and residents
    wrote in Dutch (titles, questions, options, summaries, phases) is marked ``lang="nl"``;
    on a Dutch page nothing is marked."""

    from tests.web.helpers import open_code_poll, open_dossier

    petition = open_petition(p)
    poll, _ = open_code_poll(p)
    dossier = open_dossier(p)
    written = {
        "Groot scherm op de Grote Markt",
        "Zet een groot scherm neer voor de WK-finale.",
        "Speelplekken Paddepoel",
        "Waar moeten de twee nieuwe speelplekken komen?",
        "Kies de plekken die u goed vindt.",
        "Hoog Paddepoel",
        "Hondenbeleid 2026",
        "Conceptnota hondenbeleid",
        "Besluit van het college",
        "Er kwamen veel meer reacties dan verwacht.",
    }
    pages = [
        "/",
        f"/petitions/{petition.id}",
        f"/polls/{poll.id}",
        f"/polls/{poll.id}/vote",
        f"/dossiers/{dossier.id}",
        f"/dossiers/{dossier.id}/react",
        f"/widget/petitions/{petition.id}",
    ]
    found: set[str] = set()
    for path in pages:
        for lang, marked in (("en", "nl"), ("nl", None)):
            page = client.get(path, params={"lang": lang})
            assert page.status_code == 200, (path, page.status_code)
            parser = _Languages()
            parser.feed(page.text)
            for text, declared in parser.texts:
                if text in written:
                    found.add(text)
                    assert declared == (marked or "nl"), (path, lang, text, declared)
            if lang == "nl":
                assert ' lang="nl"' not in page.text.split("<html", 1)[1].split(">", 1)[1], path
    assert found == written, written - found
    # The built-in name of an unnamed first round is the library's, so it is translated.
    english = client.get(f"/dossiers/{dossier.id}", params={"lang": "en"}).text
    dutch = client.get(f"/dossiers/{dossier.id}", params={"lang": "nl"}).text
    assert "First round · " in english and "Eerste ronde" not in english
    assert "Eerste ronde · " in dutch


def test_a_count_takes_its_plural_form() -> None:
    """Messages about a number of things have a form per CLDR plural category, chosen by
    Babel's rules for the language: never "1 handtekeningen" or "petitie(s)"."""

    from participatie.web.i18n import Translator

    nl, en = Translator("nl"), Translator("en")
    assert [nl("petition.count", count=n) for n in (0, 1, 2)] == [
        "0 handtekeningen",
        "1 handtekening",
        "2 handtekeningen",
    ]
    assert [en("petition.count", count=n) for n in (1, 4455)] == ["1 signature", "4,455 signatures"]
    assert nl("petition.count", count=4455) == "4.455 handtekeningen"
    assert nl("backoffice.done_invalidated", count="1") == "1 handtekening is ongeldig verklaard."
    hedged = re.compile(r"\((s|en|ten|nen|brieven|ies)\)")
    for lang in ("nl", "en"):
        left = [
            key
            for key, text in catalogue(lang).items()
            if "{count}" in text and hedged.search(text)
        ]
        assert left == [], f"{lang}: {left}"


def test_gettext_extraction_finds_only_catalogued_messages() -> None:
    """The templates translate with gettext's calls (Jinja2's i18n extension), so Babel's
    extractor (``pybabel extract``) finds their messages; each is in both catalogues."""

    from babel.messages.extract import extract_from_dir

    from participatie.web.i18n import TEMPLATE_EXTENSIONS

    root = Path(__file__).resolve().parents[2] / "participatie" / "templates"
    found: set[str] = set()
    for folder in ("web", "backoffice"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / folder,
            method_map=[("**.html", "jinja2"), ("**.xml", "jinja2")],
            options_map={"**": {"extensions": ",".join(TEMPLATE_EXTENSIONS)}},
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 700
    for lang in ("nl", "en"):
        missing = sorted(k for k in found if k not in catalogue(lang))
        assert missing == [], f"{lang}: {missing}"


def test_no_message_hedges_a_plural() -> None:
    """A count picks its form ("1 reactie", "3 reacties"); no message writes
    "reactie(s)", "antwoord(en)" or "signatory(ies)" instead. A sentence with several
    counts takes each as a phrase of its own (``backoffice.n_reaction`` and the like)."""

    from participatie.web.i18n import Translator

    hedge = re.compile(r"\w\((?:s|en|n|es|ies|brieven)\)")
    for lang in ("nl", "en"):
        hedged = sorted(k for k, text in catalogue(lang).items() if hedge.search(text))
        assert hedged == [], f"{lang}: {hedged}"
    nl, en = Translator("nl"), Translator("en")
    one = nl(
        "dossier_assess.publish_button",
        answers=nl("backoffice.n_answer", count=1),
        notices=nl("backoffice.n_notice", count=1),
    )
    assert one == "1 antwoord publiceren en 1 bericht versturen"
    many = en(
        "dossier_outputs.stats_summary",
        reactions=en("backoffice.n_reaction", count=3),
        signatories=en("backoffice.n_signatory", count=1),
        on_time=2,
        late=1,
        points=en("backoffice.n_point", count=4),
        themes=en("backoffice.n_theme", count=1),
    )
    assert many == "3 reactions from 1 signatory; 2 on time, 1 late; 4 points in 1 theme."


def test_no_number_stands_before_a_fixed_plural() -> None:
    """A number written before a plural noun ("{reactions} reacties") reads "1 reacties"
    when it is 1: such a number is a plural phrase of its own (``common.n_reaction``),
    in the resident pages' and the back office's messages alike."""

    nouns = (
        "reacties|punten|onderwerpen|antwoorden|brieven|e-mails|handtekeningen|stemmen|"
        "reactions|points|topics|answers|letters|e-mails|signatures|votes"
    )
    fixed = re.compile(r"\{\w+\} (?:" + nouns + r")\b")
    for lang in ("nl", "en"):
        plural = plural_keys(lang)
        found = sorted(
            k for k, text in catalogue(lang).items() if k not in plural and fixed.search(text)
        )
        assert found == [], f"{lang}: {found}"
    from participatie.web.i18n import Translator

    nl = Translator("nl")
    one = nl(
        "dossier.result_counts",
        reactions=nl("common.n_reaction", count=1),
        themes=nl("common.n_topic", count=1),
        changes=nl("common.n_point", count=0),
    )
    said = "De gemeente kreeg 1 reactie, verdeeld over 1 onderwerp."
    assert one == said + " Het plan is op 0 punten veranderd."
