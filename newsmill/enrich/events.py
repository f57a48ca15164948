"""Events: casualty, arrest, displacement and kidnapping facts stated in the article, with where and when.

``... targeted al-Qussour neighborhood in Deir Ezzor city on October 23rd, claiming the lives of 14
civilians and injuring more than 40 others`` gives two events: killed 14 civilians and injured more than
40, both in Deir Ezzor (detail al-Qussour) on October 23rd. The rules (``eventfacts``) are English-only
and need no model; other languages are skipped with ``no_model_for_language``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newsmill import stage_version
from newsmill.enrich.eventfacts.applicability import skip_reason
from newsmill.enrich.eventfacts.dates import find_dates, nearest_date
from newsmill.enrich.eventfacts.patterns import EventMatch, find_events, may_hold_events
from newsmill.enrich.eventfacts.places import EventPlace, find_places, nearest
from newsmill.enrich.eventfacts.segments import Paragraph, paragraphs
from newsmill.record import ArticleRecord, StageRun
from newsmill.text.segment import Span

VERSION = stage_version("events")
FIELD = "events"
"""One short sentence can state an event ("Police said 3 people were killed."); below this, nothing can."""


def enrich(record: ArticleRecord) -> ArticleRecord:
    text = record.text or ""
    skipped = skip_reason(record, text)
    entities = _place_entities(record)
    events = None if skipped else [event for p in paragraphs(text, keep=may_hold_events)
                                   for event in _paragraph_events(p, entities)]
    source = "newsmill.enrich.events rules" + ("; places from entities" if entities is not None else "")
    run = StageRun(stage="enrich.events", version=VERSION, fields={FIELD: source}, skipped=skipped)
    return record.with_stage(run, events=events)



def _place_entities(record: ArticleRecord) -> list[dict[str, Any]] | None:
    entities: object = record.entities
    if not isinstance(entities, list):
        return None
    return [e for e in entities if isinstance(e, dict)]


def _paragraph_events(paragraph: Paragraph, entities: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    paragraph_dates = find_dates(paragraph.text)
    earlier_place: EventPlace | None = None
    for sentence in paragraph.sentences:
        places = find_places(sentence.text, entities)
        for match in find_events(sentence.text):
            place = nearest(places, match.start, match.end) or earlier_place
            result.append(_event(match, sentence, paragraph, place, paragraph_dates))
        if places:
            # The fallback for later sentences is the place mentioned last, the one nearest to them.
            earlier_place = places[-1]
    return result


def _event(match: EventMatch, sentence: Span, paragraph: Paragraph, place: EventPlace | None,
           paragraph_dates: list[Any]) -> dict[str, Any]:
    quantity = match.quantity
    date = nearest_date(find_dates(sentence.text), match.start, match.end)
    if date is None:
        offset = sentence.start - paragraph.start
        date = nearest_date(paragraph_dates, offset + match.start, offset + match.end)
    return {
        "type": match.type,
        "quantity": quantity.quantity,
        "quantity_text": quantity.text,
        "qualifier": quantity.qualifier,
        "who": quantity.who,
        "sentence": sentence.text,
        "start": sentence.start + match.start,
        "end": sentence.start + match.end,
        "place": place.name if place else None,
        "place_detail": place.detail if place else None,
        "date_text": date.text if date else None,
    }
