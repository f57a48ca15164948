"""Lines of the extracted body that belong to a page control rather than to the article.

Two structures say so whatever the words are:

- a small box around a form's text field: the pitch, label and small print of a newsletter signup or
  a quote request ("Sign up for our newsletter", "Enter email address", "By entering your email
  you agree ..."), wherever trafilatura picked it up, above, inside or below the article;
- a dialog or a tooltip (``<dialog>``, ``role="dialog"``, ``role="alertdialog"``, ``role="tooltip"``):
  text the page shows only on demand (a "republish this article" modal, a cookie settings panel, an
  author card on hover), not in the reading flow.

Neither test looks at or above the article's container (:func:`newsmill.clean.container.main_container`):
an article that is itself rendered in a dialog, or inside a page-wide ``<form>`` (ASP.NET pages wrap
everything in one), keeps its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newsmill.clean.tree import more_text_than, self_and_ancestors

BOX_CHARS = 250
"""A form's box is its largest ancestor (or itself) with at most this many characters of text,
whitespace not counted: a signup block with its heading and small print, not the section around
it. On the WCXB dev articles 150 to 300 give the same word F1 (to 0.0001) on both halves; at 400 the
box around an app's install button grew into the short section of the article that presents it."""

_FIELDS = ("//body//form | //body//textarea | "
           "//body//input[not(@type) or @type='text' or @type='email' or @type='tel']")
_ON_DEMAND_ROLES = frozenset({"dialog", "alertdialog", "tooltip"})


def form_boxes(root: Any, container: Any) -> set[Any]:
    """The small boxes around the page's forms and text fields (see :data:`BOX_CHARS`)."""
    boxes: set[Any] = set()
    too_big: set[Any] = set()
    for field in root.xpath(_FIELDS):
        box = None
        for node in self_and_ancestors(field):
            if node is container or node.tag in {"body", "html"} or node in too_big:
                break
            if more_text_than(node, BOX_CHARS):
                too_big.add(node)
                break
            box = node
        if box is not None:
            boxes.add(box)
    return boxes


def in_widget(element: Any, container: Any, boxes: set[Any]) -> bool:
    """Whether ``element`` lies in a form's box or in a dialog or tooltip below ``container``."""
    for node in self_and_ancestors(element):
        if node is container:
            return False
        if node in boxes or node.tag == "dialog" or node.get("role") in _ON_DEMAND_ROLES:
            return True
    return False


def widget_lines(root: Any, elements: Sequence[Any | None], container: Any) -> set[int]:
    """The indexes of the lines whose element (from :func:`newsmill.clean.container.locate`) lies in a
    form's box, a dialog or a tooltip."""
    boxes = form_boxes(root, container)
    return {index for index, element in enumerate(elements)
            if element is not None and in_widget(element, container, boxes)}
