"""Page furniture at the edges of an extracted body: the short lines before its first sentence and
after its last one.

trafilatura keeps what sits inside the article's container, and the container's first and last
lines are often not the article: a date, a reading time, ``Table of Contents``, ``Back to blog`` above
it; ``Share This Article``, ``Join Our Newsletter``, ``Sign up`` or ``Tags`` below it. Such lines
are labels and buttons, a few words long. A line of prose or a real section heading sits between
paragraphs, not at the edge with nothing of the article beyond it, so the edges are cut only up to
the first (and from the last) line long enough to be a sentence.
"""

from __future__ import annotations

from newsmill.text.dateline import split_dateline
from newsmill.text.segment import word_parts

MIN_EDGE_WORDS = 5
"""A line at either edge of the body with fewer words than this is furniture, not article. On the
WCXB dev articles 4 to 6 all remove the benchmark's boilerplate snippets alike on both halves; the
word F1 of the body is unchanged to within 0.001 for any of them."""


def _short(paragraph: str) -> bool:
    return len(word_parts(paragraph)) < MIN_EDGE_WORDS


def _list_item(paragraph: str) -> bool:
    # trafilatura writes list items as "- item".
    return paragraph.startswith("- ")


def trim_edges(paragraphs: list[str]) -> list[str]:
    """``paragraphs`` without the short lines before the first and after the last long one.

    A dateline standing alone at the top is the story's, not furniture, and ends the leading cut. A
    list at the bottom is kept: the items of a closing list (steps, takeaways, sources) are short
    but they are the article's, while the lists above the first sentence are breadcrumbs and meta
    (``- Home``, ``- 2 min read``). A body of nothing but short lines is returned unchanged.
    """
    long_lines = [index for index, paragraph in enumerate(paragraphs) if not _short(paragraph)]
    if not long_lines:
        return paragraphs
    start = 0
    while start < long_lines[0] and split_dateline(paragraphs[start])[0] is None:
        start += 1
    end = len(paragraphs)
    while end - 1 > long_lines[-1] and not _list_item(paragraphs[end - 1]):
        end -= 1
    return paragraphs[start:end]
