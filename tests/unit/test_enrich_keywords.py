"""Unit tests of the keywords enrichment (YAKE over the headline and the body)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yake  # type: ignore[import-untyped]

from newsmill.clean import clean
from newsmill.enrich import keywords
from newsmill.extract import extract
from newsmill.record import ArticleRecord, Document, Source, WorkItem
from tests.conftest import ROOT, SEED, validate_record

FIXTURES = ROOT / "tests" / "fixtures" / "enrich"


def article(path: Path, **hints: str) -> ArticleRecord:
    """A text file through the real clean and extract stages."""
    doc = Document(item=WorkItem("job", Source("file", str(path))), id="e" * 24, content_kind="text",
                   body=path.read_text(encoding="utf-8"), hints=hints)
    return extract(clean(doc))


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+(?:[-'’]\w+)*", text.casefold()))


def spanning(found: list[str], title: str, text: str) -> list[str]:
    """Keywords found neither in the headline alone nor in the body alone: they run across both."""
    return [k for k in found if _norm(k) not in _norm(title) and _norm(k) not in _norm(text)]


def test_seed_keywords_are_ranked_and_stay_within_headline_or_body() -> None:
    """The seed gets up to ten keywords, best (lowest score) first, none spanning headline and body."""
    record = keywords.enrich(article(SEED))
    found = record.keywords
    assert 5 <= len(found) <= keywords.TOP
    assert [k["score"] for k in found] == sorted(k["score"] for k in found)
    assert any("Deir Ezzor" in k["keyword"] for k in found)
    assert spanning([k["keyword"] for k in found], record.title or "", record.text or "") == []
    assert record.provenance[-1].stage == "enrich.keywords" and record.provenance[-1].skipped is None
    validate_record(record.to_dict())


def test_headline_joined_as_a_sentence_prevents_spanning_phrases() -> None:
    """Joined naively, YAKE finds a phrase across headline and dateline; the stage's join does not."""
    record = article(FIXTURES / "text_council_transit.txt")
    title, text = record.title or "", record.text or ""
    naive = yake.KeywordExtractor(n=3, top=20, stopwords=set(keywords.stopwords("en") or ()))
    assert spanning([k for k, _ in naive.extract_keywords(f"{title} {text}")], title, text) != []
    ours = keywords.extract_keywords(title, text, keywords.stopwords("en") or frozenset(), top=20)
    assert spanning([k["keyword"] for k in ours], title, text) == []


def test_french_article_uses_french_stopwords() -> None:
    """A French article gets keywords, and none starts or ends with a French stopword."""
    record = keywords.enrich(article(FIXTURES / "text_fr_greve.txt"))
    assert record.language == "fr"
    found = [k["keyword"].lower().split() for k in record.keywords]
    french = keywords.stopwords("fr") or frozenset()
    assert found and all(words[0] not in french and words[-1] not in french for words in found)
    validate_record(record.to_dict())


def test_language_without_stopwords_is_skipped() -> None:
    """Swahili (no yake list) and an unknown language skip with no_model_for_language, keywords null."""
    base = article(SEED)
    for language in ("sw", None):
        record = keywords.enrich(dataclasses.replace(base, language=language))
        assert record.keywords is None
        assert record.provenance[-1].skipped == "no_model_for_language"
        validate_record(record.to_dict())


def test_short_text_is_skipped() -> None:
    """A text of a dozen words is too short for YAKE's statistics."""
    record = keywords.enrich(dataclasses.replace(article(SEED), text="The ministry sent two letters to the UN."))
    assert record.keywords is None and record.provenance[-1].skipped == "text_too_short"


def test_stopword_lists_map_iso_codes_to_yake_files() -> None:
    """Czech (yake's file is 'cz') has a list; Chinese, unsegmented, has none."""
    assert "jsou" in (keywords.stopwords("cs") or frozenset())
    assert keywords.stopwords("zh") is None and keywords.stopwords("xx") is None
