"""Unit tests of the places stage: GeoNames resolution, disambiguation by context, the primary country."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsmill.clean import clean
from newsmill.enrich import entities, places
from newsmill.enrich.geo import (
    GeoOptions,
    Mention,
    Resolved,
    compact,
    place_key,
    primary_country,
    resolve,
    shared_index,
)
from newsmill.enrich.geo.index import build_index
from newsmill.enrich.geo.names import is_first_name
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Dateline, Document, Source, WorkItem
from tests.conftest import SEED, validate_record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "enrich"
ITEM = WorkItem("job", Source("file", str(SEED)))


def enriched(record: ArticleRecord) -> ArticleRecord:
    return places.enrich(entities.enrich(record))


def story(name: str) -> ArticleRecord:
    text = (FIXTURES / name).read_text(encoding="utf-8").strip()
    return enriched(extract(ArticleRecord(id="b" * 24, job_id="job", source=ITEM.source, text=text)))


def place(out: ArticleRecord, mention: str) -> dict[str, Any]:
    return next(p for p in out.places if mention in p["mentions"])


@pytest.fixture(scope="module")
def seed() -> ArticleRecord:
    doc = Document(item=ITEM, id="a" * 24, content_kind="text", body=SEED.read_text(encoding="utf-8"))
    return enriched(extract(clean(doc)))


@pytest.mark.parametrize(("mention", "lat", "lon"), [
    ("Raqqa", 35.95, 39.01), ("Deir Ezzor", 35.34, 40.14), ("Damascus", 33.51, 36.29)])
def test_seed_places_resolve_in_syria(seed: ArticleRecord, mention: str, lat: float, lon: float) -> None:
    """The seed's places resolve to the Syrian cities, within 0.1° of their coordinates."""
    found = place(seed, mention)
    assert found["country_code"] == "SY"
    assert abs(found["latitude"] - lat) < 0.1 and abs(found["longitude"] - lon) < 0.1


def test_seed_country_is_syria_and_record_validates(seed: ArticleRecord) -> None:
    """The seed's primary country is SY although the US is named more often than Syria; it validates."""
    assert seed.country == "SY"
    validate_record(seed.to_dict())
    assert seed.provenance[-1].stage == "enrich.places" and seed.provenance[-1].skipped is None


@pytest.mark.parametrize("spelling", ["Deir Ezzor", "Deir ez-Zor", "Dayr az Zawr", "Deir el-Zor", "DEIR EZ-ZOR"])
def test_spelling_variants_meet_in_the_index(spelling: str) -> None:
    """Transliterations of Deir ez-Zor find the Syrian city through the normalised index."""
    found = shared_index().lookup(spelling)
    assert [(p.name, p.country_code) for p in found] == [("Deir ez-Zor", "SY")]


@pytest.mark.parametrize(("alias", "code"), [
    ("US", "US"), ("U.S.", "US"), ("United States", "US"), ("UK", "GB"), ("Britain", "GB"), ("Syria", "SY"),
    ("Syrian Arab Republic", "SY"), ("South Korea", "KR"), ("Côte d'Ivoire", "CI")])
def test_country_aliases_resolve(alias: str, code: str) -> None:
    """Country names, official names and everyday abbreviations reach their country."""
    countries = [p for p in shared_index().lookup(alias) if p.kind == "country"]
    assert [p.country_code for p in countries] == [code]


def test_key_drops_articles_and_punctuation() -> None:
    """Normalisation folds case and diacritics and drops articles, hyphens and apostrophes."""
    assert place_key("Deir ez-Zor") == place_key("Deir Ezzor") == place_key("deir el Zor") == "deirzor"
    assert place_key("Ar-Raqqah") == "raqqah"
    assert place_key("Zürich") == "zurich"


def test_variants_in_one_story_are_one_place() -> None:
    """Two spellings of Deir ez-Zor in a Syrian story merge into one place with both mentions."""
    out = story("sy-variants.txt")
    deir = place(out, "Deir el-Zor")
    assert deir["name"] == "Deir ez-Zor" and {"Deir el-Zor", "Deir Ezzor"} <= set(deir["mentions"])
    assert out.country == "SY"


def test_damascus_in_an_oregon_story_is_in_oregon() -> None:
    """Context wins over population: Damascus next to Oregon is Damascus, OR, and the story is US."""
    out = story("us-damascus-oregon.txt")
    damascus = place(out, "Damascus")
    assert (damascus["country_code"], damascus["admin1"]) == ("US", "OR")
    assert out.country == "US"
    validate_record(out.to_dict())


