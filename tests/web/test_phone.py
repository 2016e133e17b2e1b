"""On a phone (360 px wide, Chromium): the charts a resident sees stay readable (no text
smaller than 12 px, nothing outside the screen, no sideways scrolling), and the petition
widget at the size the docs suggest (an iframe of 320 × 200) shows its whole button."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.polls.schemas import BallotIn
from participatie.testing import make_participatie
from participatie.web import create_app
from tests.web.browser import audit, describe, serve
from tests.web.helpers import open_code_poll, open_petition
from tests.web.whole_site import WholeSite, build

#: The neighbourhood site's page is served on the app's own origin (Chromium refuses a
#: frame from a loopback server inside a page of another origin), so the widget is
#: allowed to be framed by 'self' here; ``test_widget.py`` checks the framing policy.
HOST_PATH = "/wijkkrant"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "web" / "index.md"
LONG_OPTION = "Speeltuin achter het wijkcentrum aan de Pleiadenlaan, bij de school"


@dataclass
class Site:
    p: Participatie
    base: str
    whole: WholeSite


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    p = make_participatie(f"sqlite:///{tmp_path / 'phone.db'}")
    p.create_all()
    try:
        whole = build(p, tmp_path)
        with serve(create_app(p, frame_ancestors=["'self'"])) as base:
            yield Site(p=p, base=base, whole=whole)
    finally:
        p.dispose()


MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const texts = [];
  for (const svg of document.querySelectorAll('svg.participatie-chart')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      texts.push({text: t.textContent, left: r.left, right: r.right,
                  px: parseFloat(getComputedStyle(t).fontSize) * scale});
    }
  }
  return {width, scroll: document.documentElement.scrollWidth, texts};
}"""


def readable(page: Any, url: str, charts: int) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert page.locator("svg.participatie-chart").count() == charts, url
    seen = page.evaluate(MEASURE)
    assert seen["width"] == 360
    assert seen["scroll"] <= seen["width"], f"{url}: the page scrolls sideways"
    assert seen["texts"], url
    for text in seen["texts"]:
        assert text["px"] >= 12, f"{url}: {text['text']!r} is {text['px']:.1f} px"
        assert text["left"] >= 0 and text["right"] <= seen["width"], f"{url}: {text}"
    violations = audit(page)
    assert violations == [], describe(violations)


def test_charts_stay_readable_at_360_px(site: Site, phone: Any) -> None:
    p = site.p
    poll, codes = open_code_poll(
        p,
        title="Nieuwe speelplek",
        households=4,
        options=[{"name": LONG_OPTION}, {"name": "Ecozone"}, {"name": "Siriusstraat"}],
    )
    ballots = ([LONG_OPTION], [LONG_OPTION, "Ecozone"], ["Ecozone"])
    for code, choices in zip(codes, ballots, strict=False):
        p.polls.cast(poll.id, BallotIn(choices=choices), code=code)
    p.polls.close(poll.id, actor="projectleider")
    p.polls.publish(poll.id, actor="projectleider")

    for lang in ("nl", "en"):
        readable(phone, f"{site.base}/polls/{poll.id}/result?lang={lang}", 1)
        readable(phone, f"{site.base}/polls/{site.whole.ended.id}/result?lang={lang}", 1)
        readable(phone, f"{site.base}/petitions/{site.whole.answered.id}?lang={lang}", 1)
        readable(phone, f"{site.base}/dossiers/{site.whole.dossier.id}/result?lang={lang}", 1)
    # The whole name is in the table below the chart; the chart shortens it with "…".
    phone.goto(f"{site.base}/polls/{poll.id}/result")
    assert phone.locator("table", has_text=LONG_OPTION).count() == 1


def suggested_size() -> tuple[int, int]:
    """The petition widget's iframe size as the docs suggest it."""

    text = DOCS.read_text(encoding="utf-8")
    found = re.search(
        r'widget/petitions/[^"]*"\s+title="[^"]*"\s+width="(\d+)" height="(\d+)"', text
    )
    assert found, "the docs suggest no size for the petition widget"
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("title", ["short", "longest"])
def test_widget_at_the_suggested_size_shows_its_button(
    site: Site, phone: Any, lang: str, title: str
) -> None:
    width, height = suggested_size()
    petition = site.whole.petition
    if title == "longest":
        words = "Een veilige oversteek voor fietsers en voetgangers bij de school "
        petition = open_petition(
            site.p, title=(words * 4)[:200].strip(), creator_email="lang@example.nl"
        )
    src = f"{site.base}/widget/petitions/{petition.id}?lang={lang}"
    host = (
        '<!DOCTYPE html><html lang="nl"><head><title>Wijkkrant</title></head><body>'
        f'<iframe src="{src}" title="Petitie: teken ook" width="{width}" height="{height}">'
        "</iframe></body></html>"
    )
    phone.route(
        site.base + HOST_PATH,
        lambda route: route.fulfill(status=200, content_type="text/html", body=host),
    )
    phone.goto(site.base + HOST_PATH)
    frame = phone.frame_locator("iframe")
    button = frame.locator("a.utrecht-button")
    button.wait_for()
    inner = button.evaluate(
        """b => { const r = b.getBoundingClientRect();
                  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                          width: window.innerWidth, height: window.innerHeight,
                          scrolled: document.scrollingElement.scrollTop}; }"""
    )
    assert inner["scrolled"] == 0
    assert inner["top"] >= 0 and inner["bottom"] <= inner["height"], inner
    assert inner["left"] >= 0 and inner["right"] <= inner["width"], inner
    # The whole title stays in the page for screen readers, even when shown shortened.
    heading = frame.locator("h1").text_content() or ""
    assert " ".join(heading.split()) == " ".join(petition.title.split())
