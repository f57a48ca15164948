"""Does the page say it is something other than an article? Only its own structured data decides.

trafilatura extracts *some* text from nearly every page, so a product page, a shop category or a
forum thread otherwise comes out ``ok`` with its specifications or posts as the "article". Layout
heuristics (URL paths such as ``/collection/``, many ``<time>`` elements) catch more of them, but on
the WCXB development split they also drop about 1 % of real articles, and a lost article is worse
than a stray product page. What a page declares about itself is far safer: a schema.org JSON-LD
type such as ``Product`` or ``DiscussionForumPosting``, or an ``og:type`` of ``product``, with no
article type anywhere on the page. Measured with ``python bench/page_types.py``: 0 of 792 articles
dropped, 32 of 150 other pages caught (products, forums, shop collections).

Three more kinds of evidence are structural and count only on a page that makes no article claim
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

Together on the WCXB dev split they catch 30 more other pages (62 of 150 in all) and drop none of 792 articles.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newsmill.clean.structured import ARTICLE_TYPES, json_ld_top_types, json_ld_types, microdata_types, og_type

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
    return None


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
