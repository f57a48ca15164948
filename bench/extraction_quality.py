"""Benchmark (not a test): how close the clean stage's title, authors, date and text come to the
human-reviewed ground truth of the WCXB dev corpus (Web Content eXtraction Benchmark, Murrough Foley,
2026, CC-BY-4.0), over its article pages.

Per field, on the articles whose ground truth has a value:
- title: equal after folding case, quotes, dashes and whitespace;
- author: the first name we report equals the ground truth's first name (credentials such as
  ``, MS, RD`` and a ``By`` prefix removed on both sides); ``spurious`` counts articles with no author
  in the ground truth where we report one;
- date: the same day;
- text: word-level precision, recall and F1 of the body against ``main_content`` (as the benchmark
  scores extractors), and the share of the benchmark's ``with`` snippets found in our text and of its
  ``without`` snippets (boilerplate) absent from it.

    python bench/extraction_quality.py [--corpus ../shared/corpus/wcxb-dev] [--workers 2]
                                       [--show title|author|date|text|boilerplate] [--half even|odd]

``--half`` scores only the pages whose file number is even (or odd): a rule tuned on one half should
hold on the other. The clean stage's mean CPU time per page is printed last.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmill.clean import clean  # noqa: E402
from newsmill.errors import Drop  # noqa: E402
from newsmill.load.files import load_file  # noqa: E402
from newsmill.record import Source, WorkItem  # noqa: E402

MAX_BYTES = 20 * 1024 * 1024
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_WORD = re.compile(r"\w+")
_CREDENTIALS = re.compile(r",.*$|\s+(?:and|&)\s+.*$|^by\s+", re.IGNORECASE)


def fold(text: str) -> str:
    return " ".join(text.translate(_FOLD).split()).casefold()


def first_name(author: str) -> str:
    return fold(_CREDENTIALS.sub("", author.strip()).strip())


def word_f1(ours: str, truth: str) -> tuple[float, float, float]:
    mine, gold = Counter(_WORD.findall(ours.casefold())), Counter(_WORD.findall(truth.casefold()))
    common = sum((mine & gold).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(mine.values()), common / sum(gold.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


@dataclass
class Scored:
    page: str
    truth: dict[str, Any]
    status: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    text: str = ""
    seconds: float = 0.0


def score(args: tuple[str, dict[str, Any]]) -> Scored:
    page, truth = args
    item = WorkItem(job_id="bench", source=Source("file", page))
    doc = load_file(item, max_bytes=MAX_BYTES)
    started = time.process_time()
    try:
        record = clean(doc)
    except Drop as drop:
        return Scored(page, truth, drop.reason, seconds=time.process_time() - started)
    return Scored(page, truth, "ok", record.title, record.authors, record.published, record.text or "",
                  seconds=time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wcxb-dev")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--show", choices=["title", "author", "date", "text", "boilerplate"],
                        help="list the misses of one field (text: the 40 lowest word F1; boilerplate: the "
                             "'without' snippets our text still holds)")
    parser.add_argument("--half", choices=["even", "odd"], help="only pages whose file number is even (odd)")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth").is_dir():
        parser.error(f"no ground-truth folder under {args.corpus}")

    pages = []
    for path in sorted((args.corpus / "ground-truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        page = args.corpus / "html" / f"{path.stem}.html.gz"
        if args.half and int(path.stem) % 2 != (args.half == "odd"):
            continue
        if truth["page_type"] == "article" and page.exists():
            pages.append((str(page), truth))
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(score, pages, chunksize=8))

    ok = [r for r in results if r.status == "ok"]
    print(f"articles: {len(results)}; ok {len(ok)}; dropped {len(results) - len(ok)}")
    misses: dict[str, list[str]] = {"title": [], "author": [], "date": [], "text": [], "boilerplate": []}

    titled = [r for r in results if r.truth.get("title")]
    title_hits = sum(1 for r in titled if r.title and fold(r.title) == fold(r.truth["title"]))
    misses["title"] = [f"{Path(r.page).name}: {r.title!r} ≠ {r.truth['title']!r}" for r in titled
                       if not (r.title and fold(r.title) == fold(r.truth["title"]))]
    print(f"title   exact {title_hits}/{len(titled)} = {title_hits / len(titled):.3f}")

    authored = [r for r in results if r.truth.get("author")]
    author_hits = sum(1 for r in authored if r.authors and first_name(r.authors[0]) == first_name(r.truth["author"]))
    found = sum(1 for r in authored if r.authors)
    spurious = sum(1 for r in results if not r.truth.get("author") and r.authors)
    unauthored = sum(1 for r in results if not r.truth.get("author"))
    misses["author"] = [f"{Path(r.page).name}: {list(r.authors)} ≠ {r.truth['author']!r}" for r in authored
                        if not (r.authors and first_name(r.authors[0]) == first_name(r.truth["author"]))]
    misses["author"] += [f"{Path(r.page).name}: {list(r.authors)} spurious" for r in results
                         if not r.truth.get("author") and r.authors]
    print(f"author  first name {author_hits}/{len(authored)} = {author_hits / len(authored):.3f}; "
          f"any author {found}/{len(authored)}; spurious {spurious}/{unauthored}")

    dated = [r for r in results if r.truth.get("publish_date")]
    date_hits = sum(1 for r in dated if r.published and r.published[:10] == r.truth["publish_date"][:10])
    misses["date"] = [f"{Path(r.page).name}: {r.published!r} ≠ {r.truth['publish_date']!r}" for r in dated
                      if not (r.published and r.published[:10] == r.truth["publish_date"][:10])]
    print(f"date    same day {date_hits}/{len(dated)} = {date_hits / len(dated):.3f}")

    scores = [word_f1(r.text, r.truth.get("main_content") or "") for r in results]
    print("text    word precision {:.3f}  recall {:.3f}  F1 {:.3f} (mean over all articles; dropped = 0)".format(
        *(statistics.fmean(s[i] for s in scores) for i in range(3))))
    worst = sorted(zip(results, scores, strict=True), key=lambda pair: pair[1][2])[:40]
    misses["text"] = [f"{Path(r.page).name}: P {p:.2f} R {rc:.2f} F1 {f:.2f} ({r.status}) {r.truth['url']}"
                      for r, (p, rc, f) in worst]
    misses["boilerplate"] = [f"{Path(r.page).name}: {s!r}" for r in ok for s in r.truth.get("without") or []
                             if fold(s) in fold(r.text)]
    with_found = [fold(s) in fold(r.text) for r in results for s in r.truth.get("with") or []]
    without_absent = [fold(s) not in fold(r.text) for r in ok for s in r.truth.get("without") or []]
    print(f"text    'with' snippets found {sum(with_found) / len(with_found):.3f}; "
          f"'without' snippets absent {sum(without_absent) / len(without_absent):.3f}")
    print(f"time    clean stage {1000 * statistics.fmean(r.seconds for r in results):.1f} ms CPU per page (mean)")
    if args.show:
        print("\n".join(misses[args.show]))


if __name__ == "__main__":
    main()
