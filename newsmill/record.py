"""The payloads that travel between stages, and the article record that leaves the pipeline.

Each type is defined once, here, and the JSON that Celery carries between processes and the sink writes
(``to_dict``/``from_dict``) is derived from it. The record's JSON Schema
(``newsmill/schema/article.schema.json``) must match; bump :data:`SCHEMA_VERSION` whenever the record's
shape changes.

The types stay standard-library frozen dataclasses (so ``dataclasses.replace`` keeps working
everywhere) and pydantic's ``TypeAdapter`` does the (de)serialisation and the schema: pydantic is
already installed for spaCy, validates what it reads back, and knows "not set" from "null" through its
``MISSING`` sentinel, which an enrichment field needs (absent: the stage did not run; null: it skipped).
msgspec would be faster still but a new dependency and a move away from dataclasses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import MISSING, ConfigDict, Field, TypeAdapter

from newsmill.enrichment_fields import (
    ArticleId,
    CountryCode,
    Dates,
    Dedup,
    Entity,
    Event,
    IsoDateTime,
    Keyword,
    NonEmpty,
    Place,
    Quote,
    Tone,
)

SCHEMA_VERSION = "1.0"

SourceKind = Literal["url", "file", "jsonl", "warc", "feed", "sitemap", "unsupported"]
"""``unsupported``: a file found in a folder whose type newsmill does not read (its record is dropped)."""
ContentKind = Literal["html", "text"]
Status = Literal["ok", "dropped", "failed", "unchanged"]
"""``unchanged``: a conditional re-fetch got 304; counted in the job, not delivered again (see sinks)."""
ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]

# Closed: the objects of the delivered record, where an unknown key is a mistake.
_CLOSED = ConfigDict(extra="forbid", use_attribute_docstrings=True,
                     json_schema_serialization_defaults_required=True)
# Open: transport payloads, which runners extend with keys of their own (``drive``, ``body_ref``).
_OPEN = ConfigDict(extra="ignore", use_attribute_docstrings=True)


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(cls: type[Any]) -> TypeAdapter[Any]:
    """The pydantic adapter of one payload type, built on first use: building one takes milliseconds."""
    found = _adapters.get(cls)
    if found is None:
        found = _adapters[cls] = TypeAdapter(cls)
    return found


class JsonShape:
    """``to_dict``/``from_dict`` for a dataclass, both done by pydantic from the type's annotations."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = adapter(type(self)).dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        value: Self = adapter(cls).validate_python(data)
        return value


@dataclass(frozen=True)
class Source(JsonShape):
    """Where an article came from: a URL, a file, one line of a JSONL file, or one record of a WARC file."""

    __pydantic_config__: ClassVar[ConfigDict] = _CLOSED

    kind: SourceKind
    location: NonEmpty
    """The URL, or the absolute path of the file."""
    line: Annotated[int, Field(ge=1)] | None = None
    """1-based line number inside a JSONL file, or record number inside a WARC file."""
    offset: Annotated[int, Field(ge=0)] | None = None
    """Byte offset of that line or record, so a worker seeks to it instead of reading the file from the start."""

    @property
    def key(self) -> str:
        """A string naming this input uniquely within a job."""
        return f"{self.location}#{self.line}" if self.line is not None else self.location


@dataclass(frozen=True)
class WorkItem(JsonShape):
    """One unit of work as the producer enqueues it: no content yet, only where to find it."""

    __pydantic_config__: ClassVar[ConfigDict] = _OPEN

    job_id: str
    source: Source


@dataclass(frozen=True)
class StageRun(JsonShape):
    """One stage's entry in a record's provenance: what ran, how long, and which tool made which field."""

    __pydantic_config__: ClassVar[ConfigDict] = _CLOSED

    stage: str
    version: str
    duration_ms: Annotated[float, Field(ge=0)] = 0.0
    """Measured by the pipeline around the stage (:func:`newsmill.pipeline.run_stage`), not by the stage."""
    fields: dict[str, str] = field(default_factory=dict)
    """Field name → the extractor or model that produced it (``{"title": "trafilatura 2.3.1"}``)."""
    skipped: Annotated[ReasonCode | None, Field(exclude_if=lambda reason: reason is None)] = None
    """Why the stage produced nothing for this article (``no_model_for_language``, ``text_too_short``):
    enrichment degrades with a reason instead of failing the article."""


@dataclass(frozen=True)
class Document(JsonShape):
    """What the load or fetch stage produced: the decoded body, never raw bytes.

    ``hints`` carries metadata the input supplied itself (a JSONL line's ``title`` or ``published``),
    which the clean stage prefers over what it extracts.
    """

    __pydantic_config__: ClassVar[ConfigDict] = _OPEN

    item: WorkItem
    id: str
    content_kind: ContentKind
    body: str
    url: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    provenance: tuple[StageRun, ...] = ()


@dataclass(frozen=True)
class Dateline(JsonShape):
    """The wire-service opening of a story: ``Damascus, SANA –`` is place Damascus, agency SANA."""

    __pydantic_config__: ClassVar[ConfigDict] = _CLOSED

    place: str | None
    agency: str | None


