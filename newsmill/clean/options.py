"""How the clean stage extracts and judges an article: one value object instead of many parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CleanOptions:
    """Settings of the clean stage; the defaults suit news and blog articles."""

    min_text_chars: int = 250
    """HTML whose extracted body is shorter than this is dropped as ``too_short``. Below it,
    trafilatura has mostly picked up a teaser, a cookie notice or a caption, not an article; the
    shortest real article body in the WCXB development split is about 340 characters. Plain text is
    not held to it: a ``.txt`` article has no boilerplate for a short body to be a symptom of."""
    favor_precision: bool = False
    """Ask trafilatura for less text that is more surely the article."""
    favor_recall: bool = False
    """Ask trafilatura for more text even when unsure (useful when bodies come out truncated)."""
    include_tables: bool = True
    """Keep the text of ``<table>`` elements; data-heavy reports put part of the story there."""
    include_comments: bool = False
    """Reader comments are not the article, so they stay out of ``text`` unless asked for."""
    second_pass_below_chars: int = 4000
    """Balanced mode extracts with trafilatura's recall settings first and, when that body is shorter
    than this, once more with its balanced settings, keeping the longer body. On the WCXB dev
    articles, whichever of the two settings is run alone loses whole sections on some pages (recall
    trusts a short body of its own; balanced prefers a readability guess that stops early); the
    longer of the two is the better body on both halves of the corpus. Long recall bodies are
    already complete, so only short ones pay for the second pass; 0 turns it off."""
    drop_non_articles: bool = True
    """Drop (``not_article``) a page whose structured data declares it a product, a shop listing or a
    forum thread, or whose structure shows it (cart controls, a home page, a page of links with hardly
    any prose), and that declares no article type; see :mod:`newsmill.clean.pagetype`."""
    fast: bool = False
    """Skip trafilatura's fallback extractors: quicker, somewhat worse on unusual layouts."""
    drop_repeats: bool = True
    """Drop the second copy of a section the page holds twice (desktop and mobile layouts, tab panels
    and their accordions); see :mod:`newsmill.clean.repeats`."""
    restore_left_out: bool = True
    """Put back the paragraphs of the article's container that trafilatura left out although they are
    marked up like the ones it kept (listicle slides, accordion panels, page-builder text blocks); see
    :mod:`newsmill.clean.restore`."""
    cut_after_container: bool = True
    """Cut the lines at the end of the body that come from outside the element holding most of the
    article (newsletter boxes, related-article teasers, disclaimer bands, site footers); see
    :mod:`newsmill.clean.container`."""
    drop_widgets: bool = True
    """Drop the lines of page controls: the small box around a form's text field (newsletter signups,
    quote requests) and dialogs and tooltips; see :mod:`newsmill.clean.widgets`."""
    drop_marked_boxes: bool = True
    """Drop the lines of boxes whose class or id names them as furniture (``disclaimer``,
    ``newsletter``, ``related-posts``, ``author-bio``): small ones inside the article's container, any
    beside it; see :mod:`newsmill.clean.marks`."""
    trim_edges: bool = True
    """Cut the lines of a few words (dates, reading times, share and subscribe calls) that come before
    the body's first sentence-length line or after its last; see :mod:`newsmill.clean.edges`."""
    detect_dateline: bool = True
    """Split a wire-service dateline (``Damascus, SANA –``) off the first paragraph."""
    tidy_title: bool = True
    """Remove the site name from page titles (``Story | Site`` becomes ``Story``), and prefer the
    visible ``<h1>`` headline when the metadata title only decorates it."""
    full_datetime: bool = True
    """Report the publication time as a full ISO 8601 datetime when the page's metadata gives one
    for the same day trafilatura found; otherwise the date alone (``YYYY-MM-DD``)."""
    max_teaser_paragraphs: int = 12
    """Plain text: a ``Check Also``/``Related`` marker only ends the article when at most this many
    paragraphs follow it; further up the page such a line is more likely a heading."""
