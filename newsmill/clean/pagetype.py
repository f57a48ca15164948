"""Does the page say it is something other than an article? Only its own structured data decides.

trafilatura extracts *some* text from nearly every page, so a product page, a shop category or a
forum thread otherwise comes out ``ok`` with its specifications or posts as the "article". Layout
heuristics (URL paths such as ``/collection/``, many ``<time>`` elements) catch more of them, but on
the WCXB development split they also drop about 1 % of real articles, and a lost article is worse
than a stray product page. What a page declares about itself is far safer: a schema.org JSON-LD
type such as ``Product`` or ``DiscussionForumPosting``, or an ``og:type`` of ``product``, with no
article type anywhere on the page. Measured with ``python bench/page_types.py``: 0 of 792 articles
dropped, 36 of 150 other pages caught (products, forums, shop collections).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# schema.org's Article and the subtypes news and blog pages use; any of them anywhere on the page
# (a review embedding a Product, a liveblog listing posts) makes it an article.
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "satiricalarticle",
    "blogposting", "liveblogposting", "report", "techarticle", "scholarlyarticle", "socialmediaposting",
})
# Types that mean "this page is a product, a shop listing or a discussion". ``Offer`` alone is not
# among them: course and event pages carry offers too.
NON_ARTICLE_TYPES = frozenset({
    "product", "productgroup", "aggregateoffer", "discussionforumposting", "qapage", "collectionpage",
    "searchresultspage",
})
NON_ARTICLE_OG_PREFIXES = ("product", "ebay-objects")

_JSON_LD = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TYPE_VALUE = re.compile(r'"@type"\s*:\s*(\[[^\]]*\]|"[^"]*")')
_OG_TYPE = (
    re.compile(r'<meta[^>]+property=["\']og:type["\'][^>]*?content=["\']([^"\']*)["\']', re.IGNORECASE),
    re.compile(r'<meta[^>]+content=["\']([^"\']*)["\'][^>]*?property=["\']og:type["\']', re.IGNORECASE),
)
# A JSON-LD block larger than this is not parsed (its @type values are still read by pattern).
_MAX_JSON_LD_CHARS = 1_000_000


def _short_type(value: object) -> str:
    """``NewsArticle`` from ``https://schema.org/NewsArticle`` or ``schema:NewsArticle``, lower-cased."""
    text = str(value).strip()
    return re.split(r"[/:#]", text)[-1].casefold()


def _walk_types(data: Any) -> Iterator[str]:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            declared = node.get("@type")
            for value in declared if isinstance(declared, list) else [declared]:
                if value:
                    yield _short_type(value)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def json_ld_types(html: str) -> set[str]:
    """Every schema.org ``@type`` in the page's JSON-LD blocks, nested ones and ``@graph`` included."""
    types: set[str] = set()
    for match in _JSON_LD.finditer(html):
        block = match.group(1).strip()
        try:
            if len(block) > _MAX_JSON_LD_CHARS:
                raise ValueError("too large to parse")
            types.update(_walk_types(json.loads(block)))
        except ValueError:
            # Broken JSON-LD is common (trailing commas, raw newlines); its types are still readable.
            for found in _TYPE_VALUE.finditer(block):
                types.update(_short_type(name) for name in re.findall(r'"([^"]+)"', found.group(1)))
    return types


def og_type(html: str) -> str | None:
    for pattern in _OG_TYPE:
        match = pattern.search(html)
        if match:
            return " ".join(match.group(1).split()).casefold() or None
    return None


def non_article_evidence(html: str) -> str | None:
    """Why the page declares itself not an article (for the drop message), or None."""
    types = json_ld_types(html)
    og = og_type(html)
    if types & ARTICLE_TYPES or (og or "").startswith("article"):
        return None
    declared = sorted(types & NON_ARTICLE_TYPES)
    if declared:
        return f"its JSON-LD declares {', '.join(declared)} and no article type"
    if og and og.startswith(NON_ARTICLE_OG_PREFIXES):
        return f"its og:type is {og!r} and it declares no article type"
    return None
