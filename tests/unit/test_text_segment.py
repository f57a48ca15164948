"""Unit tests of the one paragraph, sentence and word splitting every stage uses."""

from __future__ import annotations

import re

from newsmill.text.segment import (
    Span,
    as_sentences,
    count_words,
    ends_sentence,
    join_paragraphs,
    line_paragraphs,
    paragraph_spans,
    paragraphs,
    sentences,
    word_parts,
    words,
    wrapped_paragraphs,
)

TEXT = ("Dr. Smith said on Oct. 23 that U.S. troops had left.  Then\nthey went home!\n\n"
        "  A second paragraph without a full stop\n \nThe “last” one.”")


def test_sentence_offsets_point_into_the_text() -> None:
    """Every sentence's offsets cut exactly its text out of the source."""
    found = sentences(TEXT)
    assert found and all(TEXT[s.start:s.end] == s.text for s in found)
    assert [s.start for s in found] == sorted(s.start for s in found)


def test_abbreviations_do_not_end_sentences() -> None:
    """Dr., Oct. and U.S. stay inside their sentence; a single line break does not split one."""
    texts = [s.text for s in sentences(TEXT)]
    assert texts[0] == "Dr. Smith said on Oct. 23 that U.S. troops had left."
    assert texts[1] == "Then\nthey went home!"


def test_paragraph_break_ends_a_sentence_without_terminator() -> None:
    """A paragraph lacking a full stop is still a sentence of its own."""
    texts = [s.text for s in sentences(TEXT)]
    assert "A second paragraph without a full stop" in texts
    assert len(texts) == 4


def test_paragraphs_split_on_blank_lines_even_with_spaces() -> None:
    """Blank lines holding only spaces separate paragraphs; paragraphs come back stripped."""
    assert paragraphs(TEXT) == [
        "Dr. Smith said on Oct. 23 that U.S. troops had left.  Then\nthey went home!",
        "A second paragraph without a full stop",
        "The “last” one.”",
    ]


def test_as_sentences_terminates_only_unterminated_blocks() -> None:
    """A headline gets a full stop; a paragraph ending in a closing quote after a stop does not."""
    joined = as_sentences("Council approves budget", "“It passed,” she said.”", "", "Done?")
    assert joined == "Council approves budget.\n\n“It passed,” she said.”\n\nDone?"
    assert ends_sentence("He left.)") and not ends_sentence("He left")


def test_paragraph_offsets_point_at_the_stripped_paragraph() -> None:
    """Each paragraph's offsets cut exactly its stripped text out of the source."""
    found = paragraph_spans(TEXT)
    assert [p.text for p in found] == paragraphs(TEXT)
    assert all(TEXT[p.start:p.end] == p.text for p in found)
    assert paragraph_spans("  \n\n  ") == []
    assert paragraph_spans("\n\n One") == [Span("One", 3, 6)]


def test_joined_paragraphs_read_back_as_the_same_paragraphs() -> None:
    """The clean stages write what the enrichment stages read: one blank line between paragraphs."""
    blocks = ["A heading", "A paragraph. Two sentences.", "Last"]
    assert join_paragraphs(blocks) == "A heading\n\nA paragraph. Two sentences.\n\nLast"
    assert paragraphs(join_paragraphs(blocks)) == blocks


def test_line_paragraphs_are_one_per_line_with_spaces_squashed() -> None:
    """trafilatura's layout: every non-blank line a paragraph."""
    assert line_paragraphs("Title\n  Body  text\there\n\n \nEnd") == ["Title", "Body text here", "End"]


def test_wrapped_paragraphs_join_hard_wrapped_lines() -> None:
    """Lines wrapped inside a paragraph are joined; without any blank line every line is a paragraph."""
    assert wrapped_paragraphs("One line\nwrapped  here\n  \nTwo\n\n\nThree") == [
        "One line wrapped here", "Two", "Three"]
    assert wrapped_paragraphs("First\nSecond") == ["First", "Second"]


def test_count_words_keeps_hyphenated_and_apostrophe_words_whole() -> None:
    """US-led and won’t count as one word each."""
    assert count_words("The US-led coalition won’t succeed.") == 5
    assert words("The US-led coalition won’t succeed.") == ["The", "US-led", "coalition", "won’t", "succeed"]


def test_abbreviations_and_decimals_are_one_word() -> None:
    """U.S., 3.5 and Cars.com are one word each; a full stop before a space or the end is no part of one."""
    assert words("The U.S. grew 3.5 per cent, Cars.com said. Then") == [
        "The", "U.S", "grew", "3.5", "per", "cent", "Cars.com", "said", "Then"]


def test_word_parts_ignore_how_a_word_is_punctuated() -> None:
    """For comparing copies: hyphens, apostrophes of either kind and spacing give the same parts."""
    assert word_parts("well-known, won't") == word_parts("well known won’t") == ["well", "known", "won", "t"]
    text = "The US-led coalition won’t -- can't -- succeed, 3.5 per cent."
    assert word_parts(text) == [part for word in words(text) for part in re.split(r"[-'’.]", word)]
