"""The HTML cleaner: trafilatura finds the article body and its metadata in a decoded page.

trafilatura gets a ``str``, never bytes: the load and fetch stages already chose the encoding, and
letting trafilatura guess again would undo that choice.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any

import trafilatura
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from newsmill import __version__
from newsmill.clean.bylines import reconcile_authors
from newsmill.clean.container import revise_by_structure
from newsmill.clean.edges import trim_edges
from newsmill.clean.hints import INPUT, hint_overrides
from newsmill.clean.options import CleanOptions
from newsmill.clean.pagedates import modified, publication_day, published_source
from newsmill.clean.pagetype import non_article_evidence
from newsmill.clean.repeats import drop_repeated_sections
from newsmill.clean.title import reconcile_title
from newsmill.errors import Drop
from newsmill.record import ArticleRecord, Dateline, Document, StageRun
from newsmill.text.dateline import split_dateline
from newsmill.text.segment import join_paragraphs, line_paragraphs

VERSION = f"newsmill-clean {__version__}; trafilatura {trafilatura.__version__}"
PRODUCER = "trafilatura"

# Publication times the page states in its metadata; trafilatura (htmldate) only reports the day.
# htmldate can report a time (an outputformat with %H:%M:%S), but on the WCXB dev articles it drops
# the time the metadata states on 34 pages, the zone on 6, and cannot tell a bare day from midnight.
_TIME_PATTERNS = (
    re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"'),
    re.compile(r'<meta[^>]+(?:property|name|itemprop)=["\'](?:article:published_time|datePublished|'
               r'pubdate|publishdate|date)["\'][^>]*?content=["\']([^"\']{10,40})["\']', re.IGNORECASE),
    re.compile(r'<meta[^>]+content=["\']([^"\']{10,40})["\'][^>]*?(?:property|name|itemprop)='
               r'["\'](?:article:published_time|datePublished|pubdate|publishdate)["\']', re.IGNORECASE),
)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _extract(html: Any, url: str | None, options: CleanOptions, source: str, *, recall: bool) -> Any:
    extractor = Extractor(
        output_format="python",
        fast=options.fast,
        precision=options.favor_precision,
        recall=recall,
        comments=options.include_comments,
        tables=options.include_tables,
        url=url,
        source=source,
        with_metadata=True,
    )
    return trafilatura.bare_extraction(html, url=url, with_metadata=True, options=extractor)


def _body_chars(extracted: Any) -> int:
    return len(extracted.text.strip()) if extracted is not None and extracted.text else 0


def _extract_body(doc: Document, tree: Any, options: CleanOptions) -> Any:
    """trafilatura's extraction of ``doc`` with the focus the options ask for (see
    ``CleanOptions.second_pass_below_chars`` for the balanced default).

    ``tree`` is the page as trafilatura itself parses it (None when it does not parse): trafilatura
    extracts from a copy of it, which costs a fraction of a parse, and the clean stage reads the
    page's structure from it afterwards."""
    page = doc.body if tree is None else tree
    if options.favor_precision or options.favor_recall:
        return _extract(page, doc.url, options, source=doc.id, recall=options.favor_recall)
    extracted = _extract(page, doc.url, options, source=doc.id, recall=True)
    if _body_chars(extracted) < options.second_pass_below_chars:
        balanced = _extract(page, doc.url, options, source=doc.id, recall=False)
        if _body_chars(balanced) > _body_chars(extracted):
            extracted = balanced
    return extracted


def _fold(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split()).casefold()


def _title(extracted: Any, site_name: str | None, doc: Document, options: CleanOptions) -> str | None:
    title = extracted.title
    if not options.tidy_title:
        return " ".join(title.split()) if title else None
    return reconcile_title(title, html=doc.body, url=doc.url or extracted.url, site_name=site_name)


def _published(html: str, date: str | None, options: CleanOptions) -> str | None:
    """trafilatura's date, upgraded to the full datetime the page states for that same day."""
    if not date or not options.full_datetime:
        return date or None
    for pattern in _TIME_PATTERNS:
        for match in pattern.finditer(html):
            try:
                stamp = datetime.fromisoformat(match.group(1).strip())
            except ValueError:
                continue
            # A bare date says no more than trafilatura's date did.
            has_time = "T" in match.group(1) or " " in match.group(1).strip()
            if has_time and stamp.date().isoformat() == date:
                return stamp.isoformat()
    return date


