"""Unit tests of the entities stage: spaCy NER on the seed story and on small texts."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from newsmill.clean import clean
from newsmill.enrich import entities
from newsmill.enrich.entities import EntityOptions, components_to_exclude, entity_name, load_pipeline
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from newsmill.settings import Settings
from tests.conftest import SEED, validate_record

ITEM = WorkItem("job", Source("file", str(SEED)))


@pytest.fixture(scope="module")
def seed_record() -> ArticleRecord:
    doc = Document(item=ITEM, id="a" * 24, content_kind="text", body=SEED.read_text(encoding="utf-8"))
    return extract(clean(doc))


def record(text: str, **changes: Any) -> ArticleRecord:
    base = ArticleRecord(id="b" * 24, job_id="job", source=ITEM.source, text=text)
    return dataclasses.replace(extract(base), **changes)


def by_name(out: ArticleRecord) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in out.entities}


def test_seed_entities_have_the_expected_labels(seed_record: ArticleRecord) -> None:
    """The seed's places are GPE/LOC, the Security Council and ISIS are ORG, Syrian is NORP."""
    found = by_name(entities.enrich(seed_record))
    for place in ("Raqqa", "Deir Ezzor", "Damascus"):
        assert found[place]["label"] in ("GPE", "LOC"), found.get(place)
    assert found["UN Security Council"]["label"] == "ORG"
    assert found["ISIS"]["label"] == "ORG"
    assert found["Syrian"]["label"] == "NORP"


def test_seed_byline_is_not_an_entity(seed_record: ArticleRecord) -> None:
    """Neither the record's byline nor the byline pasted back into the text becomes an entity."""
    leaked = dataclasses.replace(seed_record, text=f"{seed_record.text}\n\nM.al-Frieh/H. Said")
    for out in (entities.enrich(seed_record), entities.enrich(leaked)):
        names = " ".join(e["text"] for e in out.entities)
        assert "Frieh" not in names and "Said" not in names


def test_seed_record_validates_and_records_provenance(seed_record: ArticleRecord) -> None:
    """The enriched seed record matches the merged schema and names the model in its provenance."""
    out = entities.enrich(seed_record)
    validate_record(out.to_dict())
    run = out.provenance[-1]
    assert run.stage == "enrich.entities" and run.skipped is None and "spacy" in run.fields["entities"]


def test_offsets_point_into_the_text(seed_record: ArticleRecord) -> None:
    """Every first_offset is where the entity's first spelling starts in record.text."""
    text = seed_record.text or ""
    out = entities.enrich(seed_record)
    with_offsets = [e for e in out.entities if e["first_offset"] is not None]
    assert len(with_offsets) > 5
    for entity in with_offsets:
        assert text[entity["first_offset"]:].startswith(entity["text"]), entity


def test_entities_do_not_run_across_blank_lines() -> None:
    """Two place names in consecutive paragraphs stay two entities (read whole, spaCy joins them)."""
    text = "Civilians fled Raqqa\n\nDamascus condemned the strikes."
    assert any("\n" in span.text for span in load_pipeline(EntityOptions().model_name)(text).ents)
    out = entities.enrich(record(text, language="en"))
    names = {e["name"] for e in out.entities}
    assert {"Raqqa", "Damascus"} <= names
    assert not any("\n" in e["text"] for e in out.entities)


def test_mentions_are_grouped_and_counted() -> None:
    """Repeated mentions of one name (with article or possessive) count under one entity."""
    out = entities.enrich(record("NATO met in Brussels. The NATO summit ended. NATO's chief spoke in Brussels.",
                                 language="en"))
    found = by_name(out)
    assert found["Brussels"]["count"] == 2
    assert found["NATO"]["count"] >= 2


def test_entity_name_normalisation() -> None:
    """Names lose a leading "the", a possessive and extra whitespace."""
    assert entity_name("the  UN\nSecurity Council") == "UN Security Council"
    assert entity_name("the White House's") == "White House"
    assert entity_name("Syrians’") == "Syrians"


def test_correction_layer_marks_armed_groups_as_organisations() -> None:
    """ISIL and Daesh, which the small model misses, come out as ORG."""
    out = entities.enrich(record("ISIL fighters and Daesh militants withdrew from the town, officials said.",
                                 language="en"))
    found = by_name(out)
    assert found["ISIL"]["label"] == "ORG" and found["Daesh"]["label"] == "ORG"


def test_non_english_text_is_skipped() -> None:
    """A French article gets null entities and the reason no_model_for_language, and still validates."""
    out = entities.enrich(record("Le gouvernement a annoncé mardi à Paris une réforme des retraites."))
    assert out.language == "fr"
    assert out.entities is None and out.provenance[-1].skipped == "no_model_for_language"
    validate_record(out.to_dict())


def test_empty_text_is_skipped() -> None:
    """A record whose text is blank is skipped with text_too_short, not failed."""
    out = entities.enrich(ArticleRecord(id="c" * 24, job_id="job", source=ITEM.source, text="  ",
                                        language="en"))
    assert out.status == "ok" and out.entities is None
    assert out.provenance[-1].skipped == "text_too_short"


def test_only_ner_is_loaded() -> None:
    """The loaded pipeline runs the organisation ruler and ner, nothing else."""
    assert load_pipeline(EntityOptions().model_name).pipe_names == ["entity_ruler", "ner"]


def test_components_to_exclude_keeps_a_listened_to_embedding() -> None:
    """A ner that listens to a shared tok2vec keeps it; a ner with its own embedding keeps nothing else."""
    pipeline = {"pipeline": ["tok2vec", "tagger", "parser", "ner"]}
    own = {"nlp": pipeline, "components": {"ner": {"model": {"tok2vec": {"@architectures": "spacy.Tok2Vec.v2"}}}}}
    listener = {"nlp": pipeline, "components": {"ner": {"model": {"tok2vec": {
        "@architectures": "spacy.Tok2VecListener.v1", "upstream": "*"}}}}}
    assert components_to_exclude(own) == ["tok2vec", "tagger", "parser"]
    assert components_to_exclude(listener) == ["tagger", "parser"]


def test_model_name_comes_from_the_settings() -> None:
    """NEWSMILL_SPACY_MODEL chooses the model (through the settings); without it an installed model is
    chosen."""
    chosen = Settings.from_env({"NEWSMILL_SPACY_MODEL": "de_core_news_sm"}).entities
    assert chosen is not None and chosen.model_name == "de_core_news_sm"
    assert Settings.from_env({}).entities is None
    assert EntityOptions().model_name in (entities.PREFERRED_MODEL, entities.FALLBACK_MODEL)
