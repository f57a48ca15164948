"""Pages that declare themselves products, shop listings or forum threads are dropped as not_article;
pages with any article type, or with no declaration, are judged by their text as before."""

from __future__ import annotations

import json

import pytest

from newsmill.clean import CleanOptions, clean
from newsmill.clean.pagetype import non_article_evidence
from newsmill.clean.structured import json_ld_types, og_type
from newsmill.errors import Drop
from tests.unit.test_clean_html import PARAGRAPHS, fixture_doc, html_doc

BODY = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)


def page(*, json_ld: object | str | None = None, og: str | None = None) -> str:
    head = "<title>Talks to resume in Geneva</title>"
    if og is not None:
        head += f'<meta property="og:type" content="{og}">'
    if json_ld is not None:
        block = json_ld if isinstance(json_ld, str) else json.dumps(json_ld)
        head += f'<script type="application/ld+json">{block}</script>'
    return f"<html><head>{head}</head><body><article><h1>Talks to resume in Geneva</h1>{BODY}</article></body></html>"


@pytest.mark.parametrize(("name", "url", "declared"), [
    ("0582", "https://shop.bombas.com/products/mens-quarter-socks", "product"),
    ("0545", "https://discussion.evernote.com/forums/topic/150745-new-ui-2024/", "discussionforumposting"),
])
def test_real_product_and_forum_pages_are_not_articles(name: str, url: str, declared: str) -> None:
    """Saved real pages (WCXB) that trafilatura would otherwise turn into an "article"."""
    with pytest.raises(Drop) as caught:
        clean(fixture_doc(name, url))
    assert caught.value.reason == "not_article"
    assert declared in caught.value.message
    # Without the rule the same pages come out as articles: the rule is what drops them.
    record = clean(fixture_doc(name, url), options=CleanOptions(drop_non_articles=False))
    assert record.text


@pytest.mark.parametrize("json_ld", [
    {"@context": "https://schema.org", "@type": "Product", "name": "Socks", "offers": {"@type": "Offer"}},
    {"@context": "https://schema.org", "@graph": [{"@type": "WebPage"},
                                                  {"@type": ["ProductGroup"], "offers": {"@type": "Offer"}}]},
    [{"@type": "BreadcrumbList"}, {"@type": "http://schema.org/DiscussionForumPosting"}],
    {"@type": "schema:QAPage"},
    # A forum thread as the WebPage's main entity.
    {"@type": "WebPage", "mainEntity": {"@type": "DiscussionForumPosting", "headline": "Thread"}},
    # A shop page with customer reviews is still a shop page.
    {"@type": "Product", "offers": {"@type": "Offer"}, "review": [{"@type": "Review"}, {"@type": "Review"}]},
    # Broken JSON (a trailing comma) is still read for its @type.
    '{"@context": "https://schema.org", "@type": "Product", "offers": {"@type": "Offer"},}',
])
def test_declared_non_article_types_drop_the_page(json_ld: object) -> None:
    with pytest.raises(Drop) as caught:
        clean(html_doc(page(json_ld=json_ld), url="https://example.org/item"))
    assert caught.value.reason == "not_article"


@pytest.mark.parametrize("og", ["product", "product.group", "ebay-objects:item"])
def test_product_og_type_drops_the_page(og: str) -> None:
    with pytest.raises(Drop) as caught:
        clean(html_doc(page(og=og), url="https://example.org/item"))
    assert caught.value.reason == "not_article"
    assert "og:type" in caught.value.message


@pytest.mark.parametrize(("json_ld", "og"), [
    # A product review: the Product sits inside the article.
    ({"@type": "NewsArticle", "headline": "Review", "about": {"@type": "Product", "name": "Phone"}}, None),
    ({"@graph": [{"@type": "Product"}, {"@type": "BlogPosting"}]}, None),
    ({"@type": "Product"}, "article"),
    # An offer alone (a course, an event ticket) says nothing about the page being a shop.
    ({"@type": ["Course"], "offers": {"@type": "Offer", "price": "0"}}, "website"),
    (None, "website"),
    (None, None),
    # A product review marked up as search engines recommend: a Product, nothing for sale, a Review in it.
    ({"@type": "Product", "name": "Phone", "review": {"@type": "Review", "author": {"@type": "Person"}}},
     "website"),
    ({"@type": "Review", "itemReviewed": {"@type": "Product", "offers": {"@type": "Offer"}}}, None),
    # Products nested in something else (an article's affiliate box) say nothing about the page.
    ({"@type": "ItemList", "itemListElement": [{"@type": "Product", "offers": {"@type": "Offer"}}]}, None),
])
def test_articles_and_undeclared_pages_are_kept(json_ld: object | None, og: str | None) -> None:
    record = clean(html_doc(page(json_ld=json_ld, og=og), url="https://example.org/story"))
    assert record.title == "Talks to resume in Geneva"
    assert record.text and record.text.startswith("The ministry said on Monday")


def test_types_are_read_from_every_block_and_nesting_level() -> None:
    html = page(json_ld={"@type": "WebPage", "mainEntity": {"@type": ["Thing", "https://schema.org/Product"]}}) \
        + '<script type="application/ld+json">{"@type": "Organization"}</script>'
    assert json_ld_types(html) == {"webpage", "thing", "product", "organization"}
    assert og_type('<meta content="Product.Item" property="og:type">') == "product.item"
    assert non_article_evidence(page()) is None


def test_microdata_article_type_keeps_the_page() -> None:
    """An article typed only by microdata, with a shop widget's Product in JSON-LD."""
    html = page(json_ld={"@type": "Product", "offers": {"@type": "Offer"}}).replace(
        "<article>", '<article itemscope itemtype="https://schema.org/NewsArticle">')
    assert non_article_evidence(html) is None


def test_pathological_json_ld_does_not_fail_the_article() -> None:
    deep = '{"@type": "NewsArticle", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert non_article_evidence(page(json_ld=deep)) is None
    record = clean(html_doc(page(json_ld=deep), url="https://example.org/deep"))
    assert record.text
