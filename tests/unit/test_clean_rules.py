"""Each rule of the clean stage's metadata reconciliation on a small snippet modelled on real pages
(tests/fixtures/clean/snippets): the headline from <title>/og:title/JSON-LD/<h1>, published and
modified with their sources, bylines from their several sources, and the structural not_article evidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from trafilatura.utils import load_html

from newsmill.clean import CleanOptions, clean
from newsmill.clean.bylines import printed_byline, reconcile_authors
from newsmill.clean.container import end_of_container, locate, main_container, revise_by_structure
from newsmill.clean.edges import trim_edges
from newsmill.clean.marks import marked_lines, names_furniture
from newsmill.clean.pagedates import (
    PRINTED,
    PRINTED_REVISION,
    PRINTED_UPDATE,
    Stated,
    modified,
    publication_day,
    published_source,
)
from newsmill.clean.pagetype import is_home_page, non_article_evidence
from newsmill.clean.printeddate import PrintedDate, printed_dates, printed_publication_day
from newsmill.clean.repeats import drop_repeated_sections
from newsmill.clean.restore import restore
from newsmill.clean.title import reconcile_title, site_keys, strip_site_name
from newsmill.clean.widgets import form_boxes, widget_lines
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


def test_dates_printed_in_the_article_header() -> None:
    html = snippet("dates-printed-header")
    # Below the headline first: the labelled update, then the byline's date; then, above the headline,
    # a card's date. The menu, the comment and the sidebar are not the header.
    assert printed_dates(html) == [PrintedDate("2024-04-04", update=True), PrintedDate("2024-04-02", update=False),
                                   PrintedDate("2024-03-28", update=False)]
    assert printed_publication_day(html) == "2024-04-02"
    # A label after the date does not make it an update.
    page = ('<html><body><h1>Five books</h1><p class="date">December 3, 2025. <i>Updated: December 7</i></p>'
            "</body></html>")
    assert printed_dates(page) == [PrintedDate("2025-12-03", update=False)]
    # A <time> whose text a script fills in: its ISO datetime, milliseconds and zone included, is the date.
    page = ('<html><body><h1>Skiplagging</h1><small class="post-view__date"><time class="localised-date" '
            'datetime="2023-10-12T19:38:01.0870000Z"></time></small></body></html>')
    assert printed_dates(page) == [PrintedDate("2023-10-12", update=False)]
    # A page builder's generated classes name nothing; an element holding only a date is the date, and
    # short counts ("5 min read", "1,204 views") are not dates.
    page = ('<html><body><div class="post-hero"><div class="text-block-57">Published</div>'
            '<div class="text-block-67">October 14, 2025</div></div><h1>Top eLearning companies</h1>'
            '<div class="text-block-70">5 min read</div><div class="text-block-71">1,204 views</div></body></html>')
    assert printed_dates(page) == [PrintedDate("2025-10-14", update=False)]
    # A meta line under the headline: its date, then a separator and the reading time.
    page = ('<html><body><h1>Blockchain trends</h1><div class="meta-x1"><p class="info-tag-q2">'
            "Updated Dec 18, 2025 · 12 min read</p></div></body></html>")
    assert printed_dates(page) == [PrintedDate("2025-12-18", update=True)]
    # React splits a text run with empty comments: they are no child elements, the date stands alone.
    page = ('<html><body><header><div><p class="chakra-text css-1yexn9p">February 4, 2025<!-- --> - 11 minutes</p>'
            "<h1>Cloud computing innovations</h1></div></header></body></html>")
    assert printed_dates(page) == [PrintedDate("2025-02-04", update=False)]
    # A page builder's footer holds an <h1> ("Contact Us") before the article's: it is no headline, and the
    # news card after it is not the article's header.
    page = ('<html><body><footer class="et-l et-l--footer"><div class="et_pb_text_inner"><h1>Contact Us</h1>'
            '</div></footer><div class="et_pb_post"><span class="published">November 4, 2025</span></div>'
            + "<p>Members share news and resources.</p>" * 45
            + '<main><h1>Smart home security</h1><p class="post-meta">Nov 21, 2023</p></main></body></html>')
    assert printed_dates(page) == [PrintedDate("2023-11-21", update=False)]
    # Far below the headline, HTML5's <time pubdate> still names the publication day; it is read only
    # where the header prints no date.
    page = ('<html><body><div class="article-header"><h1>Free accounting tools</h1></div>'
            + "<p>Bookkeeping software keeps a small business in order.</p>" * 45
            + '<div class="article-body__published">Published <time pubdate datetime="2025-08-13">'
            "August 13, 2025</time></div></body></html>")
    assert printed_dates(page) == [PrintedDate("2025-08-13", update=False)]
    assert printed_dates(page.replace("<h1>Free accounting tools</h1>",
                                      '<h1>Free accounting tools</h1><p class="date">Aug 8, 2025</p>')) == \
        [PrintedDate("2025-08-08", update=False)]
    # No headline, no header to read a date from.
    assert printed_dates('<html><body><p class="date">April 2, 2024</p></body></html>') == []


def test_numeric_printed_dates_in_the_page_own_order() -> None:
    page = ('<html lang="en"><body><h1>Smart home automation</h1><div class="author"><span class="time">3/4/2025</span>'
            '</div><ul class="related"><li><span class="post-date">1/28/2025</span></li></ul></body></html>')
    # Another date in the header can only be month first (28 is no month): so is "3/4/2025".
    assert [item.day for item in printed_dates(page)] == ["2025-03-04", "2025-01-28"]
    # One that can only be day first: htmldate's reading stands.
    assert [item.day for item in printed_dates(page.replace("1/28/2025", "28/1/2025"))] == ["2025-04-03", "2025-01-28"]
    # Alone, it is read month first on a page that declares a US locale, not on one that declares none.
    alone = page.replace('<ul class="related"><li><span class="post-date">1/28/2025</span></li></ul>', "")
    assert [item.day for item in printed_dates(alone.replace('lang="en"', 'lang="en-US"'))] == ["2025-03-04"]
    assert [item.day for item in printed_dates(alone)] == ["2025-04-03"]
    assert [item.day for item in printed_dates(alone.replace('lang="en"', 'lang="en-GB"'))] == ["2025-04-03"]


def test_printed_date_wins_when_metadata_names_no_publication() -> None:
    html = snippet("dates-printed-header")
    # htmldate falls back to article:modified_time; the header prints the publication day.
    assert publication_day(html, "2024-04-04") == Stated("2024-04-02", PRINTED)
    assert publication_day(html, "2024-04-02") is None
    # A printed day the metadata states as the modification is no publication day.
    assert publication_day(html.replace("2024-04-04T13:09", "2024-04-02T13:09"), "2024-04-04") is None


def test_stated_publication_wins_over_the_modified_day() -> None:
    html = snippet("dates-modified-taken")
    assert publication_day(html, "2021-04-15") == Stated("2021-01-27", "JSON-LD datePublished")
    assert publication_day(html, "2021-01-27") is None
    # The header prints the modified day as the page's date: htmldate's choice stands.
    printed = html.replace("<h1>Home Networks and Cyber Security</h1>",
                           '<h1>Home Networks and Cyber Security</h1><time datetime="2021-04-15">April 15, 2021</time>')
    assert publication_day(printed, "2021-04-15") is None


def test_month_and_day_read_the_wrong_way_round() -> None:
    html = snippet("dates-month-day-swapped")
    assert publication_day(html, "2024-10-09") == Stated("2024-09-10", "JSON-LD datePublished")
    # A day that is neither the stated one nor its mirror is left alone.
    assert publication_day(html, "2024-10-08") is None


def test_printed_date_outranks_a_metadata_stamp() -> None:
    html = snippet("dates-metadata-stamp")
    # datePublished is not before dateModified: the CMS stamped the record when it saved it; the header's
    # date, though a day away, is the article's.
    assert publication_day(html, "2025-12-19") == Stated("2025-12-18", PRINTED)
    # An ordinary edit a week later: the metadata dates the publication, a day's difference is a zone.
    edited = html.replace('"dateModified":"2025-12-19T22:02:45.351Z"', '"dateModified":"2025-12-26T09:00:00Z"')
    assert publication_day(edited, "2025-12-19") is None


def test_printed_date_the_metadata_never_states() -> None:
    html = snippet("dates-printed-not-in-metadata")
    # The byline's date is neither the stated publication (a migration ten years earlier) nor the edit.
    assert publication_day(html, "2013-03-11") == Stated("2023-03-20", PRINTED)
    # The header labels it an update, or prints the stated day too, or it is the stated modified day:
    # the metadata stands.
    assert publication_day(html.replace("March 20, 2023</time>", "Updated March 20, 2023</time>"),
                           "2013-03-11") is None
    assert publication_day(html.replace('<span class="byline__separator">|</span>',
                                        '<span class="byline__first">March 11, 2013</span>'), "2013-03-11") is None
    assert publication_day(html.replace("2026-02-18T07:49:16", "2023-03-20T07:49:16"), "2013-03-11") is None


def test_header_revision_wins_over_schema_org_publication() -> None:
    html = snippet("dates-revision-shown")
    # Publication stated only in JSON-LD; the header prints the modification's local day (01:52 UTC is
    # the evening before in the Americas): the page shows its revision as the article's date.
    assert publication_day(html, "2024-04-10") == Stated("2025-12-15", PRINTED_REVISION)
    assert publication_day(html, "2025-12-15") is None
    # A later date the header labels an update, though the metadata does not state it, is the revision too.
    august = html.replace('datetime="2025-12-15">December 15', 'datetime="2025-08-14">Updated August 14')
    assert publication_day(august, "2024-04-10") == Stated("2025-08-14", PRINTED_REVISION)
    # An "update" before the stated publication revises nothing of it.
    march = html.replace('datetime="2025-12-15">December 15, 2025', 'datetime="2024-03-01">Updated March 1, 2024')
    assert publication_day(march, "2024-04-10") is None
    # Open Graph states the publication as well: link previews show it, and it stands.
    og = html.replace("</title>", '</title><meta property="article:published_time" content="2024-04-10T19:30:39Z">')
    assert publication_day(og, "2024-04-10") is None


def test_open_graph_publication_wins_over_a_printed_modified_day() -> None:
    html = snippet("dates-open-graph-publication")
    # htmldate took the modified day, which the header prints as an update.
    assert publication_day(html, "2025-12-31") == Stated("2025-12-08", "article:published_time")
    assert publication_day(html, "2025-12-08") is None


def test_printed_update_wins_without_publication_metadata() -> None:
    html = snippet("dates-update-only")
    # No publication metadata, a header that prints only an update: htmldate found a date in the text.
    assert publication_day(html, "2023-07-22") == Stated("2024-09-05", PRINTED_UPDATE)
    assert publication_day(html, "2024-09-05") is None


def test_clean_reports_the_printed_publication_day_and_why() -> None:
    page = snippet("dates-printed-header").replace(
        '<div class="entry-content"><p>Good espresso at home no longer needs a four-figure machine.</p></div>',
        '<div class="entry-content">' + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>")
    record = clean(html_doc(page, url="https://coffee.example.org/espresso-under-500/"))
    assert record.published == "2024-04-02"
    assert record.modified == "2024-04-04T13:09:19+00:00"
    fields = record.provenance[-1].fields
    assert fields["published"] == f"newsmill.pagedates ({PRINTED}; htmldate's day 2024-04-04)"


def test_clean_reports_the_revision_date_with_published_and_modified() -> None:
    page = snippet("dates-revision-shown").replace(
        "<p>Book early, read the fuel policy and photograph the car before you drive off.</p>",
        "".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    record = clean(html_doc(page, url="https://cars.example.org/how-to-rent-a-car/"))
    assert record.published == "2025-12-15"
    assert record.modified == "2025-12-16T01:52:13+00:00"
    fields = record.provenance[-1].fields
    assert fields["published"].startswith(f"newsmill.pagedates ({PRINTED_REVISION}; htmldate's day ")
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


def test_printed_byline_beats_metadata_the_page_never_shows() -> None:
    # The CMS account stays in meta and JSON-LD; the page prints the writer.
    assert reconcile_authors("andrew.keaveney", html=snippet("byline-stale-metadata")) == \
        (("Denise Everheart",), "printed byline")


def test_metadata_author_the_page_shows_is_kept() -> None:
    html = snippet("byline-stale-metadata").replace("<p>Meditation", "<footer>andrew.keaveney</footer><p>Meditation")
    assert reconcile_authors("andrew.keaveney", html=html) == (("andrew.keaveney",), "trafilatura")


def test_site_as_author_gives_way_to_a_named_writer() -> None:
    html = snippet("byline-site-and-writer")
    assert reconcile_authors("British Heart Foundation", html=html, site_name="British Heart Foundation") == \
        (("Tracy Parker, Dietitian",), "printed byline")
    # Without a writer named anywhere, the site stays the author (small sites print themselves).
    alone = html.replace('<p class="byline">By Tracy Parker, Dietitian</p>', "")
    assert reconcile_authors("British Heart Foundation", html=alone, site_name="British Heart Foundation") == \
        (("British Heart Foundation",), "trafilatura")


def test_site_named_among_writers_is_left_out() -> None:
    html = ('<html><head><meta property="og:site_name" content="Fastarz"></head><body><h1>Top 10 shoe companies'
            "</h1><p>Nike leads.</p></body></html>")
    assert reconcile_authors("Fastarz; Ahmet Serhan", html=html, url="https://fastarz.com/top-10") == \
        (("Ahmet Serhan",), "trafilatura")


def test_link_to_an_author_page_below_the_headline() -> None:
    # The navigation's author links come before the headline; the aside's link text is not a bare name.
    assert reconcile_authors(None, html=snippet("byline-author-link")) == (("Trevor Jackins",), "author link")
    without = snippet("byline-author-link").replace('<a href="/authors/trevor-jackins">Trevor Jackins</a>', "")
    assert reconcile_authors(None, html=without) == ((), "author markup")


def test_itemprop_author_when_nothing_else_names_one() -> None:
    assert reconcile_authors(None, html=snippet("byline-author-markup")) == (("Kiersten",), "author markup")


def test_byline_name_may_start_with_a_digit() -> None:
    html = ('<html><body><h1>How does robot vacuum mapping work?</h1><p class="meta">By 3i Global</p>'
            "<p>Lidar maps a room in one pass.</p></body></html>")
    assert reconcile_authors(None, html=html) == (("3i Global",), "printed byline")


def test_written_by_block_far_below_the_headline() -> None:
    # A long table of contents between the headline and the byline at the article's end.
    contents = "".join(f'<li><a href="#s{n}">Section {n}</a></li>' for n in range(60))
    html = (f"<html><body><h1>Why cheap SEO does not work</h1><ul>{contents}</ul><p>Cheap SEO buys links.</p>"
            '<div class="box"><p>Written by <strong>John Crenshaw</strong></p></div></body></html>')
    assert reconcile_authors(None, html=html) == (("John Crenshaw",), "printed byline")
    # A bare "By" that far down is a caption or a card, not the byline.
    assert reconcile_authors(None, html=html.replace("Written by", "By"))[0] == ()


def test_byline_with_credentials_and_contributors_label() -> None:
    html = ('<html><body><h1>A guide to retirement calculators</h1><div class="meta">By <a href="/p/cp">Charles '
            'Patterson</a>, WCI Columnist</div><p>Calculators need honest inputs.</p></body></html>')
    assert reconcile_authors(None, html=html) == (("Charles Patterson, WCI",), "printed byline")
    html = ('<html><body><h1>14 low-light houseplants</h1><div class="tags"><strong>Contributors:</strong> '
            "Janet Loughrey</div><p>Snake plants tolerate shade.</p></body></html>")
    assert reconcile_authors(None, html=html) == (("Janet Loughrey",), "printed byline")


def test_first_author_classed_element_that_is_a_name() -> None:
    html = ('<html><body><h1>SEO tips for mental health professionals</h1>'
            '<p class="author-note">Our authors are practitioners; an editor reviews every claim.</p>'
            '<div class="blog_author-box"><span class="author-name">Lauren Vetter</span></div>'
            "<p>Start with the pages patients read.</p></body></html>")
    assert reconcile_authors(None, html=html) == (("Lauren Vetter",), "printed byline")


def test_dated_byline_above_the_headline() -> None:
    html = ('<html><body><nav><a href="/courses">Garden Courses</a></nav><div class="publish-meta">'
            "<span>Published August 7, 2023</span> <span>by Nicole Burke</span></div>"
            "<h1>Gardenary planting vs. ordinary planting</h1><p>Plant densely and in blocks.</p></body></html>")
    assert reconcile_authors(None, html=html) == (("Nicole Burke",), "printed byline")
    # Below the headline a dated line naming more than a name ("4 Comments") is not taken for one.
    below = ("<html><body><h1>12 DIY woodworking projects</h1><p>December 3, 2024 by Erin Spain 4 Comments</p>"
             "<p>Start with a cutting board.</p></body></html>")
    assert reconcile_authors(None, html=below)[0] == ()


def test_a_name_printed_only_in_the_comments_is_a_commenter() -> None:
    html = snippet("byline-commenter")
    assert reconcile_authors("Fullysecret1dbb6551f4", html=html)[0] == ()
    # The same name printed in the article's own byline is the writer.
    bylined = html.replace('<div class="entry-content">', '<p class="byline">fullysecret1dbb6551f4</p>'
                                                          '<div class="entry-content">')
    assert reconcile_authors("Fullysecret1dbb6551f4", html=bylined) == (("Fullysecret1dbb6551f4",), "trafilatura")


def test_byline_separated_by_a_bullet() -> None:
    html = ('<html><head><meta property="og:site_name" content="One Tree Planted"></head><body>'
            '<h1 class="article-title">How to reduce waste</h1><div class="my-meta"><span><a href="/search?q=MW">'
            "by Meaghan Weeden</a></span> ● <span>December 23, 2025</span> ● <span>6 min read</span></div>"
            "<p>Start with what you throw away most.</p></body></html>")
    assert reconcile_authors("One Tree Planted", html=html, site_name="One Tree Planted") == \
        (("Meaghan Weeden",), "printed byline")


def test_a_page_wide_comments_class_does_not_make_everyone_a_commenter() -> None:
    html = snippet("byline-commenter").replace("<body>", '<body class="single comments-open">')
    bylined = html.replace('<div class="entry-content">', '<p class="meta-item">fullysecret1dbb6551f4</p>'
                                                          '<div class="entry-content">')
    assert reconcile_authors("Fullysecret1dbb6551f4", html=bylined) == (("Fullysecret1dbb6551f4",), "trafilatura")


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


AFTER_CONTAINER_BODY = [
    "Modern cold-climate heat pumps keep heating homes efficiently well below freezing, and in most of the "
    "northern United States they now cost less to run than an oil or propane furnace over a full winter.",
    "The savings depend on the local price of electricity, on how well the house is insulated and on the size "
    "of the unit, so an installer should run a load calculation before quoting a system.",
    "What the numbers say",
    "In a typical 2,000 square foot home, a heat pump replacing an oil furnace saves between $500 and $1,500 a "
    "year, and federal and state rebates can cover a large share of the installation cost.",
    "Homes heated with natural gas save less, and in regions where gas is cheap the payback period can stretch "
    "beyond ten years unless the old air conditioner also needs replacing.",
    "Before you buy",
    "Ask for a quote that names the model, its rated capacity at five degrees Fahrenheit and the backup heat it "
    "relies on during the coldest nights, and compare at least three installers.",
    "Check whether the utility offers a lower winter rate for homes heated electrically, since that rate alone "
    "can decide whether the switch pays for itself within the life of the equipment.",
    "Further reading",
    "- U.S. Department of Energy, “Cold Climate Heat Pump Challenge,” 2024.",
    "- Northeast Energy Efficiency Partnerships, “Cold Climate Air Source Heat Pump List,” 2025.",
]
AFTER_CONTAINER_FURNITURE = [
    "Plug in for monthly energy-saving tips, climate news, sustainability trends and much more, delivered to "
    "your inbox.",
    "Related articles",
    "Best solar panels in 2026: which one should you choose for your roof?",
    "Written by Emily Walker",
    "Congress ended the residential solar tax credit, and these states should go solar now",
    "Written by Casey McDevitt",
]


def test_lines_after_the_article_container_are_cut() -> None:
    """A signup band and related-article cards after the element that holds the article go; the
    article's own closing list (its references) stays."""
    tree = load_html(snippet("body-after-container"))
    body = [*AFTER_CONTAINER_BODY, *AFTER_CONTAINER_FURNITURE]
    elements = locate(tree, body)
    assert all(element is not None for element in elements)
    container = main_container(body, elements)
    assert container is not None and container.get("class") == "rich-text"
    assert end_of_container(elements, container) == len(AFTER_CONTAINER_BODY)
    assert revise_by_structure(body, tree) == AFTER_CONTAINER_BODY
    # A line the page does not show (text trafilatura made up, or markup it rewrote) ends the cut (the
    # boxes named "signup" and "related" are another rule's).
    assert revise_by_structure([*body[:-1], "Zz zz zz zz", body[-1]], tree, marked=False) == \
        [*body[:-1], "Zz zz zz zz"]
    # Without a parsed page nothing is cut.
    assert revise_by_structure(body, None) == body


