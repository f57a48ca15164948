"""Unit tests of the events enrichment stage: casualty, arrest, displacement and kidnapping facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsmill import enrich as enrichment
from newsmill.clean import clean
from newsmill.enrich import events
from newsmill.enrich.eventfacts.quantities import parse_number
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from tests.conftest import ROOT, SEED, validate_record

FIXTURES = ROOT / "tests" / "fixtures" / "enrich"


def _record(text: str, **changes: Any) -> ArticleRecord:
    fields: dict[str, Any] = {"id": "e" * 24, "job_id": "job", "source": Source("file", "/data/x.txt"),
                              "text": text, "language": "en", **changes}
    return ArticleRecord(**fields)


def _seed_record() -> ArticleRecord:
    item = WorkItem("job", Source("file", str(SEED)))
    doc = Document(item=item, id="a" * 24, content_kind="text", body=SEED.read_text(encoding="utf-8"))
    return extract(clean(doc))


def _events(text: str, **changes: Any) -> list[dict[str, Any]]:
    out = events.enrich(_record(text, **changes))
    validate_record(out.to_dict())
    found: list[dict[str, Any]] = out.events
    return found


def _fixture(name: str) -> list[dict[str, Any]]:
    return _events(Path(FIXTURES / name).read_text(encoding="utf-8").strip())


def test_seed_casualties_in_deir_ezzor() -> None:
    """The seed's airstrike gives killed 14 civilians and injured more than 40, in Deir Ezzor (al-Qussour)
    on October 23rd."""
    out = enrichment.get("events")(_seed_record())
    validate_record(out.to_dict())
    found = out.events
    killed = next(e for e in found if e["type"] == "killed" and e["quantity"] == 14)
    injured = next(e for e in found if e["type"] == "injured")
    assert killed["who"] == "civilians" and killed["qualifier"] is None
    assert (injured["quantity"], injured["qualifier"]) == (40, "more than")
    for event in (killed, injured):
        assert (event["place"], event["place_detail"], event["date_text"]) == ("Deir Ezzor", "al-Qussour",
                                                                               "October 23rd")
    assert out.provenance[-1].stage == "enrich.events" and out.provenance[-1].skipped is None


def test_seed_thousands_killed_in_raqqa() -> None:
    """"massacres that left thousands of innocent civilians dead" is a vague killed count in Raqqa."""
    found = enrichment.get("events")(_seed_record()).events
    vague = [e for e in found if e["type"] == "killed" and e["quantity_text"] == "thousands"]
    assert vague and all(e["quantity"] is None and e["place"] == "Raqqa" for e in vague)
    assert any("left thousands of innocent civilians dead" in e["sentence"] for e in vague)


def test_offsets_point_at_the_event_phrase() -> None:
    """start/end cut the event phrase out of the record's text, inside its sentence."""
    record = _seed_record()
    for event in events.enrich(record).events:
        phrase = (record.text or "")[event["start"]:event["end"]]
        assert event["quantity_text"] in phrase and phrase in event["sentence"]


def test_passive_active_qualifiers_and_word_numbers() -> None:
    """Passive and active voice, qualifiers, number words, dozens and vague amounts are all read."""
    found = {(e["type"], e["quantity"], e["qualifier"], e["who"]) for e in _fixture("facts_casualties.txt")}
    assert {
        ("injured", 3, "at least", "people"),
        ("killed", 14, None, "civilians"),
        ("arrested", 24, None, "protesters"),
        ("killed", 9, None, "people"),
        ("displaced", 200, "about", "families"),
        ("kidnapped", 20, None, "students"),
        ("killed", 1, None, "teacher"),
        ("missing", None, None, "residents"),
        ("arrested", 12, None, None),
        ("killed", 1200, None, None),
    } == found


def test_places_and_dates_fall_back_within_the_paragraph() -> None:
    """A place inside a larger one is a detail; a sentence without a place or date takes its paragraph's."""
    where = {(e["type"], e["quantity"]): (e["place"], e["place_detail"], e["date_text"])
             for e in _fixture("facts_casualties.txt")}
    assert where[("injured", 3)] == ("Kirkuk", None, "Sunday morning")
    assert where[("killed", 14)] == ("Homs", "Hamidiya", "12 March 2019")
    assert where[("arrested", 24)] == ("Homs", "Hamidiya", "12 March 2019")  # previous sentence's
    assert where[("killed", 9)] == ("Idlib", None, "Tuesday")  # previous sentence's place and date
    assert where[("kidnapped", 20)] == (None, None, None)


def test_sentences_without_events_give_none() -> None:
    """Meetings, killed bills, negated or hypothetical deaths, idioms and years are not events."""
    assert _fixture("facts_no_events.txt") == []


@pytest.mark.parametrize("sentence", [
    "14 civilians attended the meeting in Geneva.",
    "The Senate killed the bill after a long debate.",
    "No one was injured in the collision on the motorway.",
    "Officials said the storm could have killed hundreds of people.",
    "She was killed 3 years ago in a car crash.",
])
def test_negative_sentences(sentence: str) -> None:
    """Each of these sentences mentions numbers or casualty words but states no event."""
    assert _events(sentence) == []


def test_agent_is_not_counted_as_victims() -> None:
    """In "14 soldiers killed 3 militants" the three militants died, not the fourteen soldiers."""
    found = _events("Government forces said 14 soldiers killed 3 militants near the border.")
    assert [(e["type"], e["quantity"], e["who"]) for e in found] == [("killed", 3, "militants")]


def test_entities_supply_the_place_when_present() -> None:
    """With the entities stage's output, a place the heuristic cannot see (lower-case "eastern") is found."""
    text = "Shelling killed 6 civilians in eastern Aleppo, a monitoring group said."
    assert _events(text)[0]["place"] is None
    entity = {"label": "GPE", "text": "Aleppo", "name": "Aleppo", "count": 1, "first_offset": 39}
    assert _events(text, entities=[entity])[0]["place"] == "Aleppo"


@pytest.mark.parametrize(("text", "value"), [
    ("14", 14), ("1,200", 1200), ("fourteen", 14), ("twenty-five", 25), ("two dozen", 24),
    ("half a dozen", 6), ("one hundred and five", 105), ("1.5 million", 1_500_000), ("a", 1),
    ("thousands", None), ("dozens", None),
])
def test_parse_number(text: str, value: int | None) -> None:
    """Digits, number words and dozens become integers; vague amounts become None."""
    assert parse_number(text) == value


def test_non_english_and_short_texts_are_skipped() -> None:
    """A French article and a three-word text get events null and a skip reason, never a failure."""
    french = events.enrich(_record("Quatorze civils ont été tués lundi à Alep selon les secours.", language="fr"))
    short = events.enrich(_record("Three were killed."))
    for out, reason in ((french, "no_model_for_language"), (short, "text_too_short")):
        validate_record(out.to_dict())
        assert out.events is None and out.provenance[-1].skipped == reason


def test_seed_after_the_real_entities_stage() -> None:
    """Run after the entities stage (spaCy tags al-Qussour a PERSON), the seed keeps Deir Ezzor with its
    al-Qussour detail, and Raqqa."""
    with_entities = enrichment.get("entities")(_seed_record())
    out = events.enrich(with_entities)
    validate_record(out.to_dict())
    places = {(e["type"], e["quantity_text"], e["place"], e["place_detail"]) for e in out.events}
    assert places == {("killed", "14", "Deir Ezzor", "al-Qussour"), ("injured", "40", "Deir Ezzor", "al-Qussour"),
                      ("killed", "thousands", "Raqqa", None)}
    assert out.provenance[-1].fields["events"].endswith("places from entities")
