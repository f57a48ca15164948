"""Benchmark (not a test): how right the places stage is, against hand-labelled place mentions.

Each article of the WCXB dev corpus (Murrough Foley, 2026, CC-BY-4.0) is run in this process through
extract, entities and places, from its human ground truth (title and main content, the dateline split
off the first paragraph as the cleaners do), so extraction changes do not move the numbers. A resolved
mention is one (article, surface, GeoNames id) the places stage produced.

- precision: of the produced mentions the fixture labels, the share labelled correct, overall and per
  set (``tuning``: the articles the rules were written against; ``held-out``: labelled afterwards);
- recall: over the articles whose missed places were labelled too, the produced correct mentions over
  every place mention the fixture knows there (labelled correct, whichever code version produced it,
  or labelled missed);
- unlabelled: produced mentions of fixture articles that the fixture does not label (label them);
- the 30 most frequent (surface → GeoNames name, country) pairs over 300 articles, to eyeball.

The fixture and how it was labelled: tests/fixtures/places/ (README.md).

    python bench/places.py [--corpus DIR] [--articles 300] [--candidates OUT.jsonl]

``--candidates`` writes every produced mention of the first ``--articles`` articles with a context
sentence and any label it already has, for a labeller.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmill.enrich import entities, places  # noqa: E402
from newsmill.errors import Drop  # noqa: E402
from newsmill.extract import extract  # noqa: E402
from newsmill.record import ArticleRecord, Source  # noqa: E402
from newsmill.text.dateline import split_dateline  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "wcxb-dev"
FIXTURE = ROOT / "tests" / "fixtures" / "places" / "labelled_mentions.jsonl"
ORDER_SEED = 12
"""Articles are taken in one shuffled order (random.Random(ORDER_SEED)), the fixture's and the top list's."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Produced:
    article: str
    surface: str
    geonameid: int
    name: str
    country_code: str
    admin1: str | None
    kind: str
    context: str

    @property
    def key(self) -> tuple[str, str, int]:
        return self.article, self.surface, self.geonameid


def article_order(corpus: Path) -> list[Path]:
    """The corpus's article pages in the benchmark's fixed shuffled order."""
    pages = []
    for path in sorted((corpus / "ground-truth").glob("*.json")):
        if json.loads(path.read_text(encoding="utf-8"))["page_type"] == "article":
            pages.append(path)
    random.Random(ORDER_SEED).shuffle(pages)
    return pages


def record_of(path: Path) -> ArticleRecord:
    """The article as the cleaners would hand it on, built from its ground truth."""
    truth = json.loads(path.read_text(encoding="utf-8"))
    paragraphs = [p.strip() for p in str(truth["main_content"]).split("\n\n") if p.strip()]
    dateline = None
    if paragraphs:
        dateline, rest = split_dateline(paragraphs[0])
        paragraphs = ([rest] if rest.strip() else []) + paragraphs[1:]
    return ArticleRecord(id=f"{truth['file_id']:0>24}", job_id="bench", source=Source("file", str(path)),
                         title=truth.get("title") or None, text="\n\n".join(paragraphs), dateline=dateline)


def context(record: ArticleRecord, surface: str) -> str:
    """The first sentence of the title or text that holds ``surface`` (the dateline if only it does)."""
    word = re.compile(rf"(?<!\w){re.escape(surface)}(?!\w)")
    for chunk in (record.title or "", record.text or ""):
        for sentence in _SENTENCE_END.split(chunk):
            if word.search(sentence):
                return sentence[:400]
    if record.dateline and record.dateline.place == surface:
        return f"[dateline] {surface}"
    return ""


def produced(path: Path) -> list[Produced]:
    try:
        record = extract(record_of(path))
    except Drop:
        return []
    out = places.enrich(entities.enrich(record))
    found = []
    for place in out.places or ():
        for surface in place["mentions"]:
            found.append(Produced(path.stem, surface, int(place["geonameid"]), str(place["name"]),
                                  str(place["country_code"]), place["admin1"], str(place["kind"]),
                                  context(out, surface)))
    return found