def _squash(value: str | None) -> str | None:
    """``value`` with runs of whitespace made single spaces; None when nothing is left."""
    return " ".join(value.split()) or None if value else None


def _as_tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    result: list[str] = []
    for item in items:
        text = " ".join(str(item).split())
        if text and text not in result:
            result.append(text)
    return tuple(result)


def clean_html(doc: Document, options: CleanOptions) -> ArticleRecord:
    """An HTML page as an article record; raises :class:`Drop` when the page holds no article."""
    if not doc.body.strip():
        raise Drop("no_content", "empty HTML")
    if options.drop_non_articles:
        # Before trafilatura: a page that says what it is needs no extraction to be judged.
        evidence = non_article_evidence(doc.body)
        if evidence:
            raise Drop("not_article", evidence)
    tree = load_html(doc.body)
    extracted = _extract_body(doc, tree, options)
    if extracted is None or not extracted.text or not extracted.text.strip():
        raise Drop("no_content", "trafilatura found no article body")
    site_name = _squash(extracted.sitename)
    title = _title(extracted, site_name, doc, options)
    # trafilatura's text has one paragraph (or heading, or list item) per line.
    paragraphs = line_paragraphs(extracted.text)
    # trafilatura often keeps the headline as the body's first line; it is the title, not text, and
    # it would hide a dateline in the paragraph after it.
    if title and len(paragraphs) > 1 and _fold(paragraphs[0]) in {_fold(title), _fold(extracted.title or "")}:
        paragraphs = paragraphs[1:]
    if options.drop_repeats:
        paragraphs = drop_repeated_sections(paragraphs)
    paragraphs = revise_by_structure(paragraphs, tree, restore_left_out=options.restore_left_out,
                                     after_container=options.cut_after_container, widgets=options.drop_widgets,
                                     marked=options.drop_marked_boxes)
    if options.trim_edges:
        paragraphs = trim_edges(paragraphs)
    dateline: Dateline | None = None
    if options.detect_dateline:
        dateline, rest = split_dateline(paragraphs[0])
        paragraphs = ([rest] if rest else []) + paragraphs[1:]
    if not paragraphs:
        raise Drop("no_content", "nothing but a headline and a dateline")
    text = join_paragraphs(paragraphs)
    if len(text) < options.min_text_chars:
        raise Drop("too_short", f"{len(text)} characters of text, fewer than {options.min_text_chars}")

    authors, authors_from = reconcile_authors(extracted.author, html=doc.body, site_name=site_name,
                                              url=doc.url or extracted.url)

    # htmldate's day, unless the page's metadata or its printed header contradicts it.
    corrected = publication_day(doc.body, extracted.date)
    day = corrected.value if corrected else extracted.date
    published = _published(doc.body, day, options)
    last_modified = modified(doc.body, published)
    record = ArticleRecord(
        id=doc.id,
        job_id=doc.item.job_id,
        source=doc.item.source,
        url=doc.url or extracted.url or None,
        title=title,
        authors=authors,
        published=published,
        modified=last_modified.value if last_modified else None,
        dateline=dateline,
        text=text,
        description=_squash(extracted.description),
        site_name=site_name,
        categories=_as_tuple(extracted.categories),
        tags=_as_tuple(extracted.tags),
    )
    fields = {name: PRODUCER for name in ("title", "authors", "published", "description", "site_name",
                                          "categories", "tags", "text") if getattr(record, name)}
    if record.authors:
        fields["authors"] = authors_from
    if record.url and not doc.url:
        fields["url"] = PRODUCER
    if record.published:
        # Say which metadata stated the day (htmldate's extensive search when none did), and whether the
        # time came from the page's metadata.
        timed = "; time from page metadata" if record.published != day else ""
        if corrected is not None:
            htmldate_day = extracted.date or "none"
            fields["published"] = f"newsmill.pagedates ({corrected.source}; htmldate's day {htmldate_day}){timed}"
        else:
            stated_in = published_source(doc.body, record.published) or "htmldate search of the page"
            fields["published"] = f"{PRODUCER} ({stated_in}){timed}"
    if last_modified is not None:
        fields["modified"] = f"page metadata ({last_modified.source})"
    if dateline is not None:
        fields["dateline"] = "newsmill.dateline"
    overrides = hint_overrides(doc.hints)
    fields.update(dict.fromkeys(overrides, INPUT))
    run = StageRun(stage="clean", version=VERSION, fields=fields)
    return dataclasses.replace(record, **overrides, provenance=(*doc.provenance, run))
