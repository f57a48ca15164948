"""The clean stage: a decoded document (HTML or plain text) becomes an article record.

``clean`` picks the cleaner by ``Document.content_kind``; both fill the same fields, split a
wire-service dateline off the first paragraph, let the input's hints override what they extracted,
and append one ``clean`` entry to the provenance. A page that holds no article raises
:class:`newsmill.errors.Drop` with a reason code (``empty``, ``no_content``, ``not_article``, ``too_short``).
"""

from __future__ import annotations

from newsmill.clean import datelanguages
from newsmill.clean.html import clean_html
from newsmill.clean.options import CleanOptions
from newsmill.clean.plaintext import clean_text
from newsmill.record import ArticleRecord, Document

__all__ = ["CleanOptions", "clean", "warm_up"]

_DEFAULT_OPTIONS = CleanOptions()
datelanguages.install()


def clean(doc: Document, *, options: CleanOptions | None = None) -> ArticleRecord:
    """The article in ``doc`` as a record with title, authors, date, dateline and clean text."""
    options = options or _DEFAULT_OPTIONS
    if doc.content_kind == "html":
        with datelanguages.reading_dates_in(datelanguages.declared_language(doc.body)):
            return clean_html(doc, options)
    return clean_text(doc, options)


def warm_up() -> None:
    """Build what the HTML cleaner builds on first use, before a worker's pool forks: dateparser's
    English tables, which htmldate (under trafilatura) reads the date strings its own patterns cannot
    read with (see :mod:`newsmill.clean.datelanguages`)."""
    datelanguages.warm_up()