def read_fixture(path: Path) -> tuple[dict[tuple[str, str, int], dict[str, Any]], set[str], set[str]]:
    """Labels by key, the fixture's articles, and the articles whose misses were labelled (for recall)."""
    labels: dict[tuple[str, str, int], dict[str, Any]] = {}
    articles: set[str] = set()
    recall_articles: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("recall_checked_articles"):
            recall_articles.update(row["recall_checked_articles"])
            continue
        labels[(row["article"], row["surface"], int(row["geonameid"]))] = row
        articles.add(row["article"])
    return labels, articles, recall_articles


def score(found: list[Produced], labels: dict[tuple[str, str, int], dict[str, Any]],
          recall_articles: set[str]) -> dict[str, Any]:
    keys = {p.key for p in found}
    judged = [labels[k]["label"] for k in keys if k in labels]
    correct = judged.count("correct")
    incorrect = judged.count("incorrect")
    truth = {k for k, row in labels.items() if k[0] in recall_articles and row["label"] in ("correct", "missed")}
    hits = len(truth & keys)
    return {
        "produced": len(keys), "correct": correct, "incorrect": incorrect,
        "precision": correct / max(1, correct + incorrect),
        "truth": len(truth), "found": hits, "recall": hits / max(1, len(truth)),
        "unlabelled": sorted(k for k in keys if k not in labels),
        "wrong": sorted(k for k in keys if labels.get(k, {}).get("label") == "incorrect"),
        "missed": sorted(truth - keys),
    }


def run(paths: list[Path]) -> Iterator[Produced]:
    for path in paths:
        yield from produced(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--articles", type=int, default=300, help="articles for the frequency list")
    parser.add_argument("--candidates", type=Path, help="write produced mentions with contexts here")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth").is_dir():
        parser.error(f"no ground-truth folder in {args.corpus}")
    order = article_order(args.corpus)
    labels, fixture_articles, recall_articles = read_fixture(args.fixture) if args.fixture.is_file() else ({}, set(),
                                                                                                        set())
    if args.candidates:
        with args.candidates.open("w", encoding="utf-8") as out:
            for item in run(order[:args.articles]):
                label = labels.get(item.key, {})
                out.write(json.dumps({**item.__dict__, "label": label.get("label"), "note": label.get("note")},
                                     ensure_ascii=False) + "\n")
        print(f"wrote {args.candidates}")
        return

    fixture_paths = [p for p in order if p.stem in fixture_articles]
    found = list(run(fixture_paths))
    result = score(found, labels, recall_articles)
    print(f"fixture: {len(labels)} labels over {len(fixture_articles)} articles "
          f"({len(recall_articles)} with their missed places labelled)")
    print(f"produced mentions in fixture articles: {result['produced']}  labelled correct {result['correct']}, "
          f"incorrect {result['incorrect']}, unlabelled {len(result['unlabelled'])}")
    print(f"precision {result['precision']:.3f}   recall {result['recall']:.3f} "
          f"({result['found']} of {result['truth']} place mentions in the recall articles)")
    # The rules were tuned on the "tuning" articles; the "held-out" ones were labelled after, unseen.
    for name in sorted({row.get("set", "tuning") for row in labels.values()}):
        articles = {k[0] for k, row in labels.items() if row.get("set", "tuning") == name}
        part = score([p for p in found if p.article in articles], labels, set())
        print(f"  {name}: {len(articles)} articles, {part['produced']} produced, precision {part['precision']:.3f} "
              f"({part['correct']} correct, {part['incorrect']} incorrect)")
    for title, keys in (("wrong", result["wrong"]), ("missed", result["missed"]),
                        ("unlabelled", result["unlabelled"])):
        for key in keys:
            row = labels.get(key, {})
            print(f"  {title}: {key[0]} {key[1]!r} → {key[2]} {row.get('name', '')} {row.get('note', '') or ''}")

    pairs: Counter[tuple[str, str, str]] = Counter()
    for item in run(order[:args.articles]):
        pairs[(item.surface, item.name, item.country_code)] += 1
    print(f"\n30 most frequent (surface → GeoNames name, country) over {args.articles} articles:")
    for (surface, name, country), count in pairs.most_common(30):
        print(f"{count:>5}  {surface} → {name}, {country}")


if __name__ == "__main__":
    main()
