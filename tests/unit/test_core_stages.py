"""Unit tests of the small core stages and the pipeline's rules around every stage."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsmill import __version__, stage_version
from newsmill.enrich import reading_time
from newsmill.errors import Drop, Failure, Retryable
from newsmill.extract import extract, identify_language
from newsmill.ids import canonical_url, content_hash, id_for_url
from newsmill.pipeline import Stage, end_record, run_stage, stages_for
from newsmill.record import (
    ArticleRecord,
    Document,
    Payload,
    Source,
    StageRun,
    WorkItem,
    payload_from_dict,
    payload_to_dict,
)
from newsmill.resources import Resources
from newsmill.settings import Settings
from tests.conftest import ROOT, validate_record

ITEM = WorkItem("job", Source("file", "/data/x.html"))


def record(**changes: object) -> ArticleRecord:
    base = ArticleRecord(id="c" * 24, job_id="job", source=ITEM.source, title="T",
                         text="The minister said the talks would resume next week in Geneva.")
    return ArticleRecord(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_extract_sets_language_words_and_hash() -> None:
    """extract fills language, word count and content hash and records provenance."""
    out = extract(record())
    assert (out.language, out.word_count) == ("en", 11)
    assert out.content_hash == content_hash(out.text or "")
    assert out.provenance[-1].stage == "extract" and out.provenance[-1].fields["language"] == "py3langid"


def test_extract_keeps_a_language_the_input_declared() -> None:
    """A language supplied by the input is not overwritten by detection."""
    out = extract(record(language="fr"))
    assert out.language == "fr" and "language" not in out.provenance[-1].fields


def test_extract_drops_empty_text() -> None:
    """A record without text is dropped, not failed."""
    with pytest.raises(Drop) as caught:
        extract(record(text="  "))
    assert caught.value.reason == "empty"


def test_language_identification_on_other_languages() -> None:
    """py3langid tells French and German apart from English."""
    assert identify_language("Le gouvernement a annoncé mardi une nouvelle réforme des retraites.")[0] == "fr"
    assert identify_language("Die Regierung hat am Dienstag eine neue Rentenreform angekündigt.")[0] == "de"


def test_reading_time_uses_word_count() -> None:
    """476 words read in two minutes."""
    assert reading_time.enrich(record(word_count=476)).reading_time_min == 2.0


def test_canonical_url_ignores_fragment_tracking_and_case() -> None:
    """Two spellings of one article URL give one id."""
    a = "https://Example.com/news/story?utm_source=x&id=3#comments"
    b = "https://example.com/news/story?id=3"
    assert canonical_url(a) == canonical_url(b)
    assert id_for_url(a) == id_for_url(b)


def test_content_hash_ignores_whitespace_and_case() -> None:
    """Line breaks and non-breaking spaces do not change the content hash."""
    assert content_hash("Hello\u00a0World\n\nagain") == content_hash("hello world again")


def test_payloads_round_trip_through_json_dicts() -> None:
    """Every payload type survives to_dict/from_dict unchanged."""
    doc = Document(item=ITEM, id="d" * 24, content_kind="html", body="<p>x</p>", hints={"title": "T"})
    for payload in (ITEM, doc, extract(record())):
        data = payload_to_dict(payload)
        assert payload_to_dict(payload_from_dict(data)) == data
        assert type(payload_from_dict(data)) is type(payload)


def test_records_validate_against_the_schema() -> None:
    """ok, dropped and failed records all validate against the committed JSON Schema."""
    validate_record(extract(record()).to_dict())
    validate_record(end_record(ITEM, status="dropped", reason="empty").to_dict())
    validate_record(end_record(ITEM, status="failed", reason="unreadable", message="gone").to_dict())


def _raiser(exc: Exception) -> Stage:
    def run(payload: Payload, res: Resources) -> Payload:
        raise exc
    return Stage("test", "cpu", run)


RES = Resources(Settings())


def test_run_stage_turns_drop_and_failure_into_records() -> None:
    """Drop ends as dropped, Failure and unexpected errors as failed, each with its code."""
    dropped = run_stage(_raiser(Drop("not_html")), ITEM, RES)
    failed = run_stage(_raiser(Failure("unreadable", "gone")), ITEM, RES)
    crashed = run_stage(_raiser(ZeroDivisionError("boom")), ITEM, RES)
    assert isinstance(dropped, ArticleRecord) and (dropped.status, dropped.reason) == ("dropped", "not_html")
    assert isinstance(failed, ArticleRecord) and (failed.status, failed.reason) == ("failed", "unreadable")
    assert isinstance(crashed, ArticleRecord) and (crashed.status, crashed.reason) == ("failed", "internal_error")
    assert "ZeroDivisionError" in (crashed.message or "")


def test_run_stage_lets_retryable_escape() -> None:
    """Retryable is the runner's to handle: it is not turned into a record."""
    with pytest.raises(Retryable):
        run_stage(_raiser(Retryable("timeout")), ITEM, RES)


