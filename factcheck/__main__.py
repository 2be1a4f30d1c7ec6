"""Command line: python -m factcheck ingest|check|spot|timeline|serve|keys|indexes|timeml ...

Exit status: 0 success, 1 some items failed, 2 the command itself failed (bad arguments, store unavailable,
nothing usable), 130 interrupted (Ctrl-C). Bad input never ends in a traceback: it is reported as "ITEM: REASON"
on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from .config import Config
from .store.base import StoreError, StoreUnavailable

EXIT_OK, EXIT_SOME_FAILED, EXIT_FAILED = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C: what a shell reports for a process ended by SIGINT
EXIT_GRACE_SECONDS = 5.0  # after Ctrl-C, the longest Python's own exit (joining threads, processes) may take


class CommandError(Exception):
    """The command cannot run at all; the message is printed as is and the exit status is 2."""


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _store_path(config: Config) -> Optional[Path]:
    if not config.elasticsearch_url and config.store_url.startswith("sqlite:///"):
        return Path(config.store_url[len("sqlite:///"):])
    return None


def _describe_store(config: Config) -> str:
    if config.elasticsearch_url:
        return f"Elasticsearch, prefix {config.index_prefix}"
    return str(_store_path(config) or config.store_url)


def open_cli_store(config: Config):
    """open_store() with the SQLite folder created and every failure turned into a CommandError."""
    from .store import open_store

    path = _store_path(config)
    try:
        if path is not None and str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
        return open_store(config)
    except (StoreError, OSError) as exc:
        raise CommandError(f"cannot open the store ({_describe_store(config)}): {exc}") from None


# ---------------------------------------------------------------------------------------------------------------
# ingest


def cmd_ingest(args, config: Config) -> int:
    from .ingest import ingest_paths

    store = open_cli_store(config)
    bar = None
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="item", file=sys.stderr, leave=False)

        def progress(item: str, outcome: str) -> None:
            bar.update(1)
            bar.set_postfix_str(item[-40:], refresh=False)
    from .ingest_pool import available_cores

    workers = args.workers if args.workers is not None else available_cores()
    try:
        report = ingest_paths(store, args.inputs, config, progress=progress, workers=workers)
    finally:
        if bar is not None:
            bar.close()
        store.close()
    for error in report.errors:
        _err(f"{error['item']}: {error['reason']}")
    if report.errors_dropped:
        _err(f"... and {report.errors_dropped:,} more errors")
    print(f"{report.summary()} (store: {_describe_store(config)})")
    if report.stopped:
        _err(f"stopped early: {report.stopped}")
        _err("not attempted: " + "; ".join(report.not_attempted))
        _err("re-run the same command once the cause is fixed (e.g. the store is back): stored items are "
             "skipped, so it fills the gap")
        return EXIT_FAILED
    if report.failed and not (report.added or report.unchanged):
        return EXIT_FAILED
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


# ---------------------------------------------------------------------------------------------------------------
# check


def _print_verdict(verdict: dict) -> None:
    print(f"{verdict['verdict']}  (confidence {verdict['confidence']:.2f})  {verdict['claim']}")
    if verdict.get("as_of"):
        print(f"  as of {verdict['as_of']}")
    evidence = verdict.get("evidence") or []
    if not evidence:
        print("  no evidence found")
    for number, item in enumerate(evidence, start=1):
        source = ", ".join(str(part) for part in (item.get("publisher") or item.get("source_id"),
                                                  item.get("published_at")) if part)
        print(f"  {number}. [{item['stance']}] {source}")
        print(f"     \"{item['sentence']}\"")
        if item.get("reason"):
            print(f"     {item['reason']}")


def _jsonl_objects(path: str):
    """The JSON objects of a JSONL file (`-`: standard input), one per non-blank line, streamed: yields
    (line number, object, None), or (line number, None, reason) for a line that is not a JSON object."""
    from . import jsonsafe

    try:
        stream = open(path, "rb") if path != "-" else sys.stdin.buffer
    except OSError as exc:
        raise CommandError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                entry = jsonsafe.loads(line.decode("utf-8-sig"))
            except UnicodeDecodeError:
                yield number, None, "not valid UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
                continue
            except ValueError as exc:  # beyond the parser's limits: too deep, an over-long number
                yield number, None, f"invalid JSON: {exc}"
                continue
            if not isinstance(entry, dict):
                yield number, None, "each line must be a JSON object"
                continue
            yield number, entry, None


def _line_error(line_id, number: int, message: str) -> str:
    """The JSON line `check --file` and `spot --file` print with --json for an input line they could not take."""
    return json.dumps({"id": line_id, "line": number, "error": message}, ensure_ascii=False)


def _check_file(store, args) -> int:
    from .check import check_claim

    failed = 0
    for number, entry, error in _jsonl_objects(args.file):
        claim_id = None
        try:
            if error is not None:
                raise ValueError(error)
            claim_id = entry.get("id")
            claim = entry.get("claim")
            if not isinstance(claim, str):
                raise ValueError("claim is missing" if claim is None else "claim must be a string")
            for name in ("claim_date", "as_of"):
                if entry.get(name) is not None and not isinstance(entry[name], str):
                    raise ValueError(f"{name} must be a string")
            verdict = check_claim(store, claim, claim_date=entry.get("claim_date", args.claim_date),
                                  as_of=entry.get("as_of", args.as_of)).to_dict()
        except ValueError as exc:
            failed += 1
            _err(f"{args.file}:{number}: {exc}")
            if args.json:
                print(_line_error(claim_id, number, str(exc)))
            continue
        if verdict.get("id") is not None and verdict["id"] != claim_id:
            verdict["check_id"] = verdict["id"]
        verdict["id"] = claim_id
        if args.json:
            print(json.dumps(verdict, ensure_ascii=False), flush=True)
        else:
            print(f"{claim_id if claim_id is not None else number}: {verdict['verdict']} "
                  f"({verdict['confidence']:.2f})  {verdict['claim']}")
    return EXIT_SOME_FAILED if failed else EXIT_OK


def cmd_check(args, config: Config) -> int:
    if bool(args.claim) == bool(args.file):
        raise CommandError("give either a CLAIM or --file CLAIMS.jsonl")
    from .check import check_claim

    store = open_cli_store(config)
    try:
        if args.file:
            return _check_file(store, args)
        try:
            verdict = check_claim(store, args.claim, claim_date=args.claim_date, as_of=args.as_of).to_dict()
        except ValueError as exc:
            raise CommandError(f"check: {exc}") from None
        if args.json:
            print(json.dumps(verdict, ensure_ascii=False, indent=2))
        else:
            _print_verdict(verdict)
        return EXIT_OK
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------------------------
# spot


SPOT_BATCH = 64  # sentences scored per encoder call in --file mode


def _read_document(value: str, config: Config) -> list[tuple[str, dict]]:
    """(item, record) of each document a PATH, URL or "-" (stdin) holds; errors reported and skipped."""
    if value == "-":
        from .ingest import IngestError, decode_bytes

        try:
            return [("-", {"text": decode_bytes(sys.stdin.buffer.read(config.max_text_bytes + 1))})]
        except IngestError as exc:
            raise CommandError(f"-: {exc.reason}") from None
    from .ingest import iter_input

    documents = []
    for raw in iter_input(value, config):
        if raw.error or not isinstance(raw.record, dict) or not isinstance(raw.record.get("text"), str):
            _err(f"{raw.item}: {raw.error or 'no text in this record'}")
            continue
        documents.append((raw.item, raw.record))
    return documents


def _print_spotted(item: str, sentences: list[dict], show_all: bool, limit: int) -> None:
    worthy = sorted((s for s in sentences if s["check_worthy"]), key=lambda s: s["rank"])
    print(f"{item}: {len(sentences)} sentences, {len(worthy)} worth checking")
    shown = sentences if show_all else worthy[:limit]
    for s in shown:
        mark = f"{s['rank']:>3}." if s["rank"] else "    "
        who = f"[{s['speaker']}] " if s["speaker"] else ""
        why = f"  ({', '.join(s['features'])})" if s["features"] else ""
        print(f"{mark} {s['score']:.2f}  {who}{s['text']}{why}")


def _spot_file(args) -> int:
    from .spot import MAX_SENTENCE_CHARS, spot_sentences

    failed = 0
    pending: list[tuple[int, object, Optional[dict], Optional[str]]] = []  # (line, id, entry, error) in order

    def flush() -> None:
        entries = [p[2] for p in pending if p[2] is not None]
        scored = iter(spot_sentences(entries) if entries else [])
        for number, line_id, entry, error in pending:
            if error is not None:
                if args.json:
                    print(_line_error(line_id, number, error))
                continue
            s = next(scored)
            out = {"id": line_id, "score": s.score, "check_worthy": s.check_worthy, "speaker": s.speaker,
                   "features": s.features}
            if args.json:
                print(json.dumps(out, ensure_ascii=False))
            else:
                print(f"{line_id if line_id is not None else number}: {s.score:.2f} "
                      f"{'check-worthy' if s.check_worthy else '-'}  {s.text}")
        sys.stdout.flush()
        pending.clear()

    for number, entry, error in _jsonl_objects(args.file):
        line_id = None
        try:
            if error is not None:
                raise ValueError(error)
            line_id = entry.get("id")
            unknown = sorted(set(entry) - {"id", "text", "speaker"})
            if unknown:
                raise ValueError(f"{unknown[0]}: unknown field (a line has id, text and speaker)")
            text, speaker = entry.get("text"), entry.get("speaker")
            if not isinstance(text, str) or not text.strip():
                raise ValueError("text: missing" if text is None else "text: must be a non-empty string")
            if len(text) > MAX_SENTENCE_CHARS:
                raise ValueError(f"text: {len(text):,} characters; a sentence has at most {MAX_SENTENCE_CHARS:,}")
            if speaker is not None and not isinstance(speaker, str):
                raise ValueError("speaker: must be a string")
            pending.append((number, line_id, {"text": text, "speaker": speaker}, None))
        except ValueError as exc:
            failed += 1
            _err(f"{args.file}:{number}: {exc}")
            pending.append((number, line_id, None, str(exc)))
        if len(pending) >= SPOT_BATCH:
            flush()
    flush()
    return EXIT_SOME_FAILED if failed else EXIT_OK


def cmd_spot(args, config: Config) -> int:
    from .spot import spot_text

    if bool(args.input) == bool(args.file):
        raise CommandError("give either a PATH, URL or - (stdin), or --file SENTENCES.jsonl")
    if args.file:
        return _spot_file(args)
    documents = _read_document(args.input, config)
    if not documents:
        return EXIT_FAILED
    for item, record in documents:
        published_at = record.get("published_at") if isinstance(record.get("published_at"), str) else None
        sentences = [s.to_dict() for s in spot_text(record["text"], published_at)]
        if args.json:
            print(json.dumps({"item": item, "title": record.get("title"), "published_at": published_at,
                              "sentences": sentences}, ensure_ascii=False))
        else:
            _print_spotted(item, sentences, args.all, args.limit)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------------------
# timeline, serve, indexes


_TIMELINE_OPTIONS = {"q": "QUERY", "entity": "--entity", "from": "--from", "to": "--to", "as_of": "--as-of"}


def _timeline_args(args) -> dict:
    """The timeline filters checked as the API checks them (ISO days, a range that does not end before it
    starts); CommandError naming the option otherwise."""
    from marshmallow import ValidationError

    from .schemas import TimelineArgsSchema

    given = {"q": args.query, "entity": args.entity, "from": args.date_from, "to": args.date_to,
             "as_of": args.as_of}
    try:
        return TimelineArgsSchema().load({name: value for name, value in given.items() if value is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{_TIMELINE_OPTIONS.get(name, name)}: {' '.join(map(str, reasons))}"
                             for name, reasons in exc.messages.items())
        raise CommandError(f"timeline: {problems}") from None


def cmd_timeline(args, config: Config) -> int:
    if not (args.query or args.entity):
        raise CommandError("give a QUERY and/or --entity")
    from .timeline import build_timeline

    filters = _timeline_args(args)
    store = open_cli_store(config)
    try:
        try:
            timeline = build_timeline(store, query=args.query, entity=args.entity, date_from=filters.get("date_from"),
                                      date_to=filters.get("date_to"), as_of=filters.get("as_of"))
        except ValueError as exc:
            raise CommandError(f"timeline: {exc}") from None
    finally:
        store.close()
    if args.json:
        print(json.dumps(timeline, ensure_ascii=False, indent=2))
        return EXIT_OK
    events = timeline.get("events") or []
    if not events:
        print("no dated events found")
    for event in events:
        source = ", ".join(str(part) for part in (event.get("publisher") or event.get("source_id"),
                                                  event.get("published_at")) if part)
        print(f"{event.get('date')} ({event.get('granularity')})  {event.get('sentence')}  [{source}]")
        if event.get("conflict"):
            print(f"    CONFLICT: {event.get('conflict_reason')}")
    return EXIT_OK


def cmd_serve(args, config: Config) -> int:
    try:
        from . import create_app, serve_app
    except ImportError as exc:
        raise CommandError(f"the web app is not available: {exc}") from None
    from .keys import serve_guard

    from .serving import CannotListen, check_counts, check_listen, exec_gunicorn

    workers = config.workers if args.workers is None else args.workers
    threads = config.threads if args.threads is None else args.threads
    try:
        check_counts(workers, threads)
    except ValueError as exc:
        raise CommandError(f"serve: --{exc}") from None
    from .admin_state import open_admin

    allowed_host, message = serve_guard(open_admin(config), args.host)
    if not allowed_host:
        raise CommandError(message)
    try:
        check_listen(args.host, args.port)  # before the slow start: a port in use is said at once
        if message:
            _err(message)
        if workers > 1:
            # A fresh gunicorn master: each worker builds its own app (nothing opened here is inherited).
            print(f"factcheck is running at http://{args.host}:{args.port}/ ({workers} processes of {threads} "
                  "threads)")
            exec_gunicorn(args.host, args.port, workers, threads)
        app = create_app()
        print(f"factcheck is running at http://{args.host}:{args.port}/")
        serve_app(app, args.host, args.port, threads)
    except CannotListen as exc:
        raise CommandError(f"serve: {exc}; choose another port with --port") from None
    return EXIT_OK


def cmd_keys(args, config: Config) -> int:
    from . import keys
    from .admin_state import open_admin

    admin = open_admin(config)
    try:
        if args.action == "create":
            key, token = keys.create_key(admin, args.name or "", args.role)
            print(f"created {key.id} ({key.role}) {key.name}")
            print(f"key: {token}")
            print("store it now: it is not shown again (only its hash is kept)")
        elif args.action == "list":
            for key in keys.list_keys(admin):
                state = f"revoked {key.revoked_at}" if key.revoked_at else f"last used {key.last_used_at or 'never'}"
                print(f"{key.id}  {key.role:<11}  {key.name}  (created {key.created_at}; {state})")
        else:
            key = keys.revoke_key(admin, args.key_id or "")
            print(f"revoked {key.id} ({key.name})")
    except keys.ApiKeyError as exc:
        raise CommandError(f"keys {args.action}: {exc}") from None
    return EXIT_OK


def cmd_indexes(args, config: Config) -> int:
    import importlib

    try:
        indexes_cli = importlib.import_module("factcheck.indexes_cli")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith("indexes_cli"):
            raise CommandError("indexes commands are not available: factcheck.indexes_cli is missing") from None
        raise CommandError(f"indexes commands are not available: {exc}") from None
    store = open_cli_store(config)
    try:
        if args.action == "status":
            status = indexes_cli.status(store)
            if isinstance(status, dict):
                for key, value in status.items():
                    print(f"{key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")
            else:
                print(status)
        else:
            if args.action == "migrate":
                result = indexes_cli.migrate(store, progress=_copy_progress)
            else:
                result = getattr(indexes_cli, args.action)(store)
            print(f"indexes {args.action}: done" + (f" ({result})" if result not in (None, True) else ""))
    finally:
        store.close()
    return EXIT_OK


def _copy_progress(kind: str, read: int, total: int) -> None:
    print(f"  {kind}: {read:,} of {total:,} documents copied", file=sys.stderr, flush=True)


def cmd_timeml(args, config: Config) -> int:
    from .timeml import convert_dir

    try:
        written, failures = convert_dir(args.in_dir, args.out_dir)
    except ValueError as exc:
        raise CommandError(f"timeml: {exc}") from None
    for path, reason in failures:
        _err(f"{path}: {reason}")
    print(f"timeml: {written} documents tagged into {args.out_dir} ({len(failures)} failed)")
    if failures:
        return EXIT_FAILED if not written else EXIT_SOME_FAILED
    return EXIT_OK if written else EXIT_FAILED


def cmd_users(args, config: Config) -> int:
    from .users import run_cli as run

    return run(args, config)


# ---------------------------------------------------------------------------------------------------------------


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m factcheck", description="Claim fact-checking service.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = commands.add_parser("ingest", help="ingest files, directories and http(s) URLs")
    ingest.add_argument("inputs", nargs="+", metavar="PATH|URL",
                        help=".json, .jsonl, .txt, .html files, directories of them, or http(s) URLs")
    ingest.add_argument("--workers", type=_positive_int, metavar="N",
                        help="processes that extract sources while this one stores them (default: the cores this "
                             "process may use; 1 extracts in this process)")
    ingest.set_defaults(handler=cmd_ingest)

    check = commands.add_parser("check", help="check a claim (or a JSONL file of claims)")
    check.add_argument("claim", nargs="?", help="the claim to check")
    check.add_argument("--file", help='JSONL file, one {"id", "claim", "claim_date"?, "as_of"?} per line ("-" = stdin)')
    check.add_argument("--claim-date", help="when the claim was made (anchors relative dates)")
    check.add_argument("--as-of", help="ignore sources published after this date")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.set_defaults(handler=cmd_check)

    spot = commands.add_parser("spot", help="rank the sentences of a document (or a JSONL file) by check-worthiness")
    spot.add_argument("input", nargs="?", metavar="PATH|URL|-",
                      help='a .txt (transcripts: "SPEAKER: text" lines), .html or .json(l) file, an http(s) URL, or '
                           '"-" for text on stdin')
    spot.add_argument("--file", help='JSONL file, one {"id", "text", "speaker"?} per line ("-" = stdin)')
    spot.add_argument("--json", action="store_true", help="print JSON (one line per document or input line)")
    spot.add_argument("--all", action="store_true", help="list every sentence in reading order, not only the "
                                                          "check-worthy ones by rank")
    spot.add_argument("--limit", type=int, default=20, help="how many ranked sentences to print (default 20)")
    spot.set_defaults(handler=cmd_spot)

    timeline = commands.add_parser("timeline", help="dated events about a topic or entity")
    timeline.add_argument("query", nargs="?", help="words to search for")
    timeline.add_argument("--entity", help="an entity name")
    timeline.add_argument("--from", dest="date_from", help="first day (ISO date)")
    timeline.add_argument("--to", dest="date_to", help="last day (ISO date)")
    timeline.add_argument("--as-of", help="ignore sources published after this date")
    timeline.add_argument("--json", action="store_true", help="print the timeline as JSON")
    timeline.set_defaults(handler=cmd_timeline)

    serve = commands.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=None,
                       help="processes serving requests (default FACTCHECK_WORKERS, 1): 1 is waitress in this "
                            "process, more is gunicorn (gthread workers); rate limits are shared between them only "
                            "through FACTCHECK_REDIS_URL")
    serve.add_argument("--threads", type=int, default=None,
                       help="request threads per process (default FACTCHECK_THREADS, 8)")
    serve.set_defaults(handler=cmd_serve)

    keys = commands.add_parser("keys", help="API keys: create --name N --role R | list | revoke ID")
    keys.add_argument("action", choices=("create", "list", "revoke"))
    keys.add_argument("key_id", nargs="?", metavar="ID", help="the key to revoke")
    keys.add_argument("--name", help="who or what the key is for")
    keys.add_argument("--role", default="client", choices=("client", "factchecker", "editor", "admin"))
    keys.set_defaults(handler=cmd_keys)

    indexes = commands.add_parser("indexes", help="manage the search indexes")
    indexes.add_argument("action", choices=("create", "status", "migrate"))
    indexes.set_defaults(handler=cmd_indexes)

    timeml = commands.add_parser("timeml", help="tag TempEval-3 files (.tml, .TE3input) with TIMEX3s")
    timeml.add_argument("in_dir", metavar="IN_DIR", help="folder of TimeML files (searched recursively)")
    timeml.add_argument("out_dir", metavar="OUT_DIR", help="where the tagged files are written")
    timeml.set_defaults(handler=cmd_timeml)

    from .users import add_cli_parser as add_users_parser

    add_users_parser(commands).set_defaults(handler=cmd_users)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    """Run one command; return the exit status (EXIT_INTERRUPTED after Ctrl-C, wherever it came)."""
    try:
        return _run(argv)
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED


def _exit_within(seconds: float, status: int) -> None:
    """End the process with `status` if it still runs `seconds` from now. Python's exit waits with no limit for
    the threads and processes of concurrent.futures and multiprocessing; after Ctrl-C one may be stuck."""
    def deadline() -> None:
        time.sleep(seconds)
        _err(f"interrupted: the clean-up did not end within {seconds:g} s; exiting without it")
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)

    threading.Thread(target=deadline, name="exit-deadline", daemon=True).start()


def _run(argv: Optional[list[str]]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    try:
        config = Config.from_env()
        return args.handler(args, config)
    except CommandError as exc:
        _err(f"error: {exc}")
    except StoreUnavailable as exc:
        _err(f"error: the store is unavailable: {exc}; try again later")
    except StoreError as exc:
        _err(f"error: store error: {exc}")
    except ValueError as exc:  # bad settings in the environment, bad dates
        _err(f"error: {exc}")
    except ImportError as exc:  # a module of the tree is missing or broken: say which, no traceback
        _err(f"error: {exc}")
    return EXIT_FAILED


if __name__ == "__main__":
    status = main()
    if status == EXIT_INTERRUPTED:  # a second Ctrl-C must not turn the exit into a traceback; and exit soon
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _exit_within(EXIT_GRACE_SECONDS, status)
    sys.exit(status)
