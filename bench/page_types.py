"""Benchmark (not a test): what the clean stage makes of each page type of the WCXB dev corpus.

The corpus (Web Content eXtraction Benchmark, Murrough Foley, 2026, CC-BY-4.0) labels every page
``article`` or one of six other types (product, collection, listing, forum, service, documentation).
Each page goes through the real load and clean stages; the script prints, per page type, how many
came out ``ok`` and how many were dropped for which reason, and then the two numbers that matter for
the ``not_article`` rule: articles it dropped (must stay 0) and other pages it caught.

    python bench/page_types.py [--corpus ../shared/corpus/wcxb-dev] [--workers 2] [--half even|odd]

``--half`` takes only the pages whose file number is even (or odd), to check a rule on the other half.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmill.clean import clean  # noqa: E402
from newsmill.errors import Drop  # noqa: E402
from newsmill.load.files import load_file  # noqa: E402
from newsmill.record import Source, WorkItem  # noqa: E402

MAX_BYTES = 20 * 1024 * 1024


def outcome(page: str) -> str:
    """``ok`` or the drop reason of one page through load and clean."""
    item = WorkItem(job_id="bench", source=Source("file", page))
    try:
        clean(load_file(item, max_bytes=MAX_BYTES))
    except Drop as drop:
        return drop.reason
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wcxb-dev")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--half", choices=["even", "odd"], help="only pages whose file number is even (odd)")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth").is_dir():
        parser.error(f"no ground-truth folder under {args.corpus}")

    labels: dict[str, str] = {}
    for truth in sorted((args.corpus / "ground-truth").glob("*.json")):
        page = args.corpus / "html" / f"{truth.stem}.html.gz"
        if args.half and int(truth.stem) % 2 != (args.half == "odd"):
            continue
        if page.exists():
            labels[str(page)] = json.loads(truth.read_text(encoding="utf-8"))["page_type"]
    with ProcessPoolExecutor(args.workers) as pool:
        outcomes = dict(zip(labels, pool.map(outcome, labels, chunksize=8), strict=True))

    table: dict[str, Counter[str]] = defaultdict(Counter)
    for page, label in labels.items():
        table[label][outcomes[page]] += 1
    print(f"{'page type':15s} {'pages':>5s}  outcomes")
    for label in sorted(table, key=lambda name: (name != "article", name)):
        counts = table[label]
        shown = ", ".join(f"{reason} {count}" for reason, count in counts.most_common())
        print(f"{label:15s} {sum(counts.values()):5d}  {shown}")
    articles = sum(table["article"].values())
    others = sum(sum(c.values()) for label, c in table.items() if label != "article")
    print(f"\nnot_article: articles dropped {table['article']['not_article']}/{articles}, "
          f"other pages caught {sum(c['not_article'] for label, c in table.items() if label != 'article')}"
          f"/{others}")
    kept = sum(c["ok"] for label, c in table.items() if label != "article")
    print(f"other pages still ok: {kept}/{others}; articles ok: {table['article']['ok']}/{articles}")


if __name__ == "__main__":
    main()