def test_ended_records_pass_through_later_stages() -> None:
    """A dropped record skips every stage but the sink."""
    dropped = end_record(ITEM, status="dropped", reason="empty")
    assert run_stage(_raiser(RuntimeError("must not run")), dropped, RES) is dropped


def test_run_stage_times_the_entry_its_stage_added() -> None:
    """The pipeline, not the stage, records how long the stage took, on the entry the stage added."""
    def slow(payload: Payload, res: Resources) -> Payload:
        time.sleep(0.02)
        assert isinstance(payload, ArticleRecord)
        return payload.with_stage(StageRun(stage="slow", version="slow 1"))

    earlier = StageRun(stage="extract", version="x 1", duration_ms=3.0)
    out = run_stage(Stage("slow", "cpu", slow), record(provenance=(earlier,)), RES)
    assert isinstance(out, ArticleRecord)
    assert out.provenance[0] == earlier
    assert out.provenance[1].stage == "slow" and 20 <= out.provenance[1].duration_ms < 2000


def test_every_stage_that_ran_is_recorded_once_in_order_with_its_version(tmp_path: Path) -> None:
    """A file walked through load, clean, extract and an enrichment by run_stage (as both runners do)
    names each stage once, in order, with the version its module declares, and a measured duration."""
    path = tmp_path / "story.txt"
    path.write_text("Talks resume\n\nThe minister said the talks would resume next week in Geneva.\n",
                    encoding="utf-8")
    item = WorkItem("job", Source("file", str(path)))
    payload: Payload = item
    for stage in stages_for(item.source, ("reading_time",))[:-1]:  # all but the sink, which needs Redis
        payload = run_stage(stage, payload, RES)
    assert isinstance(payload, ArticleRecord) and payload.status == "ok"
    assert [(run.stage, run.version) for run in payload.provenance] == [
        ("load", f"newsmill-load {__version__}"), ("clean", f"newsmill-clean {__version__}"),
        ("extract", stage_version("extract", "py3langid")), ("enrich.reading_time", stage_version("reading-time"))]
    assert all(run.duration_ms > 0 for run in payload.provenance[:3])


def test_chain_order_per_source_kind() -> None:
    """URLs start with fetch, files with load; then clean, extract, enrichments, sink."""
    names = [s.name for s in stages_for(Source("url", "https://x.test/a"), ("reading_time",))]
    assert names == ["fetch", "clean", "extract", "enrich.reading_time", "sink"]
    assert stages_for(ITEM.source, ())[0].name == "load"


def test_settings_from_env() -> None:
    """The environment sets broker, Redis (defaulting to the broker), prefix and enrichments."""
    s = Settings.from_env({"NEWSMILL_BROKER_URL": "redis://10.0.0.5:6380/2", "NEWSMILL_ENRICH": "",
                           "NEWSMILL_PREFIX": "nm"})
    assert (s.broker_url, s.redis_url, s.prefix, s.enrich) == (
        "redis://10.0.0.5:6380/2", "redis://10.0.0.5:6380/2", "nm", ())
    amqp = Settings.from_env({"NEWSMILL_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"})
    assert amqp.redis_url == "redis://127.0.0.1:6379/0"


@pytest.mark.integration  # a fresh interpreter, so nothing this session imported counts
def test_core_package_never_imports_celery() -> None:
    """Importing every module of the core package loads no Celery or kombu."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "newsmill").rglob("*.py")
    )
    code = (f"import sys\nfor m in {modules!r}: __import__(m)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('celery', 'kombu')]\n"
            f"assert not bad, bad\nprint({len(modules)})")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 15