def test_a_heading_repeated_above_is_located_in_reading_order() -> None:
    """The same words earlier on the page (a table of contents) do not pull a later line out of the article."""
    page = snippet("body-after-container").replace(
        '<div class="page">', '<nav class="toc"><a href="#n">What the numbers say</a></nav><div class="page">')
    tree = load_html(page)
    elements = locate(tree, AFTER_CONTAINER_BODY)
    assert elements[2] is not None and elements[2].tag == "h2"
    assert revise_by_structure(AFTER_CONTAINER_BODY[:3], tree, restore_left_out=False) == AFTER_CONTAINER_BODY[:3]


WIDGET_BODY = [
    "Living in a tiny house sounds romantic until the first winter, when condensation gathers on every window "
    "and the composting toilet needs emptying twice as often as the brochure promised.",
    "Storage is the second surprise: every object has to earn its place, and a single hobby with bulky "
    "equipment can take over the loft that was meant for guests.",
    "Parking is the hardest part",
    "Most towns do not allow people to live full time in a house on wheels, so owners end up renting a corner "
    "of a farm or a back yard, often without a written agreement.",
    "Before buying, call the zoning office of the county you want to live in and ask which rules apply to "
    "accessory dwellings and to recreational vehicles.",
]
WIDGET_LINES = [
    "Discover more from Small Home Journal",
    "Subscribe to get the latest posts sent to your email.",
    "Republish this article",
    "This work is licensed under a Creative Commons Attribution-NoDerivatives 4.0 International License, so you "
    "may copy it freely.",
]


