"""The enrichment chain on the seed, through the distributed path (real io and cpu workers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import redis

from newsmill.testing.worker_processes import WorkerProcesses
from tests.conftest import SEED, read_jsonl, validate_record
from tests.integration.test_seed_distributed import cli


def run_job(env: dict[str, str], path: Path) -> dict[str, Any]:
    job_id = cli(env, "enqueue", str(path)).strip()
    status = json.loads(cli(env, "status", job_id, "--json", "--wait", timeout=300))
    assert status["finished"] and status["ok"] == 1, status
    records = [r for r in read_jsonl(Path(env["NEWSMILL_JSONL_PATH"])) if r["job_id"] == job_id]
    assert len(records) == 1
    validate_record(records[0])
    return records[0]


def near(place: dict[str, Any], lat: float, lon: float) -> bool:
    return abs(place["latitude"] - lat) <= 0.1 and abs(place["longitude"] - lon) <= 0.1


def edited_seed_jsonl(folder: Path) -> Path:
    """The seed as a JSONL line with a publication date and a few words edited."""
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    body = body.replace("brutal crimes", "terrible crimes").replace("top UN chiefs", "senior UN officials")
    body = body.replace("lashed out at", "criticised")
    path = folder / "edited.jsonl"
    path.write_text(json.dumps({"title": title, "text": body, "published": "2017-10-25"}) + "\n", encoding="utf-8")
    return path


def test_seed_is_enriched_through_real_workers(workers: WorkerProcesses, worker_env: dict[str, str],
                                               redis_client: redis.Redis, tmp_path: Path) -> None:
    """Entities, places, dates, quotes, events, keywords, summary and near-duplicates on the seed."""
    workers.start("--queues", "io", "--concurrency", "4")
    workers.start("--queues", "cpu", "--concurrency", "2")
    workers.wait_ready(timeout=120)
    seed = run_job(worker_env, SEED)

    entities = {(e["label"], e["name"]) for e in seed["entities"]}
    for place in ("Raqqa", "Deir Ezzor", "Damascus"):
        assert ("GPE", place) in entities or ("LOC", place) in entities, place
    assert {("ORG", "UN Security Council"), ("ORG", "ISIS"), ("NORP", "Syrian")} <= entities
    assert not any("Frieh" in name or name == "Said" for _label, name in entities)

    places = {p["name"]: p for p in seed["places"]}
    raqqa = next(p for p in seed["places"] if "Raqqa" in p["mentions"])
    deir = next(p for p in seed["places"] if "Deir Ezzor" in p["mentions"])
    assert raqqa["country_code"] == "SY" and near(raqqa, 35.95, 39.01)
    assert deir["country_code"] == "SY" and near(deir, 35.34, 40.14)
    assert places["Damascus"]["country_code"] == "SY" and near(places["Damascus"], 33.51, 36.29)
    assert seed["country"] == "SY"

    mention = next(m for m in seed["dates"]["mentions"] if m["text"] == "October 23rd")
    assert mention["resolved"] is None  # no publication date: no anchor, no guess

    quotes = {q["text"]: q for q in seed["quotes"]}
    for text in ("suspicious", "subversive", "frantic", "wiped the city off the face of earth", "safe exit",
                 "heinous", "complicit"):
        assert text in quotes, text
    assert quotes["suspicious"]["speaker"] == "Foreign Ministry"
    long_quote = next(q for q in seed["quotes"] if q["text"].startswith("Will not succeed in consolidating"))
    assert long_quote["speaker"] == "letters"

    events = seed["events"]
    assert any(e["type"] == "killed" and e["quantity"] == 14 and e["place"] == "Deir Ezzor"
               and e["date_text"] == "October 23rd" for e in events)
    assert any(e["type"] == "injured" and e["quantity"] == 40 and e["qualifier"] == "more than"
               and e["place"] == "Deir Ezzor" for e in events)
    assert any(e["type"] == "killed" and e["quantity_text"] == "thousands" and e["place"] == "Raqqa"
               for e in events)

    assert seed["keywords"] and 2 <= seed["summary"].count(". ") + 1 <= 3
    seam = f'{seed["title"].split()[-1]} {seed["text"].split()[0]}'.lower()  # "raqqa foreign"
    assert not any(seam in k["keyword"].lower() for k in seed["keywords"])
    assert seed["duplicate_of"] is None

    edited = run_job(worker_env, edited_seed_jsonl(tmp_path))
    assert edited["id"] != seed["id"]
    assert edited["duplicate_of"] == seed["id"] and edited["similarity"] > 0.5
    mention = next(m for m in edited["dates"]["mentions"] if m["text"] == "October 23rd")
    assert mention["resolved"] == "2017-10-23"
