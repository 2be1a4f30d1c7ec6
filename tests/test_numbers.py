"""Quantities: money, percentages, counts with units, word numbers, ordinals; dates/years/ids are not numbers."""
import pytest

from factcheck.extract.numbers import extract_numbers

# text -> [(span text, value, unit, kind), ...] (all numbers found, in order)
ROWS = [
    ("The plan is worth €200bn.", [("€200bn", 200e9, "EUR", "money")]),
    ("Macron’s €109 Billion AI Investment Plan", [("€109 Billion", 109e9, "EUR", "money")]),   # headline case
    ("It cost $1.5 million.", [("$1.5 million", 1.5e6, "USD", "money")]),
    ("a fine of 1.8 billion euros", [("1.8 billion euros", 1.8e9, "EUR", "money")]),
    ("a £20m deal", [("£20m", 20e6, "GBP", "money")]),
    ("US$5 billion in aid", [("US$5 billion", 5e9, "USD", "money")]),
    ("300 million dollars", [("300 million dollars", 300e6, "USD", "money")]),
    ("12 yuan each", [("12 yuan", 12, "CNY", "money")]),
    ("EUR 40 million", [("EUR 40 million", 40e6, "EUR", "money")]),
    ("Prices rose 7%.", [("7%", 7, "%", "percent")]),
    ("Prices rose 7 percent.", [("7 percent", 7, "%", "percent")]),
    ("Prices rose 7 per cent.", [("7 per cent", 7, "%", "percent")]),
    ("up 3.5 percentage points", [("3.5 percentage points", 3.5, "percentage points", "percent")]),
    ("27 countries signed", [("27", 27, "countries", "count")]),
    ("Some 27 EU countries signed", [("27", 27, "countries", "count")]),
    ("523 votes in favour", [("523", 523, "votes", "count")]),
    ("Sixty-one countries voted", [("Sixty-one", 61, "countries", "count")]),
    ("sixty one delegates", [("sixty one", 61, "delegates", "count")]),
    ("three ministers resigned", [("three", 3, "ministers", "count")]),
    ("a dozen eggs", [("a dozen", 12, "eggs", "count")]),
    ("two hundred and fifty thousand people", [("two hundred and fifty thousand", 250e3, "people", "count")]),
    ("a million people", [("a million", 1e6, "people", "count")]),
    ("models trained with 10^25 FLOPs", [("10^25", 1e25, "flops", "count")]),
    ("models trained with 10²⁵ FLOPs", [("10²⁵", 1e25, "flops", "count")]),
    ("1,000 people", [("1,000", 1000, "people", "count")]),
    ("1 000 people", [("1 000", 1000, "people", "count")]),
    ("a 36 hours strike", [("36", 36, "hours", "count")]),
    ("a 36-hour ceasefire", [("36", 36, "hour", "count")]),
    ("It was the first time.", [("first", 1, "time", "ordinal")]),
    ("the second round", [("second", 2, "round", "ordinal")]),
    ("the twenty-first summit", [("twenty-first", 21, "summit", "ordinal")]),
    ("the 21st century", [("21st", 21, "century", "ordinal")]),
    ("Wait a second.", []),
    ("one of the largest", []),
    ("no one came", []),
    ("the one that got away", []),
    ("one country objected", [("one", 1, "country", "count")]),
    ("He was 45.", [("45", 45, None, "count")]),
    ("2000 people marched", [("2000", 2000, "people", "count")]),
    ("about 1900 were hurt", [("1900", 1900, None, "count")]),
    ("5k runners", [("5k", 5000, "runners", "count")]),
    ("priced at US $199", [("US $199", 199, "USD", "money")]),
    ("saves US$ 300 million", [("US$ 300 million", 300e6, "USD", "money")]),
    ("or -2.56%, closing", [("-2.56%", -2.56, "%", "percent")]),
    ("the 7th largest fall", [("7th", 7, None, "ordinal")]),
    ("the Boeing 787 flew", []),
    # not numbers: dates, years, times, identifiers
    ("On 14 May 2024 the vote took place.", []),
    ("On May 14, 2024 the vote took place.", []),
    ("the 14th of May", []),
    ("in 2024", []),
    ("in March 2024", []),
    ("since 1990, in the 1990s", []),
    ("at 08:21 on Tuesday", []),
    ("at 10 pm", []),
    ("Regulation (EU) 2024/1689", []),
    ("the G7 and COVID-19 and the F-35", []),
    ("after 9/11", []),
    ("on 2024-05-14", []),
    ("version 3.8.18", []),
    ("Article 5 of the treaty", []),
    ("the 2023-24 season", []),
    ("5G networks", []),
    ("Flight MH17", []),
]


@pytest.mark.parametrize("text,expected", ROWS)
def test_extract_numbers(text, expected):
    got = extract_numbers(text)
    assert [(n.text, n.unit, n.kind) for n in got] == [(t, u, k) for t, _, u, k in expected]
    for n, (_, value, _, _) in zip(got, expected):
        assert n.value == pytest.approx(value)
        assert text[n.start:n.end] == n.text


def test_several_numbers_in_order():
    text = "In 2023, 27 countries spent €1.2bn, up 7% on the first half."
    got = extract_numbers(text)
    assert [(n.text, n.kind) for n in got] == [("27", "count"), ("€1.2bn", "money"), ("7%", "percent"),
                                               ("first", "ordinal")]


# claim figure, source figure, same quantity? (compare.numbers_agree: rounding as written, half away from zero)
AGREE_ROWS = [
    ("1.84 billion", 1.84e9, "1.8 billion", 1.8e9, True),    # the source rounds to the digits it writes
    ("1.8 billion", 1.8e9, "1.84 billion", 1.84e9, True),
    ("1,049", 1049, "1,000", 1000, True),                     # round thousands read as rounded
    ("24", 24, "20", 20, False),                              # a small plain count is exact: 24 deaths are not 20
    ("25", 25, "20", 20, False),                              # and 25 does not round down to 20
    ("36", 36, "36", 36, True),
    ("455,000", 455000, "450,000", 450000, False),            # 455,000 rounds to 460,000 at two digits
    ("3.5", 3.5, "3", 3, False),
]


@pytest.mark.parametrize("a_text,a_value,b_text,b_value,agree", AGREE_ROWS)
def test_numbers_agree(a_text, a_value, b_text, b_value, agree):
    from factcheck.compare import numbers_agree
    from factcheck.models import Number

    a = Number(a_text, 0, len(a_text), a_value, None, "count")
    b = Number(b_text, 0, len(b_text), b_value, None, "count")
    assert numbers_agree(a, b) is agree
