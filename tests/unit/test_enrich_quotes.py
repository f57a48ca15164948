"""Unit tests of the quotes enrichment stage: quotations, scare quotes and their speakers."""

from __future__ import annotations

from typing import Any

from newsmill import enrich as enrichment
from newsmill.clean import clean
from newsmill.enrich import quotes
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from tests.conftest import ROOT, SEED, validate_record

FIXTURES = ROOT / "tests" / "fixtures" / "enrich"
LONG = "Will not succeed in "
"""The first 20 characters of the seed's long direct quote, the key tests look it up by."""


def _record(text: str, **changes: Any) -> ArticleRecord:
    fields: dict[str, Any] = {"id": "d" * 24, "job_id": "job", "source": Source("file", "/data/x.txt"),
                              "text": text, "language": "en", **changes}
    return ArticleRecord(**fields)


def _quotes(text: str, **changes: Any) -> list[dict[str, Any]]:
    out = quotes.enrich(_record(text, **changes))
    validate_record(out.to_dict())
    found: list[dict[str, Any]] = out.quotes
    return found


def _seed_quotes() -> tuple[ArticleRecord, list[dict[str, Any]]]:
    item = WorkItem("job", Source("file", str(SEED)))
    doc = Document(item=item, id="a" * 24, content_kind="text", body=SEED.read_text(encoding="utf-8"))
    out = enrichment.get("quotes")(extract(clean(doc)))
    validate_record(out.to_dict())
    return out, out.quotes


def test_seed_quotes_are_found() -> None:
    """Every quotation of the seed is found, scare quotes and the long direct one alike."""
    _, found = _seed_quotes()
    texts = [q["text"] for q in found]
    for expected in ("suspicious", "subversive", "frantic", "wiped the city off the face of earth",
                     "safe exit", "heinous", "complicit"):
        assert expected in texts
    assert any(t.startswith(LONG + "consolidating") for t in texts)
    assert len(texts) == 8


def test_seed_speakers_come_from_the_attributions() -> None:
    """"said the Foreign Ministry", "the Ministry added" and "the letters stressed" name the speakers;
    sentences without an attribution name nobody."""
    _, found = _seed_quotes()
    speaker = {q["text"][:20]: q["speaker"] for q in found}
    assert speaker["suspicious"] == speaker["subversive"] == "Foreign Ministry"
    assert speaker["frantic"] == "Ministry"
    assert speaker[LONG] == "letters"
    assert speaker["heinous"] is None and speaker["complicit"] is None


def test_seed_kinds_and_offsets() -> None:
    """Short quotes inside a sentence are scare quotes, the long one is direct; offsets cut the quote's
    words out of the text."""
    record, found = _seed_quotes()
    kind = {q["text"][:20]: q["kind"] for q in found}
    assert {kind[k] for k in ("suspicious", "subversive", "frantic", "safe exit", "heinous", "complicit")} \
        == {"scare"}
    assert kind[LONG] == "direct"
    for quote in found:
        assert (record.text or "")[quote["start"]:quote["end"]] == quote["text"]
        assert quote["text"] in quote["sentence"]


def test_attribution_patterns_and_unattributed_quotes() -> None:
    """told reporters, according to, inverted said, inherited speakers, and quotes nobody is named for."""
    text = (FIXTURES / "facts_quotes.txt").read_text(encoding="utf-8").strip()
    found = [(q["text"], q["speaker"], q["kind"]) for q in _quotes(text)]
    assert found == [
        ("We will rebuild every house", "mayor", "direct"),
        ("It will take years.", "mayor", "direct"),  # its sentence names nobody: the paragraph's speaker
        ("a first step", "Foreign Minister Ana Lopez", "scare"),
        ("Nobody warned us", "Maria Rossi", "direct"),
        ("inadequate", None, "scare"),  # "described" is no attribution, "called for" has no subject
        ("constructive", None, "scare"),  # a pronoun names nobody
    ]


def test_guillemets_and_straight_quotes() -> None:
    """«…» and "…" are quotation marks too; a verb inside a quotation is not its attribution."""
    found = _quotes('«We said no to the plan», the union leader Paul Martin told the crowd in Lyon.')
    assert [(q["text"], q["speaker"], q["kind"]) for q in found] == [
        ("We said no to the plan", "union leader Paul Martin", "direct")]


def test_entities_give_the_speakers_name() -> None:
    """When the entities stage found a person inside the speaker phrase, its name is the speaker."""
    text = '"The talks failed," Foreign Minister Sergei Lavrov told reporters in Moscow.'
    entity = {"label": "PERSON", "text": "Sergei Lavrov", "name": "Sergei Lavrov", "count": 1, "first_offset": 37}
    assert _quotes(text)[0]["speaker"] == "Foreign Minister Sergei Lavrov"
    assert _quotes(text, entities=[entity])[0]["speaker"] == "Sergei Lavrov"


def test_text_without_quotes_gives_an_empty_list() -> None:
    """An article with no quotation marks has quotes [], not null: the stage ran and found none."""
    out = quotes.enrich(_record("The council approved the budget on Monday after a short debate."))
    assert out.quotes == [] and out.provenance[-1].skipped is None


def test_non_english_and_short_texts_are_skipped() -> None:
    """A French article and a two-word text get quotes null and a skip reason, never a failure."""
    french = quotes.enrich(_record("« Nous resterons ici », a déclaré le maire lundi soir.", language="fr"))
    short = quotes.enrich(_record("“No,” he said."))
    for out, reason in ((french, "no_model_for_language"), (short, "text_too_short")):
        validate_record(out.to_dict())
        assert out.quotes is None and out.provenance[-1].skipped == reason


def test_seed_after_the_real_entities_stage() -> None:
    """Run after the entities stage, the seed's speakers are the same, named as the entity stage names them."""
    item = WorkItem("job", Source("file", str(SEED)))
    doc = Document(item=item, id="a" * 24, content_kind="text", body=SEED.read_text(encoding="utf-8"))
    out = quotes.enrich(enrichment.get("entities")(extract(clean(doc))))
    validate_record(out.to_dict())
    speaker = {q["text"][:20]: q["speaker"] for q in out.quotes}
    assert (speaker["suspicious"], speaker["frantic"], speaker[LONG]) == ("Foreign Ministry", "Ministry", "letters")
