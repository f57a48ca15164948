"""Every command in README.md and docs/*.md is run (or, where it needs what this machine cannot have,
checked against what it names), so the documentation cannot drift from the product.

Fenced blocks by info string:

- ``sh``: run as written with bash (``set -e``) in a sandbox folder holding ``seeds/``, an ``archive/``
  of gzipped pages, a ``urls.txt`` and the files the block names; ``https://news.example.org`` is served
  by a loopback HTTP server (the only rewrite besides the test's own Redis database and key prefix);
- ``sh setup``: the README's two opening commands: the first is run without its ``pip install .`` (this
  environment is the installed project), the second must be what ``.ci/run`` runs, verbatim;
- ``sh docker``: needs a Docker engine, which this machine lacks: every service and profile a line names
  must exist in docker-compose.yml; tests/deploy/test_compose_processes.py runs those services' commands;
- ``sh lock``: regenerates deploy/requirements.lock: its flags must be the ones the lock was made with.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from newsmill.testing.httpserver import HTTPTestServer, page
from tests.conftest import ROOT, SEED, read_jsonl

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.M | re.S)
FIXTURES = ROOT / "tests" / "fixtures" / "clean"


def blocks(kind: str) -> list[tuple[str, str]]:
    """(where, text) of every fenced block whose info string is exactly ``kind``."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1).strip() == kind:
                line = text[:match.start()].count("\n") + 1
                found.append((f"{path.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def test_every_fenced_block_has_a_known_kind() -> None:
    """A block of commands without a kind would escape this file's tests."""
    known = {"sh", "sh setup", "sh docker", "sh lock", "json", "text"}
    for path in DOCS:
        for match in FENCE.finditer(path.read_text(encoding="utf-8")):
            assert match.group(1).strip() in known, f"{path.name}: fence '{match.group(1)}' (use one of {known})"


ARTICLE = gzip.decompress((FIXTURES / "wcxb-0480.html.gz").read_bytes()).decode("utf-8")


HOST = "news.example.org"
"""Resolved to 127.0.0.1 by NEWSMILL_FETCH_RESOLVE: nothing leaves the machine."""


def site_url(server: HTTPTestServer, path: str = "") -> str:
    return f"http://{HOST}:{server.port}{path}"


@pytest.fixture()
def news_site() -> Iterator[HTTPTestServer]:
    """news.example.org on loopback: a feed, a sitemap and the pages they list."""
    with HTTPTestServer() as server:
        for n in range(2):
            server.route(f"/story/{n}", page(ARTICLE.replace("</title>", f" {n}</title>")))
        items = "".join(f"<item><link>{site_url(server, f'/story/{n}')}</link></item>" for n in range(2))
        server.route("/rss.xml", page(f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
                                      content_type="application/rss+xml"))
        urls = "".join(f"<url><loc>{site_url(server, f'/story/{n}')}</loc></url>" for n in range(2))
        server.route("/sitemap.xml", page(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
            content_type="application/xml"))
        yield server


def sandbox(tmp_path: Path, site: HTTPTestServer) -> Path:
    where = tmp_path / "sandbox"
    shutil.copytree(ROOT / "seeds", where / "seeds")
    (where / "archive" / "2026").mkdir(parents=True)
    shutil.copy(FIXTURES / "wcxb-0480.html.gz", where / "archive" / "2026" / "page.html.gz")
    (where / "urls.txt").write_text(f"{site_url(site, '/story/0')}\n{site_url(site, '/story/1')}\n",
                                    encoding="utf-8")
    return where


def run_block(script: str, *, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    # Background workers (`cmd &`) are stopped when the block ends, as the reader would stop them.
    wrapped = "set -euo pipefail\ntrap 'jobs -p | xargs -r kill 2>/dev/null || true; wait' EXIT\n" + script
    done = subprocess.run(["bash", "-c", wrapped], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}\n{script}\n--- stderr\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


POSTGRES_IN_DOCS = "postgresql://postgres@127.0.0.1:5432/news"
"""The database the README's PostgreSQL recipe names; the test gives it a database of its own."""


def test_the_sh_blocks_run_as_written(tmp_path: Path, news_site: HTTPTestServer, redis_url: str,
                                      prefix: str, postgres_url: str) -> None:
    where = sandbox(tmp_path, news_site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
    env.update({"NEWSMILL_FETCH_ALLOW_ADDRESSES": "127.0.0.1", "NEWSMILL_FETCH_RESOLVE": f"{HOST}=127.0.0.1",
                "NEWSMILL_FETCH_RATE": "50",
                "NEWSMILL_PREFIX": prefix, "NEWSMILL_LOG_FORMAT": "json",
                # Lighter enrichment keeps the runs short; blocks that choose --enrich still do.
                "NEWSMILL_ENRICH": "reading_time,keywords", "NEWSMILL_CPU_CONCURRENCY": "2"})
    ran = blocks("sh")
    assert len(ran) >= 3, ran
    for where_from, script in ran:
        script = script.replace(f"https://{HOST}", site_url(news_site))
        script = script.replace("redis://127.0.0.1:6379/0", redis_url)
        script = script.replace(POSTGRES_IN_DOCS, postgres_url)
        output = run_block(script, cwd=where, env=env)
        assert "Traceback" not in output, f"{where_from}\n{output[-3000:]}"
        if postgres_url in script:  # the PostgreSQL recipe: psql shows the seed's row
            assert re.search(r"Damascus: US-led coalition.*\|\s*351\s*$", output, re.M), output[-2000:]
    # What the README's recipes promise, in the files they name.
    assert [r["status"] for r in read_jsonl(where / "out.jsonl")] == ["ok", "ok"]  # the seed and the archive page
    assert len(read_jsonl(where / "urls.jsonl")) == 2
    assert len(read_jsonl(where / "feed.jsonl")) == 2 and len(read_jsonl(where / "sitemap.jsonl")) == 2
    assert len(read_jsonl(where / "watched.jsonl")) == 2  # run --watch: the feed's two articles, once each
    delivered = read_jsonl(where / "articles.jsonl")
    assert sorted(r["source"]["kind"] for r in delivered) == ["file", "url", "url"], delivered
    # `newsmill export "$JOB" -o articles.parquet`: the job's records (the seed and two URLs), as Parquet.
    exported = pq.read_table(where / "articles.parquet").to_pylist()
    assert sorted(r["id"] for r in exported) == sorted(r["id"] for r in delivered)


def test_the_setup_commands_are_the_ones_that_work(tmp_path: Path) -> None:
    [(_, setup)] = blocks("sh setup")
    first, second = [line.strip() for line in setup.strip().splitlines()]
    assert first.startswith("pip install . && ")
    main_job = first.removeprefix("pip install . && ")
    where = tmp_path / "fresh"
    shutil.copytree(ROOT / "seeds", where / "seeds")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMILL_")}
    run_block(main_job, cwd=where, env=env)
    [record] = read_jsonl(where / "out.jsonl")
    assert record["status"] == "ok" and record["source"]["location"].endswith(SEED.name)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci.splitlines(), "the README's test command must be what CI runs, verbatim"


def test_the_docker_commands_name_what_the_compose_file_has() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = set(compose["services"])
    profiles = {p for s in compose["services"].values() for p in s.get("profiles", [])}
    lines = [line for _, text in blocks("sh docker") for line in text.splitlines() if line.strip()]
    assert lines
    for line in lines:
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "cp" and words[1] == ".env.example":
            assert (ROOT / words[1]).exists(), line
            continue
        if words[0] != "docker":
            continue
        assert words[1] == "compose", line
        named = [w for w in words if w in services] + [w.split("=")[0] for w in words if "=" in w
                                                          and w.split("=")[0] in services]
        for option, value in itertools.pairwise(words):
            if option == "--profile":
                assert value in profiles, line
            if option == "--scale":
                assert value.split("=")[0] in services, line
        if words[2] in ("exec", "run"):
            assert named, f"{line}: names no service of docker-compose.yml"


def _options(words: list[str]) -> dict[str, str]:
    """``--name value`` and ``--name=value`` alike, as {name: value}."""
    found: dict[str, str] = {}
    pending: str | None = None
    for word in words:
        if pending is not None:
            found[pending] = word
            pending = None
        elif word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            found[name] = value
        elif word in ("--pip-args", "--output-file"):
            pending = word
        elif word.startswith("--"):
            found[word] = ""
    return found


def test_the_lock_command_is_the_one_the_lock_was_made_with() -> None:
    [(_, text)] = blocks("sh lock")
    documented = shlex.split(text.replace("\\\n", " ").splitlines()[-1])
    header = next(line for line in (ROOT / "deploy" / "requirements.lock").read_text().splitlines()
                  if line.lstrip("# ").startswith("pip-compile "))
    made_with = shlex.split(header.lstrip("# "))
    assert _options(documented) == _options(made_with), (documented, made_with)
