"""What a page says about itself in schema.org JSON-LD and Open Graph: types and authors.

Many pages ship broken JSON-LD (trailing commas, raw newlines); where a block does not parse, its
``@type`` values are still read by pattern, and it contributes no authors.

Blocks and tags are found by pattern rather than by extruct: extruct parses the whole page again
(slower here), brings rdflib, html5lib and requests along, and fails on a page whose JSON-LD
does not parse, where these patterns still read its types.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

# schema.org's Article and the subtypes news and blog pages use.
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "satiricalarticle",
    "blogposting", "liveblogposting", "report", "techarticle", "scholarlyarticle", "socialmediaposting",
})
# Nodes whose ``author`` is the author of the page (not of a review or a comment on it).
_AUTHORED_TYPES = ARTICLE_TYPES | {"webpage", "itempage"}

_JSON_LD = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_ITEMTYPE = re.compile(r'itemtype\s*=\s*["\']([^"\']+)["\']', re.IGNORECASE)
_TYPE_VALUE = re.compile(r'"@type"\s*:\s*(\[[^\]]*\]|"[^"]*")')
# A JSON-LD block larger than this is not parsed (its @type values are still read by pattern).
_MAX_JSON_LD_CHARS = 1_000_000


def short_type(value: object) -> str:
    """``newsarticle`` from ``https://schema.org/NewsArticle``, ``schema:NewsArticle`` or ``NewsArticle``."""
    return re.split(r"[/:#]", str(value).strip())[-1].casefold()


def _types_of(node: dict[str, Any]) -> list[str]:
    declared = node.get("@type")
    return [short_type(value) for value in (declared if isinstance(declared, list) else [declared]) if value]


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a parsed JSON-LD document, ``@graph`` members and nested objects included."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


@functools.lru_cache(maxsize=4)
def _parsed_blocks(html: str) -> tuple[Any | str, ...]:
    """Each JSON-LD block, parsed; a block that does not parse comes back as its raw text.

    Cached: the clean stage asks about one page's types, top-level types and authors in turn, and the
    page's blocks are parsed once. The key is the page string itself, whose hash Python keeps."""
    blocks: list[Any | str] = []
    for match in _JSON_LD.finditer(html):
        block = match.group(1).strip()
        if len(block) > _MAX_JSON_LD_CHARS:
            blocks.append(block)
            continue
        try:
            blocks.append(json.loads(block))
        except (ValueError, RecursionError):
            blocks.append(block)
    return tuple(blocks)


def _top_nodes(data: Any) -> list[dict[str, Any]]:
    """The things a JSON-LD block describes: the block itself (or each item of a list), the members of its
    ``@graph`` and their ``mainEntity``; not other objects nested inside them (a product a review is
    about, an article mentioned)."""
    items = data if isinstance(data, list) else [data]
    nodes: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            nodes.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                nodes.extend(member for member in graph if isinstance(member, dict))
    # A WebPage's mainEntity is what the page is about (a forum thread is WebPage → DiscussionForumPosting).
    for node in list(nodes):
        main = node.get("mainEntity")
        nodes.extend(entity for entity in (main if isinstance(main, list) else [main]) if isinstance(entity, dict))
    return nodes


def json_ld_top_types(html: str) -> set[str]:
    """The ``@type`` of each top-level JSON-LD node (see :func:`_top_nodes`); of a block that does not
    parse, its first ``@type``, which is the outer object's in every block seen in practice."""
    types: set[str] = set()
    for block in _parsed_blocks(html):
        if isinstance(block, str):
            first = _TYPE_VALUE.search(block)
            if first:
                types.update(short_type(name) for name in re.findall(r'"([^"]+)"', first.group(1)))
        else:
            types.update(kind for node in _top_nodes(block) for kind in _types_of(node))
    return types


def microdata_types(html: str) -> set[str]:
    """schema.org types named by microdata ``itemtype`` attributes."""
    return {short_type(value) for match in _ITEMTYPE.finditer(html) for value in match.group(1).split()}


def json_ld_types(html: str) -> set[str]:
    """Every schema.org ``@type`` in the page's JSON-LD blocks, nested ones and ``@graph`` included."""
    types: set[str] = set()
    for block in _parsed_blocks(html):
        if isinstance(block, str):
            for found in _TYPE_VALUE.finditer(block):
                types.update(short_type(name) for name in re.findall(r'"([^"]+)"', found.group(1)))
        else:
            for node in _nodes(block):
                types.update(_types_of(node))
    return types


@functools.cache
def _meta_patterns(attribute: str, key: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    name, value = re.escape(attribute), re.escape(key)
    return (
        re.compile(rf'<meta[^>]+{name}=["\']{value}["\'][^>]*?content=["\']([^"\']*)["\']', re.IGNORECASE),
        re.compile(rf'<meta[^>]+content=["\']([^"\']*)["\'][^>]*?{name}=["\']{value}["\']', re.IGNORECASE),
    )


def meta_content(html: str, attribute: str, key: str) -> str | None:
    """The ``content`` of the page's first ``<meta attribute="key">`` (either attribute order), as
    written (entities not undone); ``None`` when there is none."""
    for pattern in _meta_patterns(attribute, key):
        match = pattern.search(html)
        if match:
            return match.group(1)
    return None


def og_type(html: str) -> str | None:
    content = meta_content(html, "property", "og:type")
    return " ".join(content.split()).casefold() or None if content else None


def _author_names(value: Any, by_id: dict[str, dict[str, Any]]) -> Iterator[str]:
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, dict):
            if "name" not in entry and isinstance(entry.get("@id"), str):
                entry = by_id.get(entry["@id"], entry)  # a reference to a Person node elsewhere
            # An organisation (NewsMediaOrganization, Corporation…) as "author" is nearly always the
            # publisher, not a byline.
            if any(kind.endswith("organization") or kind == "corporation" for kind in _types_of(entry)) \
                    or not isinstance(entry.get("name"), str):
                continue
            yield entry["name"]


def json_ld_authors(html: str) -> list[str]:
    """Names in the ``author`` of the page's top-level article (or web page) nodes, ``@id`` references
    resolved; authors of reviews, comments, mentioned articles and other embedded things are not the page's."""
    names: list[str] = []
    for block in _parsed_blocks(html):
        if isinstance(block, str):
            continue
        nodes = list(_nodes(block))
        # Only nodes that say something: ``{"@id": …}`` alone is a reference, not the definition.
        by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str) and len(node) > 1}
        for node in _top_nodes(block):
            if "author" in node and set(_types_of(node)) & _AUTHORED_TYPES:
                names.extend(name for name in _author_names(node["author"], by_id) if name not in names)
    return names


def publisher_names(html: str) -> list[str]:
    """The names of the ``publisher`` of the page's top-level JSON-LD nodes (``@id`` references resolved):
    the organisation behind the site, which is not a writer."""
    names: list[str] = []
    for block in _parsed_blocks(html):
        if isinstance(block, str):
            continue
        by_id = {node["@id"]: node for node in _nodes(block) if isinstance(node.get("@id"), str) and len(node) > 1}
        for node in _top_nodes(block):
            publishers = node.get("publisher")
            for entry in publishers if isinstance(publishers, list) else [publishers]:
                if isinstance(entry, dict) and "name" not in entry and isinstance(entry.get("@id"), str):
                    entry = by_id.get(entry["@id"], entry)
                if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] not in names:
                    names.append(entry["name"])
    return names
