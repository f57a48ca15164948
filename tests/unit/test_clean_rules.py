"""Each rule of the clean stage's metadata reconciliation on a small snippet modelled on real pages
(tests/fixtures/clean/snippets): the headline from <title>/og:title/JSON-LD/<h1>, published and
modified with their sources, bylines from their several sources, and the structural not_article evidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsmill.clean import CleanOptions, clean
from newsmill.clean.bylines import printed_byline, reconcile_authors
from newsmill.clean.edges import trim_edges
from newsmill.clean.pagedates import Stated, modified, published_source
from newsmill.clean.pagetype import is_home_page, non_article_evidence
from newsmill.clean.repeats import drop_repeated_sections
from newsmill.clean.title import reconcile_title, site_keys, strip_site_name
from tests.unit.test_clean_html import PARAGRAPHS, html_doc

SNIPPETS = Path(__file__).resolve().parents[1] / "fixtures" / "clean" / "snippets"


def snippet(name: str) -> str:
    return (SNIPPETS / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "title", "url", "site_name", "expected"), [
    # The <h1> is the <title> without its site-name segment.
    ("title-site-suffix", "Gym Workouts for Beginners — Strength Training - Gold's Gym", None, "Gold's Gym",
     "Gym Workouts for Beginners — Strength Training"),
    # No <h1>: the segment that spells the domain is the site's name.
    ("title-domain-suffix", "Composting at Home - Green Bin Guides", "https://www.greenbinguides.com/compost",
     None, "Composting at Home"),
    # The metadata reworded the visible headline; the logo <h1> (one word, the site) is not the headline,
    # and markup inside a word does not split it.
    ("title-h1-reworded", "Using Machine Learning To Personalize Shopping Experiences", None, "Shopco",
     "How Machine Learning Personalizes Ecommerce Shopping Experiences"),
    # A pull quote in an <h1> shares one word with the title: not the headline.
    ("title-h1-unrelated", "What do people love about Rust? | Rust Blog", None, "Rust Blog",
     "What do people love about Rust?"),
    # An all-capitals <h1> is a styled label, not the headline reworded.
    ("title-h1-label", "GAAP Compliance: Applying Accounting Best Practices To Your Business", None, None,
     "GAAP Compliance: Applying Accounting Best Practices To Your Business"),
    # An <h1> that only puts a date before the og:title.
    ("title-h1-dated", "Preparing a transition in Debusine | Colin's blog", None, None,
     "Preparing a transition in Debusine"),
    # The JSON-LD headline confirms an <h1> that the <title> does not.
    ("title-jsonld-headline", "Best Health Insurance Companies 2025 - Top 25 Ranked by Market Share", None, None,
     "List of Top Health Insurance Companies in the USA: Finding the Right Coverage"),
])
def test_headline_reconciled(name: str, title: str, url: str | None, site_name: str | None, expected: str) -> None:
    assert reconcile_title(title, html=snippet(name), url=url, site_name=site_name) == expected


def test_site_name_segments_at_either_end() -> None:
    keys = site_keys("Example News", "https://www.example-news.org/world/1")
    assert strip_site_name("Example News | Talks resume", keys) == "Talks resume"
    assert strip_site_name("Talks resume - example-news.org", keys) == "Talks resume"
    # A segment that is not the site stays, and the title is never emptied.
    assert strip_site_name("Talks resume | Opinion", keys) == "Talks resume | Opinion"
    assert strip_site_name("Example News", keys) == "Example News"


def test_published_and_modified_with_their_sources() -> None:
    html = snippet("dates-published-modified")
    assert published_source(html, "2024-09-06T13:12:36+00:00") == "JSON-LD datePublished"
    assert published_source(html, "2023-01-01") is None  # htmldate found it elsewhere
    assert modified(html, "2024-09-06T13:12:36+00:00") == Stated("2025-11-14T08:00:00+00:00", "JSON-LD dateModified")


def test_modified_before_published_is_ignored() -> None:
    assert modified(snippet("dates-modified-before-published"), "2025-03-05") == \
        Stated("2025-03-07T10:00:00+00:00", "og:updated_time")


def test_clean_records_modified_and_says_where_both_came_from() -> None:
    page = (f'<html><head><title>Talks resume</title>{snippet("dates-published-modified")[12:-28]}</head>'
            f'<body><article><h1>Talks resume</h1>{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}</article>'
            "</body></html>")
    record = clean(html_doc(page, url="https://news.example.org/2024/09/06/talks"))
    assert record.published is not None and record.published.startswith("2024-09-06")
    assert record.modified == "2025-11-14T08:00:00+00:00"
    fields = record.provenance[-1].fields
    assert "JSON-LD datePublished" in fields["published"]
    assert fields["modified"] == "page metadata (JSON-LD dateModified)"


def test_byline_spelt_as_the_page_spells_it() -> None:
    # trafilatura drops the full stop of the initial; the page's rel=author link and meta keep it.
    assert reconcile_authors("Christopher S Penn", html=snippet("byline-initials")) == \
        (("Christopher S. Penn",), "trafilatura")


def test_one_word_meta_author_when_trafilatura_has_none() -> None:
    html = '<html><head><meta name="author" content="Zach"></head><body></body></html>'
    assert reconcile_authors(None, html=html) == (("Zach",), "meta author")


def test_printed_byline_block() -> None:
    assert reconcile_authors(None, html=snippet("byline-printed")) == (("Ana María Ruiz",), "printed byline")


def test_byline_markup_holding_only_a_name() -> None:
    # The author's bio says "author" in its class too, but it is a sentence, not the byline.
    assert reconcile_authors(None, html=snippet("byline-classed")) == (("Bence Kovács",), "printed byline")


def test_by_inside_a_sentence_is_no_byline() -> None:
    assert printed_byline(snippet("byline-in-sentence")) == []
    assert reconcile_authors(None, html=snippet("byline-in-sentence"))[0] == ()


@pytest.mark.parametrize(("name", "evidence"), [
    ("pagetype-shop", "add-to-cart controls"),
    ("pagetype-discussion", "comments or answers"),
    ("pagetype-home", "home page of makers.example.com"),
    # A directory of link cards: 96 % of the text is link text, no paragraph of its own.
    ("pagetype-linklist", "96% of its text is link text, with 0 characters of running prose"),
    # A shop category: a name link, a price and a rating per product.
    ("pagetype-shoplist", "it lists 33 prices, 49% of its text is link text"),
    # A chart that declares itself an ItemList, with ranks and titles but no prose.
    ("pagetype-itemlist", "declares an ItemList, with 0 characters of running prose"),
])
def test_structural_non_article_evidence(name: str, evidence: str) -> None:
    found = non_article_evidence(snippet(name))
    assert found is not None and evidence in found


@pytest.mark.parametrize("claim", [
    '<meta property="og:type" content="article">',
    '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Trail running shoes"}</script>',
])
def test_an_article_claim_outweighs_structural_evidence(claim: str) -> None:
    for name in ("pagetype-shop", "pagetype-discussion", "pagetype-home", "pagetype-linklist", "pagetype-shoplist",
                 "pagetype-itemlist"):
        html = re.sub(r'<meta property="og:type"[^>]*>', "", snippet(name))
        assert non_article_evidence(html.replace("</head>", f"{claim}</head>")) is None


@pytest.mark.parametrize("name", [
    # A short article in a template whose mega-menu makes most of the page's text link text.
    "pagetype-article-menus",
    # A buying guide: dozens of prices and a declared ItemList, but in paragraphs of running text.
    "pagetype-buying-guide",
])
def test_pages_with_running_prose_are_not_listings(name: str) -> None:
    assert non_article_evidence(snippet(name)) is None


def test_an_faq_is_not_a_discussion() -> None:
    # An FAQ's answers are the page's own text, not a discussion.
    assert non_article_evidence(snippet("pagetype-faq")) is None


def test_faq_answers_without_the_faq_are_a_discussion() -> None:
    found = non_article_evidence(snippet("pagetype-faq").replace("/FAQPage", "/WebPage"))
    assert found is not None and "comments or answers" in found


@pytest.mark.parametrize(("url", "expected"), [
    ("https://makers.example.com/", True),
    ("https://makers.example.com/?ref=nav", True),
    ("https://makers.example.com/shop/", False),
    # Templates that fill the canonical link with a site label or a percent-encoded address.
    ("https://jans-woodworking-projects-blog", False),
    ("https://blog.example.fr%2Farticles%2F2025-12-15%2BRust", False),
])
def test_home_page_needs_a_host_name(url: str, expected: bool) -> None:
    assert is_home_page(url) is expected


def test_a_dated_home_page_is_not_judged_by_its_address() -> None:
    html = snippet("pagetype-home").replace(
        "</head>", '<meta property="article:published_time" content="2025-01-02T10:00:00Z"></head>')
    assert non_article_evidence(html) is None


def test_furniture_at_the_body_edges_is_cut() -> None:
    """A reading time and a date above the first sentence and a share button below the last are cut;
    the section heading between paragraphs and the closing list stay."""
    text = clean(html_doc(snippet("body-edge-furniture"))).text or ""
    lines = text.split("\n\n")
    assert lines[0].startswith("A garden hose left outside over the winter cracks")
    assert "Store it coiled and covered" in lines
    assert lines[-3:] == ["- Drain the hose", "- Coil it loosely", "- Close the valve"]
    assert "min read" not in text and "Nov 3, 2025" not in text and "Share This Article" not in text
    kept = clean(html_doc(snippet("body-edge-furniture")), options=CleanOptions(trim_edges=False)).text or ""
    assert kept.startswith("6 min read") and kept.endswith("Share This Article")


def test_edge_trim_keeps_a_dateline_and_an_all_short_body() -> None:
    sentence = "The ministry said on Monday that the talks would resume next week in Geneva."
    assert trim_edges(["Updated", "WASHINGTON (Reuters) -", sentence, "Tags", "Diplomacy"]) == [
        "WASHINGTON (Reuters) -", sentence]
    assert trim_edges(["Short", "lines only"]) == ["Short", "lines only"]


SECTION = [
    ("Coil the drained hose loosely, without kinks, and keep it in a shed or garage where the temperature "
     "stays above freezing for most of the season, away from sharp tools and rodents."),
    ("Close the indoor shut-off valve that feeds the outdoor spigot, then open the spigot to let the last "
     "of the water run out of the pipe; leave it open until spring so that no water is trapped."),
    ("Fit an insulated cover over the spigot, tape its edges, and check it after the first hard frost, "
     "since a loose cover lets cold air reach the valve and the copper pipe behind the wall."),
]


def test_a_section_the_page_holds_twice_is_kept_once() -> None:
    """The mobile copy of a section (same paragraphs, word for word) goes; a repeated short line stays."""
    body = ["Winterizing a hose takes ten minutes.", *SECTION, "Read more", "Read more", *SECTION, "Tags"]
    assert drop_repeated_sections(body) == [
        "Winterizing a hose takes ten minutes.", *SECTION, "Read more", "Read more", "Tags"]
    # One repeated paragraph is a pull quote, not a section; a short repeated run is a refrain.
    assert drop_repeated_sections([*SECTION, SECTION[1]]) == [*SECTION, SECTION[1]]
    refrain = ["Calling g.", "Printing in g 0", "Panicking!"]
    assert drop_repeated_sections([*refrain, SECTION[0], *refrain]) == [*refrain, SECTION[0], *refrain]


def test_duplicated_layout_section_is_dropped_from_a_page() -> None:
    """The same tips in a desktop and a mobile block of one page come out once."""
    tips = "".join(f"<p>{paragraph}</p>" for paragraph in SECTION)
    page = snippet("body-edge-furniture").replace(
        "<ul>", f'<div class="tips desktop">{tips}</div><div class="tips mobile">{tips}</div><ul>')
    text = clean(html_doc(page)).text or ""
    assert text.count(SECTION[2]) == 1
    assert (clean(html_doc(page), options=CleanOptions(drop_repeats=False)).text or "").count(SECTION[2]) == 2
