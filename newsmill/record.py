"""The payloads that travel between stages, and the article record that leaves the pipeline.

Everything here is a frozen dataclass that turns into plain JSON (``to_dict``) and back
(``from_dict``), because Celery carries it as JSON between processes. The article record's shape is
also written down as a JSON Schema (``newsmill/schema/article.schema.json``); bump
:data:`SCHEMA_VERSION` whenever either changes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "1.0"

SourceKind = Literal["url", "file", "jsonl", "warc", "feed", "sitemap", "unsupported"]
"""``unsupported``: a file found in a folder whose type newsmill does not read (its record is dropped)."""
ContentKind = Literal["html", "text"]
Status = Literal["ok", "dropped", "failed", "unchanged"]
"""``unchanged``: a conditional re-fetch got 304; counted in the job, not delivered again (see sinks)."""


@dataclass(frozen=True)
class Source:
    """Where an article came from: a URL, a file, one line of a JSONL file, or one record of a WARC file."""

    kind: SourceKind
    location: str
    """The URL, or the absolute path of the file."""
    line: int | None = None
    """1-based line number inside a JSONL file, or record number inside a WARC file."""
    offset: int | None = None
    """Byte offset of that line or record, so a worker seeks to it instead of reading the file from the start."""

    @property
    def key(self) -> str:
        """A string naming this input uniquely within a job."""
        return f"{self.location}#{self.line}" if self.line is not None else self.location

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "location": self.location, "line": self.line, "offset": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(kind=data["kind"], location=data["location"], line=data.get("line"),
                   offset=data.get("offset"))


@dataclass(frozen=True)
class WorkItem:
    """One unit of work as the producer enqueues it: no content yet, only where to find it."""

    job_id: str
    source: Source

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "source": self.source.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkItem:
        return cls(job_id=data["job_id"], source=Source.from_dict(data["source"]))


@dataclass(frozen=True)
class Document:
    """What the load or fetch stage produced: the decoded body, never raw bytes.

    ``hints`` carries metadata the input supplied itself (a JSONL line's ``title`` or ``published``),
    which the clean stage prefers over what it extracts.
    """

    item: WorkItem
    id: str
    content_kind: ContentKind
    body: str
    url: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    provenance: tuple[StageRun, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "document",
            "item": self.item.to_dict(),
            "id": self.id,
            "content_kind": self.content_kind,
            "body": self.body,
            "url": self.url,
            "hints": dict(self.hints),
            "provenance": [run.to_dict() for run in self.provenance],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            item=WorkItem.from_dict(data["item"]),
            id=data["id"],
            content_kind=data["content_kind"],
            body=data["body"],
            url=data.get("url"),
            hints=dict(data.get("hints") or {}),
            provenance=tuple(StageRun.from_dict(r) for r in data.get("provenance") or ()),
        )


@dataclass(frozen=True)
class StageRun:
    """One stage's entry in a record's provenance: what ran, how long, and which tool made which field."""

    stage: str
    version: str
    duration_ms: float
    fields: dict[str, str] = field(default_factory=dict)
    """Field name → the extractor or model that produced it (``{"title": "trafilatura 2.3.1"}``)."""
    skipped: str | None = None
    """Why the stage produced nothing for this article (``no_model_for_language``, ``text_too_short``):
    enrichment degrades with a reason instead of failing the article."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stage": self.stage,
            "version": self.version,
            "duration_ms": round(self.duration_ms, 3),
            "fields": dict(self.fields),
        }
        if self.skipped is not None:
            data["skipped"] = self.skipped
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageRun:
        return cls(
            stage=data["stage"],
            version=data["version"],
            duration_ms=float(data["duration_ms"]),
            fields=dict(data.get("fields") or {}),
            skipped=data.get("skipped"),
        )


@dataclass(frozen=True)
class Dateline:
    """The wire-service opening of a story: ``Damascus, SANA –`` is place Damascus, agency SANA."""

    place: str | None
    agency: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"place": self.place, "agency": self.agency}


@dataclass(frozen=True)
class ArticleRecord:
    """The structured article record newsmill delivers; see the JSON Schema for field meanings."""

    id: str
    job_id: str
    source: Source
    status: Status = "ok"
    reason: str | None = None
    """Reason code of a ``dropped`` record, or error code of a ``failed`` one."""
    message: str | None = None
    url: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    dateline: Dateline | None = None
    language: str | None = None
    text: str | None = None
    description: str | None = None
    site_name: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    word_count: int | None = None
    reading_time_min: float | None = None
    content_hash: str | None = None
    provenance: tuple[StageRun, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields added by enrichment stages, merged into the top level of the JSON record."""

    @property
    def is_final(self) -> bool:
        """True when the record has ended (dropped or failed) and later stages must pass it through."""
        return self.status != "ok"

    def with_stage(self, run: StageRun, **changes: Any) -> ArticleRecord:
        """A copy with ``changes`` applied and ``run`` appended to the provenance."""
        return dataclasses.replace(self, provenance=(*self.provenance, run), **changes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "job_id": self.job_id,
            "source": self.source.to_dict(),
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "url": self.url,
            "title": self.title,
            "authors": list(self.authors),
            "published": self.published,
            "dateline": self.dateline.to_dict() if self.dateline else None,
            "language": self.language,
            "text": self.text,
            "description": self.description,
            "site_name": self.site_name,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "word_count": self.word_count,
            "reading_time_min": self.reading_time_min,
            "content_hash": self.content_hash,
            "provenance": [run.to_dict() for run in self.provenance],
        }
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleRecord:
        known = {f.name for f in dataclasses.fields(cls)} | {"schema_version"}
        dateline = data.get("dateline")
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            source=Source.from_dict(data["source"]),
            status=data.get("status", "ok"),
            reason=data.get("reason"),
            message=data.get("message"),
            url=data.get("url"),
            title=data.get("title"),
            authors=tuple(data.get("authors") or ()),
            published=data.get("published"),
            dateline=Dateline(dateline.get("place"), dateline.get("agency")) if dateline else None,
            language=data.get("language"),
            text=data.get("text"),
            description=data.get("description"),
            site_name=data.get("site_name"),
            categories=tuple(data.get("categories") or ()),
            tags=tuple(data.get("tags") or ()),
            word_count=data.get("word_count"),
            reading_time_min=data.get("reading_time_min"),
            content_hash=data.get("content_hash"),
            provenance=tuple(StageRun.from_dict(r) for r in data.get("provenance") or ()),
            extra={k: v for k, v in data.items() if k not in known},
        )


Payload = WorkItem | Document | ArticleRecord
"""What a stage receives or returns."""


def payload_to_dict(payload: Payload) -> dict[str, Any]:
    """Tag a payload so :func:`payload_from_dict` can rebuild the right type on the other side."""
    if isinstance(payload, WorkItem):
        return {"type": "item", **payload.to_dict()}
    if isinstance(payload, Document):
        return payload.to_dict()
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
