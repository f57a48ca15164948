"""A body that holds the same section twice: the second copy goes.

Pages often carry one section twice in their markup — a desktop and a mobile layout, a tab panel
and its accordion twin, a carousel's cloned slides — and only CSS shows one of them. trafilatura
sees both. A run of consecutive paragraphs that repeats an earlier run word for word and is long
enough to be a section, not a refrain or a repeated line of program output, is such a copy.
"""

from __future__ import annotations

from newsmill.text.segment import word_parts

MIN_REPEAT_PARAGRAPHS = 2
MIN_REPEAT_WORDS = 100
"""A repeated run must span this many paragraphs and words. Shorter repeats (a pull quote, a
``Read more`` line, a line of program output shown twice) are the author's, and the benchmark's
ground truth keeps them."""


def drop_repeated_sections(paragraphs: list[str]) -> list[str]:
    """``paragraphs`` without the later copies of any run that already appeared earlier."""
    keys = [" ".join(paragraph.split()).casefold() for paragraph in paragraphs]
    first_seen: dict[str, int] = {}
    for index, key in enumerate(keys):
        first_seen.setdefault(key, index)
    dropped: set[int] = set()
    index = 0
    while index < len(keys):
        earlier = first_seen[keys[index]]
        length = 0
        # The copy must follow the original, not overlap it.
        while (earlier < index and index + length < len(keys) and earlier + length < index
               and keys[index + length] == keys[earlier + length]):
            length += 1
        words = sum(len(word_parts(keys[index + offset])) for offset in range(length))
        if length >= MIN_REPEAT_PARAGRAPHS and words >= MIN_REPEAT_WORDS:
            dropped.update(range(index, index + length))
            index += length
        else:
            index += 1
    return [paragraph for position, paragraph in enumerate(paragraphs) if position not in dropped]