def test_springfield_illinois_is_not_the_bigger_springfield() -> None:
    """The state after the city picks Springfield, IL over the more populous Springfield, MO."""
    out = story("us-springfield-illinois.txt")
    assert place(out, "Springfield")["admin1"] == "IL" and out.country == "US"


def test_dateline_place_is_resolved_without_entities_naming_it() -> None:
    """A dateline place that no entity names is still resolved, and decides the country."""
    out = enriched(extract(ArticleRecord(id="d" * 24, job_id="job", source=ITEM.source,
                                         text="The ministry said talks with the US would resume.",
                                         dateline=Dateline("Aleppo", "SANA"))))
    assert place(out, "Aleppo")["country_code"] == "SY" and out.country == "SY"


def test_without_entities_the_stage_skips() -> None:
    """A record the entities stage did not enrich gets null places and country, reason no_entities."""
    record = extract(ArticleRecord(id="e" * 24, job_id="job", source=ITEM.source, text="Raqqa, Syria."))
    out = places.enrich(record)
    assert out.places is None and out.country is None
    assert out.provenance[-1].skipped == "no_entities"
    validate_record(out.to_dict())


def test_primary_country_weighs_dateline_places_and_country_mentions() -> None:
    """A dateline and one city outweigh four mentions of another country."""
    index = shared_index()
    syria_city, usa = index.lookup("Aleppo")[0], index.countries["US"]
    resolved = [Resolved(Mention("Aleppo", dateline=True), syria_city), Resolved(Mention("Aleppo"), syria_city),
                Resolved(Mention("US", count=4), usa)]
    assert primary_country(resolved) == "SY"
    assert primary_country([Resolved(Mention("US", count=4), usa)]) == "US"
    assert primary_country([]) is None


def test_shipped_index_is_current() -> None:
    """The precomputed index in the package matches the installed data and a fresh build of it."""
    options = GeoOptions()
    shipped = compact.load(options)
    assert shipped is not None, "rebuild with: python -m newsmill.enrich.geo.compact"
    built = build_index(options)
    assert len(shipped) == len(built)
    assert shipped.lookup("Dayr az Zawr") == built.lookup("Dayr az Zawr")



@pytest.mark.parametrize(("name", "expected"), [
    ("AI", []), ("LA", []), ("EU", []), ("UN", []), ("US", ["US"]), ("U.S.", ["US"]), ("UK", ["GB"]),
    ("Glasgow", ["GB"]), ("Nice", ["FR"])])
def test_initialisms_name_countries_or_nothing(name: str, expected: list[str]) -> None:
    """GeoNames lists `AI` among Ayr's alternate names and `EU` folds onto the town of Eu; an article's
    initialism is a country (or a US state) or no place at all, while a spelled-out name still resolves."""
    found = resolve(shared_index(), [Mention(name)])
    assert [item.place.country_code for item in found] == expected


def test_a_name_also_tagged_as_a_person_is_not_a_place() -> None:
    """`Mary` tagged GPE once and PERSON once is not Mary, Turkmenistan; Damascus stays a place."""
    record = ArticleRecord(id="f" * 24, job_id="job", source=ITEM.source, text="x", entities=[
        {"name": "Mary", "label": "GPE", "count": 1}, {"name": "Mary", "label": "PERSON", "count": 2},
        {"name": "Damascus", "label": "GPE", "count": 1}])
    assert [m.text for m in places.mentions(record) or []] == ["Damascus"]


def resolved_names(*mentions: Mention) -> list[tuple[str, str]]:
    return [(item.mention.text, item.place.country_code) for item in resolve(shared_index(), mentions)]


@pytest.mark.parametrize("word", ["gras", "turkey", "masala", "new city", "Green ★", "Asia", "Africa", "Downtown"])
def test_lower_case_words_symbols_and_continents_are_no_places(word: str) -> None:
    """From WCXB dev pages: 'foie gras' became Grasse, 'turkey' (the meat) Turkey, 'Asia' a Philippine town."""
    assert resolved_names(Mention(word), Mention("France"), Mention("Turkey")) == [("France", "FR"), ("Turkey", "TR")]


def test_us_is_a_country_only_written_as_an_initialism() -> None:
    """'About Us' is not the United States; 'US' is."""
    assert resolved_names(Mention("Us")) == []
    assert resolved_names(Mention("US")) == [("US", "US")]


@pytest.mark.parametrize(("name", "place"), [("Brighton", "Brighton"), ("Frankfurt", "Frankfurt am Main"),
                                             ("Torino", "Turin"), ("Mecca", "Makkah")])
