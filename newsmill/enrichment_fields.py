"""The shapes of the fields enrichment stages add to the article record, defined once.

They are ``TypedDict``s rather than classes because the stages build and read them as plain JSON-shaped
dicts (``entity["name"]``) and consumers receive them as such; pydantic validates them when a record is
read back and writes them into the JSON Schema (:mod:`newsmill.schema`), closed (``extra="forbid"``)
so a misspelt key fails validation instead of passing unnoticed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict before Python 3.12

_CLOSED = ConfigDict(extra="forbid")

ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
IsoDateTime = Annotated[str, Field(pattern=ISO_DATE_PATTERN)]
ArticleId = Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
NonEmpty = Annotated[str, Field(min_length=1)]
Offset = Annotated[int, Field(ge=0)]
End = Annotated[int, Field(ge=1)]
Share = Annotated[float, Field(ge=0, le=1)]


def _about(text: str) -> object:
    """A field's description in the JSON Schema (TypedDict bodies cannot hold attribute docstrings)."""
    return Field(description=text)


@with_config(_CLOSED)
class Entity(TypedDict):
    """One named entity of title and text (spaCy NER), per (label, name)."""

    label: Annotated[str, Field(pattern=r"^[A-Z_]+$"), _about("OntoNotes label: PERSON, ORG, GPE, LOC, NORP, …")]
    text: Annotated[NonEmpty, _about("The first spelling seen.")]
    name: Annotated[NonEmpty, _about("Normalised: whitespace collapsed, no leading 'the', no possessive.")]
    count: Annotated[int, Field(ge=1)]
    first_offset: Annotated[Offset | None, _about(
        "Character offset of the first mention in text; null when only the title names it.")]


@with_config(_CLOSED)
class Place(TypedDict):
    """A place entity (or the dateline place) resolved to GeoNames."""

    geonameid: Annotated[int, Field(ge=1)]
    name: Annotated[NonEmpty, _about("The GeoNames name.")]
    kind: Literal["city", "admin1", "country"]
    country_code: CountryCode
    admin1: Annotated[str | None, _about("GeoNames first-level division code (US: the state).")]
    latitude: Annotated[Annotated[float, Field(ge=-90, le=90)] | None, _about("Null for countries and states.")]
    longitude: Annotated[float, Field(ge=-180, le=180)] | None
    population: Offset | None
    mentions: Annotated[list[NonEmpty], Field(min_length=1), _about("The spellings the article used.")]
    count: Annotated[Offset, _about("Mentions in title and text (the dateline is not counted).")]


@with_config(_CLOSED)
class Keyword(TypedDict):
    """A key phrase (YAKE)."""

    keyword: NonEmpty
    score: Annotated[float, Field(ge=0), _about("YAKE score: lower is more relevant.")]


@with_config(_CLOSED)
class Tone(TypedDict):
    """Document-level sentiment: means of VADER's per-sentence scores."""

    compound: Annotated[float, Field(ge=-1, le=1)]
    positive: Share
    negative: Share
    neutral: Share
    method: Literal["vader"]


@with_config(_CLOSED)
class PublishedCandidate(TypedDict):
    """A publication date found, and where."""

    value: IsoDateTime
    source: Annotated[NonEmpty, _about("input, the stage that set it (clean), record, url or dateline.")]


@with_config(_CLOSED)
class DateMention(TypedDict):
    """A date expression in the text."""

    text: NonEmpty
    start: Offset
    end: End
    resolved: Annotated[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None, _about(
        "The day it refers to; null without a publication date to resolve it against.")]


@with_config(_CLOSED)
class Dates(TypedDict):
    """Evidence for the publication date, and the dates the text mentions."""

    published_candidates: Annotated[list[PublishedCandidate], _about(
        "Publication dates found, most trusted first: the record's own value (from the input or the clean "
        "stage), the URL, a dateline.")]
    mentions: Annotated[list[DateMention] | None, _about(
        "Date expressions in the text, with character offsets; null when the text's language was not searched.")]


@with_config(_CLOSED)
class Quote(TypedDict):
    """A quotation in the text."""

    text: Annotated[NonEmpty, _about(
        "The quoted words without the quotation marks; equals text[start:end] of the record.")]
    start: Offset
    end: End
    speaker: Annotated[NonEmpty | None, _about(
        "Who the sentence says spoke (leading 'the' dropped); null when it names nobody.")]
    kind: Annotated[Literal["direct", "scare"], _about(
        "scare: at most five words used inside a larger sentence; direct otherwise.")]
    sentence: Annotated[NonEmpty, _about(
        "The sentence (or sentences, for a quote spanning several) holding the quote.")]


@with_config(_CLOSED)
class Event(TypedDict):
    """A casualty, arrest, displacement or kidnapping fact the text states."""

    type: Literal["killed", "injured", "arrested", "displaced", "missing", "kidnapped"]
    quantity: Annotated[Offset | None, _about("The number of people; null for a vague amount such as 'thousands'.")]
    quantity_text: Annotated[NonEmpty, _about("The number as written: '14', 'two dozen', 'thousands'.")]
    qualifier: Literal["more than", "at least", "about", "up to", "nearly"] | None
    who: Annotated[NonEmpty | None, _about("Who was counted: 'civilians', 'children'; null when unnamed.")]
    sentence: NonEmpty
    start: Annotated[Offset, _about("Offset of the event phrase in the record's text.")]
    end: End
    place: Annotated[NonEmpty | None, _about(
        "The place named nearest to the event in its sentence, else in an earlier sentence of its paragraph.")]
    place_detail: Annotated[NonEmpty | None, _about(
        "A smaller place inside 'place' that the text names with it (a neighborhood, a village).")]
    date_text: Annotated[NonEmpty | None, _about(
        "The date expression nearest to the event in its sentence, else in its paragraph, as written.")]


@with_config(_CLOSED)
class Dedup(TypedDict):
    """How enrich.dedup looked for an earlier copy."""

    method: Annotated[Literal["exact", "minhash"] | None, _about(
        "exact: same normalised text (content_hash); minhash: near copy by MinHash LSH; null: no earlier copy.")]
    candidates: Annotated[Offset, _about("Earlier articles sharing an LSH band that were compared.")]
