"""Quotes: direct quotations and scare quotes in the article, with the speaker the sentence names.

Quotation marks are “curly”, "straight" or «guillemets». A quote of at most five words inside a larger
sentence (the “suspicious” role) is a *scare* quote; anything else is *direct*. The speaker comes from an
attribution in the quote's sentence — ``said the Foreign Ministry``, ``the Ministry added``, ``the
letters stressed``, ``according to X``, ``X told reporters`` — the one nearest to the quote, with a
leading "the" dropped; pronouns give no speaker. A direct quote whose sentence has no attribution takes
the speaker of an earlier quote in its paragraph (news writing names a speaker once per paragraph).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from newsmill import stage_version
from newsmill.enrich.eventfacts.applicability import skip_reason
from newsmill.enrich.eventfacts.segments import Paragraph, paragraphs
from newsmill.record import ArticleRecord, StageRun
from newsmill.text.segment import words


def _words(text: str) -> list[str]:
    """A word list written as one string, to keep long vocabularies readable."""
    return text.split()

VERSION = stage_version("quotes")
FIELD = "quotes"
SCARE_MAX_WORDS = 5

_QUOTE = re.compile(r"“(?P<c>[^“”\n]*)”|«(?P<g>[^«»\n]*)»|\"(?P<s>[^\"\n]*)\"")
_VERB = re.compile(
    r"\b(?:said|says|added|adds|stressed|stresses|noted|notes|told|tells|stated|states|warned|warns|"
    r"affirmed|affirms|asserted|asserts|confirmed|confirms|urged|urges|called|calls|explained|explains|"
    r"declared|declares|announced|announces|insisted|insists|argued|argues|claimed|wrote|writes|"
    r"tweeted|emphasi[sz]ed|emphasi[sz]es|underlined|underscored|pointed\s+out|replied|responded|"
    r"continued|concluded|acknowledged|admitted|denied|remarked|recalled|cautioned|indicated|"
    r"maintained|reiterated|observed|commented|vowed|pledged|demanded)\b")
_ACCORDING = re.compile(r"\b[Aa]ccording\s+to\b")
_BOUNDARY = re.compile(r"[,;:()\[\]—–!?\x00]|\.(?=\s|$)")
_DETERMINERS = frozenset(_words("the a an his her their its our this that these those"))
_CLAUSE_WORDS = frozenset(_words(
    "that which who whom when while as because after before if since but and so than to of in on at "
    "by for with from during has have had was were is are be been will would not also further later "
    "then again previously earlier reportedly repeatedly once just now even still"))
_PRONOUNS = frozenset(_words("he she they it we i you who this"))
_SPEAKER_LABELS = frozenset({"PERSON", "ORG", "NORP"})
_MAX_SPEAKER_WORDS = 6

Kind = Literal["direct", "scare"]


@dataclass(frozen=True)
class _Attribution:
    start: int
    end: int
    speaker: str | None
    """None for a pronoun: the sentence attributes the quote, but to nobody named."""


def enrich(record: ArticleRecord) -> ArticleRecord:
    text = record.text or ""
    skipped = skip_reason(record, text)
    entities: object = record.entities
    speakers = [e for e in entities if isinstance(e, dict) and e.get("label") in _SPEAKER_LABELS] \
        if isinstance(entities, list) else None
    quotes = None if skipped else [q for p in paragraphs(text, keep=_has_quote)
                                   for q in _paragraph_quotes(p, speakers)]
    source = "newsmill.enrich.quotes rules" + ("; speakers from entities" if speakers is not None else "")
    run = StageRun(stage="enrich.quotes", version=VERSION, fields={FIELD: source}, skipped=skipped)
    return record.with_stage(run, quotes=quotes)


def _has_quote(paragraph: str) -> bool:
    return _QUOTE.search(paragraph) is not None



def _paragraph_quotes(paragraph: Paragraph, speakers: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    text = paragraph.text
    marks = list(_QUOTE.finditer(text))
    # Attribution is searched with every quotation blanked out: a "said" inside a quote is not ours.
    masked = text
    for mark in marks:
        masked = masked[:mark.start()] + "\x00" * (mark.end() - mark.start()) + masked[mark.end():]
    result: list[dict[str, Any]] = []
    last_speaker: str | None = None
    for mark in marks:
        group = mark.lastgroup or "c"
        start, end = _trimmed(text, mark.start(group), mark.end(group))
        if not re.search(r"\w", text[start:end]):
            continue
        first, last = _context(paragraph, mark.start(), mark.end())
        kind = _kind(text, masked, (start, end), (mark.start(), mark.end()), (first, last))
        attribution = _nearest(_attributions(masked, first, last), mark.start(), mark.end())
        speaker = attribution.speaker if attribution else (last_speaker if kind == "direct" else None)
        speaker = _canonical(speaker, speakers)
        if speaker is not None:
            last_speaker = speaker
        result.append({
            "text": text[start:end],
            "start": paragraph.start + start,
            "end": paragraph.start + end,
            "speaker": speaker,
            "kind": kind,
            "sentence": text[first:last],
        })
    return result


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The quoted words without surrounding spaces or a trailing comma, colon or semicolon
    (“We will win,” he said: the comma belongs to the sentence around the quote)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


def _context(paragraph: Paragraph, start: int, end: int) -> tuple[int, int]:
    """The span (paragraph offsets) of the sentences a quotation overlaps; a quote of several
    sentences has segtok cut inside it, so its sentence is their union."""
    spans = [(s.start - paragraph.start, s.end - paragraph.start) for s in paragraph.sentences]
    overlapping = [span for span in spans if span[0] < end and span[1] > start] or [(start, end)]
    return overlapping[0][0], overlapping[-1][1]


def _kind(text: str, masked: str, quote: tuple[int, int], mark: tuple[int, int],
          context: tuple[int, int]) -> Kind:
    """Scare: a few words used inside a sentence. Direct: longer, or said as a whole utterance — it ends
    with its own punctuation (“We won,” he said), follows a colon, or opens its sentence and is closed
    by a comma or the sentence's end (British style: “We won”, he said)."""
    start, end = quote
    quoted = len(words(text[start:end]))
    outside = len(words(masked[context[0]:context[1]]))
    own_punctuation = text[end - 1] in ".!?…" or text[start:end + 1].endswith(",")
    introduced = masked[:mark[0]].rstrip().endswith(":")
    opens_sentence = not masked[context[0]:mark[0]].strip()
    after = text[mark[1]:context[1]].lstrip()
    closes_clause = not after or after[0] in ",.!?;"
    if quoted > SCARE_MAX_WORDS or outside < 3 or own_punctuation or introduced \
            or (opens_sentence and closes_clause):
        return "direct"
    return "scare"


