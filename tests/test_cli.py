"""The command line: `python -m factcheck` as a subprocess (ingest) and main(argv) in-process (the rest)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from factcheck.__main__ import main
from factcheck.models import Evidence, Verdict
from factcheck.store.sqlite import SqliteStore
from tests.test_ingest import extraction_available, install_standins

REPO = Path(__file__).resolve().parent.parent

# Used only while the tree's extraction modules are missing: the same stand-ins as tests/test_ingest.py.
RUNNER = """
import runpy, sys
sys.path.insert(0, {repo!r})
from tests.test_ingest import extraction_available, _standin_extract_passages, _standin_parse_datetime
if not extraction_available():
    import types, factcheck.extract as extract
    dates = types.ModuleType("factcheck.extract.dates")
    dates.parse_datetime = _standin_parse_datetime
    sys.modules["factcheck.extract.dates"] = dates
    extract.extract_passages = _standin_extract_passages
sys.argv[0] = "factcheck"
runpy.run_module("factcheck", run_name="__main__", alter_sys=True)
"""


@pytest.fixture
def cli(tmp_path):
    """Run the CLI in a subprocess against a tmp SQLite store; returns (run, db_path)."""
    db = tmp_path / "instance" / "fc.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH"))}
    env.update(FACTCHECK_STORE=f"sqlite:///{db}", PYTHONPATH=str(REPO))
    if extraction_available():
        command = [sys.executable, "-m", "factcheck"]
    else:
        runner = tmp_path / "run_factcheck.py"
        runner.write_text(RUNNER.format(repo=str(REPO)))
        command = [sys.executable, str(runner)]

    def run(*args, extra_env=None, timeout=120):
        result = subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, cwd=tmp_path,
                                env={**env, **(extra_env or {})}, timeout=timeout, stdin=subprocess.DEVNULL)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run, db


def ids_in(db: Path) -> set[str]:
    store = SqliteStore(str(db))
    try:
        return {source.id for source in store.list_sources(limit=1000)}
    finally:
        store.close()


def test_ingest_mixed_batch(cli, tmp_path):
    run, db = cli
    data = tmp_path / "data"
    data.mkdir()
    (data / "batch.jsonl").write_text("\n".join([
        json.dumps({"id": "good-1", "text": "The council met on 14 May 2024.", "published_at": "2024-05-14"}),
        "{broken",
        json.dumps({"id": "no-text", "publisher": "X"}),
        json.dumps({"id": "blank", "text": ""}),
        json.dumps({"id": "typed", "text": {"a": 1}}),
        json.dumps({"id": "feb", "text": "It happened.", "published_at": "31 February 2024"}),
    ]) + "\n", encoding="utf-8")
    (data / "story.txt").write_text("Headline\nThe mayor resigned on Monday.", encoding="utf-8")
    (data / "broken.json").write_text("[{", encoding="utf-8")
    (data / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 64)
    (data / "latin1.txt").write_bytes("Caf\u00e9 cr\u00e8me.".encode("latin-1"))
    big = data / "huge.txt"
    with big.open("wb") as handle:
        handle.truncate(52_428_800)

    result = run("ingest", data)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("added 2, updated 0, unchanged 0, failed 9")
    errors = result.stderr
    assert f"{data / 'batch.jsonl'}:2: invalid JSON" in errors
    assert f"{data / 'batch.jsonl'}:3: text is missing" in errors
    assert f"{data / 'batch.jsonl'}:4: text is empty" in errors
    assert f"{data / 'batch.jsonl'}:5: text must be a string" in errors
    assert f"{data / 'batch.jsonl'}:6: published_at: impossible date" in errors
    assert f"{data / 'broken.json'}: invalid JSON" in errors
    assert f"{data / 'binary.txt'}: not a text file (binary content)" in errors
    assert f"{data / 'latin1.txt'}: not valid UTF-8" in errors
    assert f"{big}: text is 52,428,800 bytes; the limit is 5,000,000" in errors
    assert "it/s" not in errors  # no progress bar when stderr is not a terminal
    stored = ids_in(db)
    assert len(stored) == 2 and "good-1" in stored

    again = run("ingest", data / "batch.jsonl", data / "story.txt")
    assert again.returncode == 1
    assert again.stdout.startswith("added 0, updated 0, unchanged 2, failed 5")
    assert ids_in(db) == stored


def test_ingest_clean_reingest_is_a_no_op(cli, tmp_path):
    run, db = cli
    path = tmp_path / "one.json"
    path.write_text(json.dumps([{"id": "a", "text": "First."}, {"text": "Second."}]), encoding="utf-8")
    first = run("ingest", path)
    assert (first.returncode, first.stdout.split(" (")[0]) == (0, "added 2, updated 0, unchanged 0, failed 0")
    assert first.stderr == ""
    second = run("ingest", path)
    assert (second.returncode, second.stdout.split(" (")[0]) == (0, "added 0, updated 0, unchanged 2, failed 0")
    assert len(ids_in(db)) == 2


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/", "refused: private address 127.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "refused: private address 169.254.169.254"),
    ("http://10.0.0.1/", "refused: private address 10.0.0.1"),
    ("file:///etc/passwd", "refused: only http and https"),
])
def test_ingest_forbidden_urls(cli, url, reason):
    run, db = cli
    result = run("ingest", url)
    assert result.returncode == 2
    assert f"{url}: {reason}" in result.stderr
    assert "added 0, updated 0, unchanged 0, failed 1" in result.stdout
    assert ids_in(db) == set()


def test_ingest_unreachable_url(cli):
    run, _db = cli
    result = run("ingest", "http://127.0.0.1:9/", extra_env={"FACTCHECK_ALLOW_PRIVATE_URLS": "1"})
    assert result.returncode == 2
    assert "http://127.0.0.1:9/: connection refused" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["ingest"], "the following arguments are required"),
    (["frobnicate"], "invalid choice"),
    (["check"], "give either a CLAIM or --file"),
    (["timeline"], "give a QUERY and/or --entity"),
])
def test_bad_arguments(cli, args, message):
    run, _db = cli
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_settings_and_unopenable_store(cli, tmp_path):
    run, _db = cli
    bad_timeout = run("ingest", tmp_path, extra_env={"FACTCHECK_URL_TIMEOUT": "soon"})
    assert bad_timeout.returncode == 2 and "FACTCHECK_URL_TIMEOUT must be a whole number" in bad_timeout.stderr
    bad_url = run("ingest", tmp_path, extra_env={"FACTCHECK_STORE": "postgres://db/x"})
    assert bad_url.returncode == 2 and "cannot open the store" in bad_url.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    bad_dir = run("ingest", tmp_path, extra_env={"FACTCHECK_STORE": f"sqlite:///{blocker}/sub/x.db"})
    assert bad_dir.returncode == 2 and "cannot open the store" in bad_dir.stderr


# ---------------------------------------------------------------------------------------------------------------
# In-process: check, timeline, serve, indexes (stand-ins for the modules other people own keep these about the CLI)


@pytest.fixture
def env_store(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("FACTCHECK_", "ELASTICSEARCH")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FACTCHECK_STORE", f"sqlite:///{tmp_path / 'instance' / 'fc.db'}")
    return tmp_path / "instance" / "fc.db"


def fake_check_claim(store, claim, claim_date=None, as_of=None):
    if not claim.strip():
        raise ValueError("the claim is empty")
    if claim_date == "31 February 2024":
        raise ValueError("claim_date: impossible date 31 February 2024")
    evidence = Evidence(source_id="s1", url=None, publisher="Daily", published_at="2024-05-14",
                        sentence="The council met on 14 May 2024.", start=0, end=31, dates=[], stance="conflicts",
                        score=0.9, reason="source dates the meeting 14 May 2024; the claim says 15 May 2024")
    return Verdict(claim=claim, verdict="REFUTED", confidence=0.8, as_of=as_of, dates=[], evidence=[evidence],
                   claim_date=claim_date)


@pytest.fixture
def fake_check(monkeypatch):
    import factcheck.check

    monkeypatch.setattr(factcheck.check, "check_claim", fake_check_claim)


def test_check_human_and_json(env_store, fake_check, capsys):
    assert main(["check", "The council met on 15 May 2024"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("REFUTED  (confidence 0.80)  The council met on 15 May 2024")
    assert "[conflicts] Daily, 2024-05-14" in out and "the claim says 15 May 2024" in out
    assert env_store.exists()  # the instance folder was created

    assert main(["check", "The council met", "--json", "--as-of", "2024-06-01"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verdict"] == "REFUTED" and verdict["as_of"] == "2024-06-01"

    assert main(["check", "   "]) == 2
    assert "check: the claim is empty" in capsys.readouterr().err


def test_check_file(env_store, fake_check, tmp_path, capsys):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n".join([
        json.dumps({"id": "c1", "claim": "The council met on 15 May 2024", "claim_date": "2024-05-20"}),
        "{oops",
        json.dumps({"id": "c3"}),
        json.dumps({"id": 4, "claim": "x", "claim_date": "31 February 2024"}),
        "",
        json.dumps({"id": "c6", "claim": "The mayor resigned", "as_of": "2024-01-01"}),
    ]) + "\n", encoding="utf-8")
    assert main(["check", "--file", str(claims), "--json"]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["id"] for line in lines] == ["c1", None, "c3", 4, "c6"]
    assert lines[0]["verdict"] == "REFUTED" and lines[0]["claim_date"] == "2024-05-20"
    assert lines[1]["error"].startswith("invalid JSON") and lines[1]["line"] == 2
    assert lines[2]["error"] == "claim is missing"
    assert "impossible date" in lines[3]["error"]
    assert lines[4]["as_of"] == "2024-01-01"
    assert f"{claims}:2: invalid JSON" in captured.err and f"{claims}:4: claim_date" in captured.err

    assert main(["check", "--file", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_check_and_spot_read_a_bad_jsonl_file_alike(env_store, fake_check, tmp_path, capsys):
    """`check --file` and `spot --file` name the same file:line and reason for each unreadable line."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{oops\n[1, 2]\n\xff\xfe not utf-8\n" + b"[" * 5000 + b"\n")
    reports = {}
    for command in ("check", "spot"):
        assert main([command, "--file", str(bad)]) == 1
        reports[command] = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert reports["check"] == reports["spot"]
    assert len(reports["check"]) == 4
    assert f"{bad}:1: invalid JSON" in reports["check"][0] and "column" in reports["check"][0]
    assert reports["check"][1].endswith(f"{bad}:2: each line must be a JSON object")
    assert reports["check"][2].endswith(f"{bad}:3: not valid UTF-8")
    assert f"{bad}:4: invalid JSON" in reports["check"][3]


