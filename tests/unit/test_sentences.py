"""Unit tests of the shared paragraph and sentence splitting used by the enrichment stages."""

from __future__ import annotations

from newsmill.enrich.sentences import as_sentences, ends_sentence, paragraphs, sentences

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