def test_lines_of_a_signup_box_and_a_dialog_are_dropped() -> None:
    """The heading and pitch next to an e-mail field inside the article, and a modal after it, go; the
    article's lines stay although the whole page sits in one ASP.NET-style <form>."""
    tree = load_html(snippet("body-widgets"))
    body = [*WIDGET_BODY, *WIDGET_LINES]
    elements = locate(tree, body)
    container = main_container(body, elements)
    assert container is not None and container.get("class") == "entry-content"
    assert widget_lines(tree, elements, container) == {5, 6, 7, 8}
    assert revise_by_structure(body, tree, after_container=False, marked=False) == WIDGET_BODY
    assert revise_by_structure(body, tree, after_container=False, widgets=False, marked=False) == body


def test_a_box_is_only_as_large_as_a_signup_block() -> None:
    """A paragraph of the article next to a text field (a calculator's input) is not the field's box."""
    paragraph = ("Enter the length of your trailer below to see how much a year of parking costs in each of the "
                 "twelve states we surveyed, from rural Maine, where a farm corner rents for less than a hundred "
                 "dollars a month, to coastal California, where the same space can cost ten times as much, "
                 "before utilities, insurance and the deposit most landowners ask for.")
    page = snippet("body-widgets").replace('<div class="wp-block-group subscribe-box">',
                                           f'<div class="calculator"><p>{paragraph}</p><input type="text"></div><div>')
    tree = load_html(page)
    body = [*WIDGET_BODY, paragraph]
    elements = locate(tree, body)
    container = main_container(body, elements)
    # The field alone, and the (now classless) signup block as before.
    assert sorted(box.get("class") or box.tag for box in form_boxes(tree, container)) == ["div", "input"]
    assert widget_lines(tree, elements, container) == set()