def test_timeline(env_store, monkeypatch, capsys):
    calls = []

    def fake_build_timeline(store, query=None, entity=None, date_from=None, date_to=None, as_of=None):
        calls.append((query, entity, date_from, date_to, as_of))
        if date_from == "yesterday-ish":
            raise ValueError("date_from: not a date")
        return {"events": [
            {"date": "2024-05-14", "granularity": "day", "sentence": "The council met.", "source_id": "s1",
             "publisher": "Daily", "published_at": "2024-05-14", "conflict": True,
             "conflict_reason": "another source says 15 May 2024"}]}

    module = types.ModuleType("factcheck.timeline")
    module.build_timeline = fake_build_timeline
    monkeypatch.setitem(sys.modules, "factcheck.timeline", module)
    import factcheck

    monkeypatch.setattr(factcheck, "timeline", module, raising=False)
    assert main(["timeline", "council", "--entity", "Paris", "--from", "2024-01-01", "--to", "2024-12-31"]) == 0
    out = capsys.readouterr().out
    assert "2024-05-14 (day)  The council met.  [Daily, 2024-05-14]" in out
    assert "CONFLICT: another source says 15 May 2024" in out
    assert calls[-1] == ("council", "Paris", "2024-01-01", "2024-12-31", None)
    assert main(["timeline", "council", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"][0]["conflict"] is True
    assert main(["timeline", "council", "--from", "yesterday-ish"]) == 2  # refused before the store is asked
    assert "timeline: --from: Not a date: write it as YYYY-MM-DD" in capsys.readouterr().err
    assert calls[-1] == ("council", None, None, None, None)


def test_serve_runs_create_app(env_store, monkeypatch):
    import factcheck

    ran = []
    app = object()

    monkeypatch.setattr(factcheck, "create_app", lambda config=None: app, raising=False)
    monkeypatch.setattr(factcheck, "serve_app",
                        lambda served, host, port, threads: ran.append((served, host, port, threads)))
    assert main(["serve", "--port", "5123"]) == 0
    assert main(["serve", "--port", "5124", "--threads", "3"]) == 0
    assert ran == [(app, "127.0.0.1", 5123, 8), (app, "127.0.0.1", 5124, 3)]


def test_serve_with_workers_hands_over_to_gunicorn(env_store, monkeypatch):
    import factcheck
    import factcheck.serving

    class Exec(Exception):
        pass

    def fake_exec(host, port, workers, threads):  # the real one replaces the process and never returns
        raise Exec((host, port, workers, threads))

    monkeypatch.setattr(factcheck.serving, "exec_gunicorn", fake_exec)
    monkeypatch.setattr(factcheck, "create_app", lambda config=None: pytest.fail("no app in gunicorn's master"),
                        raising=False)
    with pytest.raises(Exec) as handed:
        main(["serve", "--port", "5125", "--workers", "3", "--threads", "2"])
    assert handed.value.args[0] == ("127.0.0.1", 5125, 3, 2)


def test_indexes_missing_module_and_status(env_store, monkeypatch, capsys):
    import factcheck

    monkeypatch.setitem(sys.modules, "factcheck.indexes_cli", None)  # as if the module were not there
    monkeypatch.delattr(factcheck, "indexes_cli", raising=False)
    assert main(["indexes", "status"]) == 2
    assert "factcheck.indexes_cli is missing" in capsys.readouterr().err

    module = types.ModuleType("factcheck.indexes_cli")
    module.status = lambda store: {"backend": "sqlite", "sources": 0}
    module.create = lambda store: None
    module.migrate = lambda store: None
    monkeypatch.setitem(sys.modules, "factcheck.indexes_cli", module)
    monkeypatch.setattr(factcheck, "indexes_cli", module, raising=False)
    assert main(["indexes", "status"]) == 0
    assert capsys.readouterr().out == "backend: sqlite\nsources: 0\n"
    assert main(["indexes", "create"]) == 0
    assert "indexes create: done" in capsys.readouterr().out


def test_ingest_in_process_reports_on_stderr(env_store, monkeypatch, tmp_path, capsys):
    install_standins(monkeypatch)
    good = tmp_path / "good.txt"
    good.write_text("Fine text.", encoding="utf-8")
    assert main(["ingest", str(good), str(tmp_path / "missing.txt")]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("added 1, updated 0, unchanged 0, failed 1")
    assert f"{tmp_path / 'missing.txt'}: no such file or directory" in captured.err


def test_loading_the_demo_corpus_shows_progress(tmp_path, monkeypatch, capsys):
    """The first `scripts/serve` says what it is loading and counts the sources, rather than ~35 s of silence."""
    import json as json_module

    import factcheck
    from factcheck.config import Config
    from factcheck.store.sqlite import SqliteStore

    from .conftest import SEED_SOURCES

    corpus = tmp_path / "demo.jsonl"
    corpus.write_text("".join(json_module.dumps(record) + "\n" for record in SEED_SOURCES), encoding="utf-8")
    monkeypatch.setattr(factcheck, "DEMO_CORPUS", corpus)
    store = SqliteStore(str(tmp_path / "demo.db"))
    try:
        config = Config(load_demo=True, admin_db=str(tmp_path / "admin.db"))
        assert factcheck.load_demo(store, config, every=2) == 3
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("loading the demo corpus (3 Wikinews articles)")
        assert lines[1:] == ["  2/3 sources", "  3/3 sources", "loaded demo corpus: 3 sources"]
        assert factcheck.load_demo(store, config) == 0 and capsys.readouterr().out == ""  # not empty: nothing
    finally:
        store.close()
