"""Does the page say it is something other than an article? Only its own structured data decides.

trafilatura extracts *some* text from nearly every page, so a product page, a shop category or a
forum thread otherwise comes out ``ok`` with its specifications or posts as the "article". Layout
heuristics (URL paths such as ``/collection/``, many ``<time>`` elements) catch more of them, but on
the WCXB development split they also drop about 1 % of real articles, and a lost article is worse
than a stray product page. What a page declares about itself is far safer: a schema.org JSON-LD
type such as ``Product`` or ``DiscussionForumPosting``, or an ``og:type`` of ``product``, with no
article type anywhere on the page. Measured with ``python bench/page_types.py``: 0 of 792 articles
dropped, 32 of 150 other pages caught (products, forums, shop collections).

Four more kinds of evidence are structural and count only on a page that makes no article claim
(no article type in JSON-LD or microdata, no ``og:type`` of ``article``; the site's home page also no
publication time in its metadata):

- shop controls: two or more add-to-cart controls or cart forms (``add-to-cart`` classes, ``/cart/add``
  actions, ``Add to bag`` buttons). An article that links to products links out; it does not sell.
- a discussion: two or more microdata ``Comment`` or ``Answer`` items and no article they comment on.
  The answers of a page marked up as an ``FAQPage`` are its own text, not a discussion.
- the site's home page: the page's canonical address (``<link rel=canonical>`` or ``og:url``) has no
  path. A home page lists articles; it is not one. The address the page was fetched from is not used:
  a redirect or a test server can serve an article at ``/``; nor is a canonical address whose host is
  no host name (``https://my-blog``, a percent-encoded whole address), which templates emit on articles.
- a listing: a page whose visible text is at least half link text and that has hardly any running
  prose (paragraphs of 150+ characters outside links and page chrome: under 400 characters, or under
  6 % of a long page); a page whose JSON-LD says it is an ``ItemList`` and has as little prose; a page
  with 30 or more prices and at least 45 % link text (a shop category). Articles in link-heavy
  templates still write paragraphs, and buying guides quote their prices in running text.

Together on the WCXB dev split they catch 44 more other pages (76 of 150 in all) and drop none of 792
articles (by half: even 40 of 78, odd 36 of 72).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from newsmill.clean.structured import ARTICLE_TYPES, json_ld_top_types, json_ld_types, microdata_types, og_type
from newsmill.clean.tree import UNSEEN_TAGS

# Types that mean "this page is a product, a shop listing or a discussion", when a page declares one as
# what it describes (top level), not nested in something else. ``Offer`` alone is not among them:
# course and event pages carry offers too.
NON_ARTICLE_TYPES = frozenset({
    "product", "productgroup", "aggregateoffer", "discussionforumposting", "qapage", "collectionpage",
    "searchresultspage",
})
NON_ARTICLE_OG_PREFIXES = ("product", "ebay-objects")
_PRODUCT_TYPES = frozenset({"product", "productgroup"})
_OFFER_TYPES = frozenset({"offer", "aggregateoffer"})
# Matched against the lower-cased page, without IGNORECASE: a pattern that starts with a literal is
# searched for that literal first, which IGNORECASE prevents (4 ms a page against 0.5).
_SHOP_CONTROL = re.compile(r"add(?:[-_ ]?to[-_ ]?(?:cart|basket|bag)|tocart)")
_CART_FORM = "/cart/add"
_DISCUSSION_ITEM = re.compile(r'itemtype\s*=\s*["\'][^"\']*/(?:comment|answer)["\']')
_MIN_SHOP_CONTROLS = 2
_FAQ_PAGE = re.compile(r'itemtype\s*=\s*["\'][^"\']*/faqpage["\']|"@type"\s*:\s*"faqpage"')
_MIN_DISCUSSION_ITEMS = 2
_CANONICAL = (
    re.compile(r'<link[^>]+rel=["\']canonical["\'][^>]*?href=["\']([^"\']+)["\']', re.IGNORECASE),
    re.compile(r'<link[^>]+href=["\']([^"\']+)["\'][^>]*?rel=["\']canonical["\']', re.IGNORECASE),
    re.compile(r'<meta[^>]+property=["\']og:url["\'][^>]*?content=["\']([^"\']+)["\']', re.IGNORECASE),
)
_PUBLISHED_META = re.compile(r'article:published_time|"datePublished"|itemprop=["\']datePublished', re.IGNORECASE)


def _canonical_url(html: str) -> str | None:
    for pattern in _CANONICAL:
        match = pattern.search(html)
        if match:
            return match.group(1)
    return None


# A host name as DNS spells it: dot-separated labels of letters, digits and hyphens (IDNA included).
_HOST_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]*[a-z][a-z0-9-]*", re.IGNORECASE)


def is_home_page(url: str | None) -> bool:
    """Whether ``url`` is a site's root (``https://example.org/``, query strings aside).

    A canonical address whose host is no host name says nothing: CMS templates fill it with a site
    label (``https://my-blog``) or with the whole address percent-encoded (``https://host%2Fposts%2F1``),
    which leaves the path empty on a page that is an article."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return False
    parts = urlsplit(url)
    return bool(parts.hostname and _HOST_NAME.fullmatch(parts.hostname)) and parts.path in ("", "/")


# Running prose: a paragraph of at least this many characters, at most this share of them link text.
_PROSE_PARAGRAPH_CHARS = 150
_PROSE_MAX_LINK_SHARE = 0.3
# Page chrome and link cards: paragraphs there are not the page's running text.
_NOT_PROSE_ANCESTORS = frozenset({"a", "nav", "header", "footer", "aside", "form", "button"})
_PRICE = re.compile(r"[$£€¥]\s?\d[\d,]*(?:\.\d\d)?|\d[\d,]*(?:[.,]\d\d)?\s?(?:€|USD|EUR|GBP)\b")
# A page whose visible text is mostly link text and that has hardly any running prose is a list of
# links (a category, a chart, a search result, a directory): an article, even a short one or one in a
# link-heavy template, has a few paragraphs of its own.
# "Hardly any": fewer characters than a short paragraph or two, or under a small share of a long page
# whose menus and link cards run to tens of thousands of characters.
_LINK_LIST_SHARE = 0.5
_LINK_LIST_MAX_PROSE = 400
_LINK_LIST_MAX_PROSE_SHARE = 0.06
_MIN_PAGE_CHARS = 1000
# A shop's category page: prices by the dozen among product links. Buying guides quote many prices
# too, but in running text, so link text stays well under this share of theirs.
_SHOP_LIST_PRICES = 30
_SHOP_LIST_LINK_SHARE = 0.45


@dataclass(frozen=True)
class TextProfile:
    """How a page's visible text divides into link text and running prose."""

    chars: int
    link_chars: int
    prose_chars: int
    prices: int

    @property
    def link_share(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0


def _squashed_len(element: etree._Element) -> int:
    return len(" ".join(element.text_content().split()))


def text_profile(html: str) -> TextProfile | None:
    """The page's :class:`TextProfile`; None when it does not parse or has no body."""
    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    body = root.find("body")
    if body is None:
        return None
    for unseen in list(body.iter(*UNSEEN_TAGS)):  # a list: dropping while iterating skips elements
        unseen.drop_tree()
    text = " ".join(body.text_content().split())
    link_chars = sum(_squashed_len(link) for link in body.iter("a"))
    prose = 0
    for paragraph in body.iter("p"):
        chars = _squashed_len(paragraph)
        if chars < _PROSE_PARAGRAPH_CHARS or any(a.tag in _NOT_PROSE_ANCESTORS for a in paragraph.iterancestors()):
            continue
        if sum(_squashed_len(link) for link in paragraph.iter("a")) < _PROSE_MAX_LINK_SHARE * chars:
            prose += chars
    return TextProfile(len(text), link_chars, prose, len(_PRICE.findall(text)))


def _listing_evidence(html: str) -> str | None:
    """A page made of links (and prices) rather than prose; only for pages that make no article claim."""
    profile = text_profile(html)
    if profile is None or profile.chars < _MIN_PAGE_CHARS:
        return None
    share = f"{profile.link_share:.0%} of its text is link text"
    little_prose = profile.prose_chars < max(_LINK_LIST_MAX_PROSE, _LINK_LIST_MAX_PROSE_SHARE * profile.chars)
    if profile.link_share >= _LINK_LIST_SHARE and little_prose:
        return f"{share}, with {profile.prose_chars} characters of running prose, and it declares no article"
    # A page that calls itself a list (JSON-LD ItemList as what it describes) and has no prose to go with
    # it: a chart or a ranking. A review roundup declares an ItemList too, but writes paragraphs.
    if little_prose and "itemlist" in json_ld_top_types(html):
        return f"its JSON-LD declares an ItemList, with {profile.prose_chars} characters of running prose"
    if profile.prices >= _SHOP_LIST_PRICES and profile.link_share >= _SHOP_LIST_LINK_SHARE:
        return f"it lists {profile.prices} prices, {share}, and it declares no article"
    return None


def _structural_evidence(html: str) -> str | None:
    """Evidence from the page's markup and address, for pages that make no article claim."""
    lowered = html.lower()
    controls = len(_SHOP_CONTROL.findall(lowered)) + lowered.count(_CART_FORM)
    if controls >= _MIN_SHOP_CONTROLS:
        return f"it has {controls} add-to-cart controls and declares no article type"
    items = len(_DISCUSSION_ITEM.findall(lowered))
    # The answers of an FAQ are the page's own text, not a discussion of it.
    if items >= _MIN_DISCUSSION_ITEMS and not _FAQ_PAGE.search(lowered):
        return f"it marks up {items} comments or answers and declares no article type"
    address = _canonical_url(html)
    if is_home_page(address) and not _PUBLISHED_META.search(html):
        return f"it is the home page of {urlsplit(address or '').hostname} and declares no article"
    # A listing may carry a publication time (the newest item's): unlike the address, link text and
    # prose say what the page is whatever its date.
    return _listing_evidence(html)


def non_article_evidence(html: str) -> str | None:
    """Why the page declares itself not an article (for the drop message), or None."""
    og = og_type(html)
    every = json_ld_types(html)
    top = json_ld_top_types(html)
    # Any article type anywhere keeps the page, and so does a Review as the thing it describes.
    if (every | microdata_types(html)) & ARTICLE_TYPES or "review" in top or (og or "").startswith("article"):
        return None
    declared = top & NON_ARTICLE_TYPES
    if not every & _OFFER_TYPES:
        # A product with nothing for sale is described, not sold: a product review marked up the way
        # search engines recommend (Product → Review) looks like this.
        declared -= _PRODUCT_TYPES
    if declared:
        return f"its JSON-LD declares {', '.join(sorted(declared))} and no article type"
    if og and og.startswith(NON_ARTICLE_OG_PREFIXES):
        return f"its og:type is {og!r} and it declares no article type"
    return _structural_evidence(html)