def test_alternate_names_reach_only_big_cities(name: str, place: str) -> None:
    """GeoNames lists 'Brighton' for Beaver Falls, PA and 'Frankfurt' for Frankfort, KY; an alternate name
    is taken only for a big city (an exonym), so these reach Brighton, Frankfurt, Turin and Makkah."""
    assert [item.place.name for item in resolve(shared_index(), [Mention(name)])] == [place]


@pytest.mark.parametrize("name", ["Nokia", "Enter", "Trino", "Delta Junction"])
def test_a_small_town_alone_is_not_a_place(name: str) -> None:
    """Words tagged GPE in tech pages ('Nokia', the Enter key, the Trino engine) are small towns in
    GeoNames; with nothing else in their country they are not taken."""
    assert resolved_names(Mention(name), Mention("US")) == [("US", "US")]


def test_a_small_town_stands_with_its_country_or_state() -> None:
    """Tilburg beside the Netherlands and Springdale beside Arkansas are kept; Springdale alone is not."""
    assert ("Tilburg", "NL") in resolved_names(Mention("Tilburg"), Mention("Netherlands"))
    found = resolve(shared_index(), [Mention("Springdale"), Mention("Arkansas")])
    assert [(i.place.name, i.place.admin1) for i in found if i.mention.text == "Springdale"] == [("Springdale", "AR")]
    assert resolved_names(Mention("Springdale"), Mention("US")) == [("US", "US")]


@pytest.mark.parametrize("name", ["Charlotte", "Victoria", "Tyler"])
def test_a_common_first_name_alone_is_not_a_place(name: str) -> None:
    """'How Charlotte quickly filled her calendar': a lone first name is no city, however big."""
    assert resolved_names(Mention(name)) == []
    assert is_first_name(name)


def test_a_first_name_with_its_country_is_a_place() -> None:
    """'an Austin-based firm' in an article about American deals is Austin, Texas."""
    found = resolve(shared_index(), [Mention("Austin"), Mention("United States", count=2)])
    assert [(i.place.name, i.place.admin1) for i in found if i.mention.text == "Austin"] == [("Austin", "TX")]


def test_a_word_the_article_also_writes_in_lower_case_needs_support() -> None:
    """'Mobile' beside 'mobile apps' is no Mobile, Alabama, unless Alabama is named."""
    record = ArticleRecord(id="g" * 24, job_id="job", source=ITEM.source, title="Tech in 2026",
                           text="Talks on Mobile and AdTech. Build mobile apps in the US.",
                           entities=[{"name": "Mobile", "label": "GPE", "count": 1},
                                     {"name": "US", "label": "GPE", "count": 1}])
    assert [p["name"] for p in places.enrich(record).places or []] == ["United States"]


def test_the_state_or_country_written_after_a_name_picks_the_place() -> None:
    """'Bristol, England' and 'Aberdeen, Washington' are split by the entity model; the text still says
    which: Bristol in England, not Connecticut, and Aberdeen in Washington, not South Dakota."""
    record = ArticleRecord(
        id="h" * 24, job_id="job", source=ITEM.source,
        text="Parr lives in Bristol, England. Friedlander (b. 1934, Aberdeen, Washington) and shows in "
             "New York, Chicago and Los Angeles.",
        entities=[{"name": n, "label": "GPE", "count": 1} for n in
                  ("Bristol", "England", "Aberdeen", "Washington", "New York", "Chicago", "Los Angeles")])
    found = {p["mentions"][0]: (p["country_code"], p["admin1"]) for p in places.enrich(record).places or []}
    assert found["Bristol"][0] == "GB" and found["Aberdeen"] == ("US", "WA")


def test_country_needs_several_mentions_or_the_dateline() -> None:
    """One passing 'in the US' leaves the country null; two mentions or a dateline set it."""
    index = shared_index()
    usa = index.countries["US"]
    assert primary_country([Resolved(Mention("US"), usa)]) is None
    assert primary_country([Resolved(Mention("US", count=2), usa)]) == "US"
    assert primary_country([Resolved(Mention("Aleppo", dateline=True), index.lookup("Aleppo")[0])]) == "SY"


def test_the_place_index_is_loaded_once_whatever_way_it_is_asked_for() -> None:
    # The entities stage asks with no argument, the pipeline with the settings' options (None by default).
    from newsmill.enrich.geo.index import GeoOptions

    assert shared_index() is shared_index(None) is shared_index(GeoOptions())