def test_paragraphs_left_out_of_the_container_are_put_back_in_order() -> None:
    """Paragraphs of the article that trafilatura dropped (their accordion panel's class said "expand")
    come back at their place, being marked up like the paragraphs it kept; the panel's headings do not."""
    tree = load_html(snippet("body-after-container").replace(
        "<h2>What the numbers say</h2>",
        '</div><div class="expand-panel"><div class="rich-text"><h2>What the numbers say</h2>').replace(
        "<h2>Further reading</h2>", '</div></div><div class="rich-text"><h2>Further reading</h2>'))
    kept = [line for index, line in enumerate(AFTER_CONTAINER_BODY) if index not in range(2, 8)]
    elements = locate(tree, kept)
    container = main_container(kept, elements)
    restored, restored_elements = restore(kept, elements, container)
    assert restored == [line for index, line in enumerate(AFTER_CONTAINER_BODY) if index not in {2, 5}]
    assert [element.tag for element in restored_elements[2:6]] == ["p", "p", "p", "p"]
    # A body that already holds most of its container's text is left alone.
    assert restore(AFTER_CONTAINER_BODY, locate(tree, AFTER_CONTAINER_BODY), container)[0] == AFTER_CONTAINER_BODY
    # A paragraph marked up unlike any kept one (a reader's comment in the same container) stays out.
    comment = ("Great article, we switched from oil to a heat pump last year and our bills went down by half "
               "even in January, although the installer had to add a second indoor unit upstairs.")
    tree = load_html(snippet("body-after-container").replace(
        "<h2>What the numbers say</h2>",
        '</div><div class="expand-panel"><div class="rich-text"><h2>What the numbers say</h2>').replace(
        "<h2>Further reading</h2>", '</div></div><div class="rich-text"><h2>Further reading</h2>').replace(
        "</ol>", f'</ol><div class="comment-text"><p>{comment}</p></div>'))
    kept = [line for index, line in enumerate(AFTER_CONTAINER_BODY) if index not in range(2, 8)]
    elements = locate(tree, kept)
    restored = restore(kept, elements, main_container(kept, elements))[0]
    assert comment not in restored and AFTER_CONTAINER_BODY[3] in restored


