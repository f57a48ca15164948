"""Lines of the extracted body that sit in a box the page's markup names as furniture.

Sites name their page furniture in class and id attributes: ``newsletter-signup``, ``disclaimer``,
``contentAdvertiserDisclosure``, ``related-posts``, ``promo-box``, ``author-bio``. trafilatura drops
many such elements by these names, but not when one of its fallback extractors found the body, and
its vocabulary misses some (``disclosure``, ``disclaimer``, ``promo``, ``cta``). The words are read
as words (split at punctuation and at camelCase humps), so ``shared-content`` or ``ctaylor`` is no
mark.

Inside the article's container only small boxes count (:data:`MAX_BOX_CHARS`): a marked element
holding more text is a section of the article (a ``sponsored-article`` body, a ``related-coverage``
chapter), not a box in it. Only the elements between a line and the article's container are read
(for a line outside the container, those below the element the line shares with it): a class on the
container or above it (``single-post has-newsletter``) describes the whole page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

from newsmill.clean.tree import more_text_than, self_and_ancestors

MAX_BOX_CHARS = 1200
"""A marked element inside the article's container holding more than this many characters of text
(whitespace not counted) is a section of the article, not a box: a few short paragraphs. Set by
reading, not tuned; the dev pages' marked boxes that are furniture hold a few hundred."""

FURNITURE_WORDS = frozenset({
    "disclaimer", "disclaimers", "disclosure", "disclosures", "newsletter", "newsletters", "subscribe",
    "signup", "promo", "promos", "promotion", "promotions", "cta", "sponsor", "sponsors", "related",
    "share", "sharing", "social", "readtime", "advertisement", "advertorial", "premium", "copyright",
})
"""Class and id words that name a box of page furniture (``premium`` the upsell box of a paywall,
``copyright`` a rights notice)."""
FURNITURE_PAIRS = frozenset({("author", "bio"), ("about", "author"), ("author", "box"), ("read", "time"),
                             ("sign", "up"), ("call", "action"), ("reading", "time")})
"""Two consecutive words that name one (``author-bio``, ``read-time``, ``sign-up``, ``call-to-action``)."""

MAX_BODY_SHARE = 0.25
"""A marked box whose lines hold more than this share of the body's words is what the page is about
(a legal-aid finder in a ``map-and-related`` block), not furniture beside it. Set by reading, not
tuned."""
MAX_NAME_WORDS = 5
"""A class name or id of more words than this is a slug of the text it holds (``more-on-car-repair-
related-articles-text``, a heading's anchor), not a name the site gave to a kind of box."""

_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_STOP = frozenset({"to", "the", "of"})


def _words(value: str) -> list[str]:
    return [word.casefold() for word in _NON_WORD.split(_HUMP.sub(" ", value)) if word]


@lru_cache(maxsize=4096)
def _names_furniture(name: str) -> bool:
    # Sites repeat the same class names on every page and line: each is read once.
    words = _words(name)
    if len(words) > MAX_NAME_WORDS:
        return False
    if any(word in FURNITURE_WORDS for word in words):
        return True
    content = [word for word in words if word not in _STOP]
    return any(pair in FURNITURE_PAIRS for pair in pairwise(content))


def names_furniture(element: Any) -> bool:
    """Whether one of ``element``'s class names or its id names a box of page furniture."""
    names = (element.get("class") or "").split()
    identifier = element.get("id")
    if identifier:
        names.append(identifier)
    return any(_names_furniture(name) for name in names)


def _marked_box(element: Any, stop: set[Any], checked: dict[Any, bool], container: Any) -> Any | None:
    """The innermost box named as furniture that holds ``element``, below ``stop``: a small one inside
    ``container``, any one beside it."""
    chain = self_and_ancestors(element)
    outside = not any(node is container for node in chain)
    for node in chain:
        if node in stop or node.tag in {"body", "html"}:
            return None
        if node not in checked:
            # Beside the container, size is no evidence of article text: the article is in the container.
            checked[node] = names_furniture(node) and (outside or not more_text_than(node, MAX_BOX_CHARS))
        if checked[node]:
            return node
    return None


def marked_lines(paragraphs: Sequence[str], elements: Sequence[Any | None], container: Any) -> set[int]:
    """The indexes of the lines whose element (from :func:`newsmill.clean.container.locate`) lies in a
    box named as furniture, below the container (a small one) or beside it, unless the box holds
    :data:`MAX_BODY_SHARE` of the body."""
    # The container and everything around it: a line outside it is read up to the element it shares
    # with the container.
    stop = set(self_and_ancestors(container))
    checked: dict[Any, bool] = {}
    lines: dict[Any, list[int]] = {}
    for index, element in enumerate(elements):
        box = None if element is None else _marked_box(element, stop, checked, container)
        if box is not None:
            lines.setdefault(box, []).append(index)
    total = sum(len(paragraph.split()) for paragraph in paragraphs)
    marked: set[int] = set()
    for indexes in lines.values():
        if sum(len(paragraphs[index].split()) for index in indexes) <= MAX_BODY_SHARE * total:
            marked.update(indexes)
    return marked