def _attributions(masked: str, first: int, last: int) -> list[_Attribution]:
    found: list[_Attribution] = []
    for verb in _VERB.finditer(masked, first, last):
        if _naming(verb, masked):
            continue
        before = _speaker_before(masked[first:verb.start()])
        if before is not None:
            found.append(_Attribution(verb.start(), verb.end(), _named(before)))
            continue
        if _inverted(masked[first:verb.start()]):
            after = _speaker_after(masked[verb.end():last])
            if after is not None:
                found.append(_Attribution(verb.start(), verb.end(), _named(after)))
    for according in _ACCORDING.finditer(masked, first, last):
        after = _speaker_after(masked[according.end():last])
        if after is not None:
            found.append(_Attribution(according.start(), according.end(), _named(after)))
    return found


def _naming(verb: re.Match[str], masked: str) -> bool:
    """"a book called “The Girl’s Own Book”": *called* right before a quotation names, it does not speak."""
    return verb.group() in ("called", "calls") and masked[verb.end():].lstrip().startswith("\x00")


def _speaker_before(left: str) -> list[str] | None:
    """The noun phrase right before a speech verb: ``the Ministry`` in ``..., the Ministry added``."""
    segment = _BOUNDARY.split(left)[-1]
    tokens = words(segment)
    # "the Ministry also said", "has said", "explicitly states": auxiliaries and adverbs are no speaker.
    while tokens and (tokens[-1].lower() in _CLAUSE_WORDS or (tokens[-1].islower() and tokens[-1].endswith("ly"))):
        tokens.pop()
    if tokens and tokens[-1].lower() in _PRONOUNS:  # "a new phenomenon they call": the pronoun speaks
        return tokens[-1:]
    phrase: list[str] = []
    for word in reversed(tokens):
        lower = word.lower()
        if lower in _CLAUSE_WORDS or len(phrase) == _MAX_SPEAKER_WORDS:
            break
        phrase.insert(0, word)
        if lower in _DETERMINERS:
            break
    return phrase if _plausible(phrase) else None


def _inverted(left: str) -> bool:
    """True when the verb opens its clause (``…, said the Foreign Ministry``): the speaker follows it."""
    return not left.strip() or bool(re.search(r"[,\x00]\s*$", left))


def _speaker_after(right: str) -> list[str] | None:
    segment = _BOUNDARY.split(right, maxsplit=1)[0]
    phrase: list[str] = []
    for word in words(segment):
        lower = word.lower()
        if (lower in _CLAUSE_WORDS and lower not in ("of", "for")) or len(phrase) == _MAX_SPEAKER_WORDS:
            break
        phrase.append(word)
    while phrase and phrase[-1].lower() in ("of", "for"):
        phrase.pop()
    return phrase if _plausible(phrase) else None


def _plausible(phrase: list[str]) -> bool:
    """A name, a determiner phrase (``the letters``) or a bare noun of two words at most (``police``)."""
    if not phrase:
        return False
    if len(phrase) == 1 and phrase[0].lower() in _PRONOUNS:
        return True
    if phrase[0].lower() in _DETERMINERS:
        return len(phrase) > 1
    return any(word[0].isupper() for word in phrase) or len(phrase) <= 2


def _named(phrase: list[str]) -> str | None:
    if len(phrase) == 1 and phrase[0].lower() in _PRONOUNS:
        return None
    if phrase[0].lower() == "the":
        phrase = phrase[1:]
    return " ".join(phrase)


def _nearest(attributions: list[_Attribution], start: int, end: int) -> _Attribution | None:
    return min(attributions, key=lambda a: max(0, a.start - end, start - a.end), default=None)


def _canonical(speaker: str | None, entities: Sequence[dict[str, Any]] | None) -> str | None:
    """The entity stage's name for the speaker when one of its mentions lies inside the phrase
    (``Foreign Minister Sergei Lavrov`` → ``Sergei Lavrov``); the longest such mention wins."""
    if speaker is None or not entities:
        return speaker
    best: tuple[int, str] | None = None
    for entity in entities:
        name = entity.get("name") or entity.get("text")
        for form in {entity.get("text"), name}:
            if isinstance(form, str) and form and isinstance(name, str) \
                    and re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", speaker) \
                    and (best is None or len(form) > best[0]):
                best = (len(form), name)
    return best[1] if best else speaker