MARKED_BODY = [
    "A trail shoe has three jobs a road shoe does not: it has to grip loose dirt and wet rock, protect the foot "
    "from roots and stones, and keep its shape when the ground tilts under it.",
    "Start with the lugs. Deep, widely spaced lugs shed mud and bite into soft ground, while shallow ones feel "
    "smoother on hard-packed fire roads and on the pavement between trailheads.",
    "Fit matters more than any feature. Your foot swells over a long run, so try shoes on in the afternoon and "
    "leave a thumb's width of room in front of the longest toe.",
    "Finally, think about the rock plate. A thin plate under the forefoot spreads the pressure of a sharp stone, "
    "at the price of some feel for the ground beneath you.",
]
MARKED_DISCLOSURE = "We may earn a commission when you buy through the links on this page, at no cost to you."
MARKED_RELATED = ["Related reading", "- The best trail running socks, tested over a muddy winter"]
MARKED_BIO = ("Dana Whitfield has run ultramarathons on four continents and reviews trail gear for Ridge Runner "
              "Review.")


@pytest.mark.parametrize(("classes", "expected"), [
    ("disclaimer", True), ("contentAdvertiserDisclosure", True), ("related-posts popular", True),
    ("author-bio", True), ("call-to-action", True), ("kg-cta-text", True), ("newsletter_inline", True),
    ("follow-social", True), ("premium-content-logged-out-view", True), ("copyright", True),
    # Words inside other words, and slugs of the text a block holds, are no marks.
    ("shared-content", False), ("ctaylor-gallery", False), ("entry-content", False),
    ("more-on-fit-and-sizing-related-shoe-text", False),
])
def test_class_names_that_name_furniture(classes: str, expected: bool) -> None:
    assert names_furniture(load_html(f'<html><body><div class="{classes}">x</div></body></html>').find(".//div")) \
        is expected


