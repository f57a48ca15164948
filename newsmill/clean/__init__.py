"""The clean stage: a decoded document (HTML or plain text) becomes an article record.

``clean`` picks the cleaner by ``Document.content_kind``; both fill the same fields, split a
wire-service dateline off the first paragraph, let the input's hints override what they extracted,
and append one ``clean`` entry to the provenance. A page that holds no article raises
:class:`newsmill.errors.Drop` with a reason code (``empty``, ``no_content``, ``not_article``, ``too_short``).
"""

from __future__ import annotations

from newsmill.clean.html import clean_html
from newsmill.clean.options import CleanOptions
from newsmill.clean.plaintext import clean_text
from newsmill.record import ArticleRecord, Document

__all__ = ["CleanOptions", "clean", "warm_up"]

_DEFAULT_OPTIONS = CleanOptions()


def clean(doc: Document, *, options: CleanOptions | None = None) -> ArticleRecord:
    """The article in ``doc`` as a record with title, authors, date, dateline and clean text."""
    options = options or _DEFAULT_OPTIONS
    if doc.content_kind == "html":
        return clean_html(doc, options)
    return clean_text(doc, options)


def warm_up() -> None:
    """Build what the HTML cleaner builds on first use, before a worker's pool forks.

    htmldate (under trafilatura) hands date-like strings it cannot read to dateparser with every
    locale allowed; the first string no locale accepts makes dateparser build its tables for all of
    them: 4.6 s and ~43 MB here, paid by every pool process that had not inherited them (once per child,
    and again for each child that replaces one), against 35 ms a string afterwards.
    """
    from htmldate.extractors import get_external_parser

    get_external_parser().get_date_data("12 newsmill 2021")