@dataclass(frozen=True)
class ArticleRecord(JsonShape):
    """One record per input of a job. status 'ok' records carry the article; 'dropped' and 'failed'
    records carry a reason code. Enrichment fields are absent when their stage did not run, and null when
    it ran and skipped the article (its provenance entry says why)."""

    __pydantic_config__: ClassVar[ConfigDict] = _CLOSED

    id: ArticleId
    """Hash of the canonical URL, or of the content for inputs without a URL."""
    job_id: NonEmpty
    source: Source
    status: Status = "ok"
    """unchanged: a conditional re-fetch answered 304; counted, never delivered as a second record."""
    reason: ReasonCode | None = None
    """Reason code (dropped) or error code (failed); null when ok."""
    message: str | None = None
    url: str | None = None
    title: str | None = None
    authors: tuple[NonEmpty, ...] = ()
    published: Annotated[IsoDateTime | None, Field(description="ISO 8601 date or date-time.")] = None
    dateline: Dateline | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None
    text: str | None = None
    """Clean body; paragraphs separated by a blank line."""
    description: str | None = None
    site_name: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    word_count: Annotated[int, Field(ge=0)] | None = None
    reading_time_min: Annotated[float, Field(ge=0)] | None = None
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    provenance: tuple[StageRun, ...] = ()

    # Enrichment fields (MISSING: the stage did not run, and the key is left out of the JSON).
    entities: list[Entity] | MISSING | None = MISSING
    """Named entities of the title and text (spaCy NER), one per (label, name), in reading order. Null when
    the stage skipped the article (see provenance)."""
    places: list[Place] | MISSING | None = MISSING
    """Place entities and the dateline place resolved to GeoNames, most mentioned first. Null when the stage
    skipped the article."""
    country: CountryCode | MISSING | None = MISSING
    """The article's primary country, ISO 3166-1 alpha-2."""
    keywords: list[Keyword] | MISSING | None = MISSING
    """Key phrases of headline and body, best first (YAKE); null when the stage was skipped."""
    summary: NonEmpty | MISSING | None = MISSING
    """Two or three sentences of the body in their original order (extractive TextRank); null when the text
    has fewer than three sentences."""
    tone: Tone | MISSING | None = MISSING
    """Document-level sentiment: means of VADER's per-sentence scores. A weak signal on hard news. Null for
    languages other than English."""
    dates: Dates | MISSING | None = MISSING
    """Evidence for the publication date, and the dates the text mentions."""
    quotes: list[Quote] | MISSING | None = MISSING
    """Quotations in the text (double quotes, curly quotes, guillemets), in order; null when the stage skipped
    the article (see its provenance entry)."""
    events: list[Event] | MISSING | None = MISSING
    """Casualty, arrest, displacement and kidnapping facts the text states, in order; null when the stage
    skipped the article (see its provenance entry)."""
    duplicate_of: ArticleId | MISSING | None = MISSING
    """Id of an earlier article this one copies: set by enrich.dedup on an 'ok' record (exact or near copy,
    found across all jobs), or by the sink on a 'duplicate' drop (same article twice in one job). Null when
    enrich.dedup found no earlier copy or skipped."""
    similarity: Annotated[float, Field(ge=0, le=1)] | MISSING | None = MISSING
    """Estimated Jaccard similarity of word shingles with duplicate_of (1 for an exact copy); null when not a
    copy."""
    dedup: Dedup | MISSING = MISSING

    @property
    def is_final(self) -> bool:
        """True when the record has ended (dropped or failed) and later stages must pass it through."""
        return self.status != "ok"

    def with_stage(self, run: StageRun, **changes: Any) -> ArticleRecord:
        """A copy with ``changes`` applied and ``run`` appended to the provenance."""
        return dataclasses.replace(self, provenance=(*self.provenance, run), **changes)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, **super().to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return super().from_dict({key: value for key, value in data.items() if key != "schema_version"})


Payload = WorkItem | Document | ArticleRecord
"""What a stage receives or returns."""


def payload_to_dict(payload: Payload) -> dict[str, Any]:
    """Tag a payload so :func:`payload_from_dict` can rebuild the right type on the other side."""
    if isinstance(payload, WorkItem):
        return {"type": "item", **payload.to_dict()}
    if isinstance(payload, Document):
        return {"type": "document", **payload.to_dict()}
    return {"type": "record", "record": payload.to_dict()}


def payload_from_dict(data: dict[str, Any]) -> Payload:
    kind = data.get("type")
    if kind == "item":
        return WorkItem.from_dict(data)
    if kind == "document":
        return Document.from_dict(data)
    if kind == "record":
        return ArticleRecord.from_dict(data["record"])
    raise ValueError(f"unknown payload type {kind!r}")


def ended(item: WorkItem, *, id: str, status: Status, reason: str, message: str = "",
          url: str | None = None, provenance: tuple[StageRun, ...] = ()) -> ArticleRecord:
    """A record for an input that was dropped or failed before it became an article."""
    return ArticleRecord(
        id=id,
        job_id=item.job_id,
        source=item.source,
        status=status,
        reason=reason,
        message=message or None,
        url=url,
        provenance=provenance,
    )
