"""Claim spotting (factcheck.spot) and `python -m factcheck spot`: transcripts, features, ranking, JSONL mode."""
from __future__ import annotations

import json

import pytest

from factcheck.__main__ import main
from factcheck.spot import spot_sentences, spot_text, turns

TRANSCRIPT = """MODERATOR: Good evening and welcome to the debate.
SMITH: Thank you. Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years.
JONES: I think we need to do better. My opponent cut taxes for millionaires by $2 trillion.
Mr. O'Neil (Senator): I was proud to be there.
"""


@pytest.mark.parametrize("text, speakers", [
    (TRANSCRIPT, ["Moderator", "Smith", "Jones", "Senator"]),
    ("Hillary Clinton: We have 20 million jobs.\nDonald Trump: Wrong.\n", ["Hillary Clinton", "Donald Trump"]),
    ("MODERATOR (Lester Holt): Welcome.\nTRUMP: Thank you.\n", ["Lester Holt", "Trump"]),
    # prose with a colon or two is not a transcript
    ("Note: the figures are provisional. Prices rose 3% in May.\nMore text follows here.\nAnd more.", None),
    ("A single line: with a colon.", None),
])
def test_transcript_turns_and_speakers(text, speakers):
    found = turns(text)
    assert (None if found is None else [name for _start, _end, name in found]) == speakers


def test_spot_text_reads_a_transcript_turn_by_turn():
    spotted = spot_text(TRANSCRIPT)
    texts = [s.text for s in spotted]
    assert texts[0] == "Good evening and welcome to the debate."  # the label is not part of the sentence
    assert not any(t.startswith(("SMITH", "JONES", "MODERATOR")) for t in texts)
    by_text = {s.text: s for s in spotted}
    jobs = by_text["Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years."]
    assert jobs.speaker == "Smith" and jobs.check_worthy and 0.5 < jobs.score <= 1.0
    assert {"date", "percentage", "superlative"} <= set(jobs.features)
    assert TRANSCRIPT[jobs.start:jobs.end] == jobs.text
    greeting = by_text["Good evening and welcome to the debate."]
    assert not greeting.check_worthy and greeting.rank is None and greeting.speaker == "Moderator"
    assert "money" in by_text["My opponent cut taxes for millionaires by $2 trillion."].features
    # reading order kept; ranks 1..n over the check-worthy sentences by score
    assert [s.index for s in spotted] == list(range(len(spotted)))
    ranked = sorted((s for s in spotted if s.check_worthy), key=lambda s: s.rank)
    assert [s.rank for s in ranked] == list(range(1, len(ranked) + 1))
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_spot_text_of_an_article_attributes_speakers_in_the_sentence():
    text = ("The minister said on Tuesday that exports rose 12% last year. "
            "\"We will never give up,\" said Maria Lopez. It was a sunny day.")
    spotted = spot_text(text, published_at="2024-05-15")
    assert spotted[0].check_worthy and "percentage" in spotted[0].features
    assert "quote" in spotted[1].features
    assert spotted[1].speaker == "Maria Lopez"


def test_spot_sentences_keeps_the_given_speaker_and_order():
    spotted = spot_sentences([{"text": "Crime fell by 20% in 2023.", "speaker": "Ann"}, {"text": "Hello everyone."}])
    assert [s.speaker for s in spotted] == ["Ann", None]
    assert spotted[0].check_worthy and not spotted[1].check_worthy


def test_cli_spot_jsonl_reports_bad_lines_and_goes_on(tmp_path, capsys):
    lines = ['{"id": "a", "text": "Unemployment fell to 3.5 percent in 2019.", "speaker": "Smith"}',
             "not json", '{"id": "c", "text": 5}', '{"id": "d", "text": "Hi!", "colour": "red"}', "[1]", "",
             '{"id": "f", "text": "Good evening, everyone."}']
    path = tmp_path / "sentences.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["spot", "--file", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c", "d", None, "f"]
    assert set(out[0]) == {"id", "score", "check_worthy", "speaker", "features"}
    assert out[0]["check_worthy"] is True and out[0]["speaker"] == "Smith" and 0 <= out[0]["score"] <= 1
    assert out[5]["check_worthy"] is False
    assert [o["line"] for o in out if "error" in o] == [2, 3, 4, 5]
    assert f"{path}:3: text: must be a non-empty string" in captured.err
    assert f"{path}:4: colour: unknown field" in captured.err


def test_cli_spot_ranks_a_transcript_file(tmp_path, capsys):
    path = tmp_path / "debate.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    assert main(["spot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "worth checking" in out and "[Smith] Unemployment fell" in out and "percentage" in out
    assert "Good evening" not in out  # not check-worthy: only ranked ones are listed
    assert main(["spot", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["sentences"][0]["speaker"] == "Moderator"


def test_cli_spot_reads_html(tmp_path, capsys):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>Budget</title></head><body><article><h1>Budget</h1><p>The government "
                    "spent $4 billion on roads in 2023, twice as much as in 2019.</p><p>Officials said more "
                    "would follow. It was a long meeting.</p></article></body></html>", encoding="utf-8")
    assert main(["spot", str(path), "--json"]) == 0
    sentences = json.loads(capsys.readouterr().out)["sentences"]
    roads = [s for s in sentences if "roads" in s["text"]][0]
    assert roads["check_worthy"] and roads["rank"] == 1


def test_cli_spot_needs_one_input(capsys):
    assert main(["spot"]) == 2
    assert "give either" in capsys.readouterr().err
    assert main(["spot", "/no/such/file.txt"]) == 2
    assert "no such file" in capsys.readouterr().err