def test_lines_of_boxes_named_as_furniture_are_dropped() -> None:
    """A disclosure beside the article, a related-posts box and an author bio inside it go; a text block
    whose id is a slug of its heading stays, and so does the page-wide class on <body>."""
    tree = load_html(snippet("body-marked-boxes"))
    body = [MARKED_DISCLOSURE, *MARKED_BODY[:2], *MARKED_RELATED, *MARKED_BODY[2:], MARKED_BIO]
    elements = locate(tree, body)
    container = main_container(body, elements)
    assert container is not None and container.get("class") == "entry-content"
    assert marked_lines(body, elements, container) == {0, 3, 4, 7}
    assert revise_by_structure(body, tree, restore_left_out=False) == MARKED_BODY
    assert revise_by_structure(body, tree, restore_left_out=False, marked=False) == body
    # A marked box that holds a large share of the body is what the page is about.
    short = [MARKED_BODY[0], MARKED_BIO]
    assert marked_lines(short, locate(tree, short), container) == set()


def test_a_large_box_counts_beside_the_container_only() -> None:
    """Beside the article a disclosure band is furniture whatever its length; inside the container a
    block that large is a section of the article."""
    terms = "<p>" + " ".join(["Offers and rates are subject to change without notice."] * 30) + "</p>"
    page = snippet("body-marked-boxes").replace("at no cost to you.</p>", f"at no cost to you.</p>{terms}")
    tree = load_html(page)
    body = [MARKED_DISCLOSURE, *MARKED_BODY]
    elements = locate(tree, body)
    container = main_container(body, elements)
    assert marked_lines(body, elements, container) == {0}
    inside = snippet("body-marked-boxes").replace('<div class="author-bio">', f'<div class="author-bio">{terms}')
    tree = load_html(inside)
    body = [*MARKED_BODY, MARKED_BIO]
    elements = locate(tree, body)
    assert marked_lines(body, elements, main_container(body, elements)) == set()

