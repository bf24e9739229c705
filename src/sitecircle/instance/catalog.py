"""The policy catalogue of 15-minute convenient living circle categories (``catalog.json``).

Each category has an id, Chinese and English names, a class (basic guarantee 基本保障类, quality
improvement 品质提升类, or elderly services, mandatory), a default walking threshold, the
community field that weighs it, OSM tag rules that identify existing facilities of it, an
illustrative set-up cost, and the policy documents it comes from.

Instances may name catalogue ids and omit what the catalogue supplies:
:func:`expand_catalog_categories` fills ``label``, ``threshold_min``, ``demand``, ``weight`` and
``required`` of every category whose id is in the catalogue (a category may even be the bare id
string), leaving every field the instance gives untouched.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Catalog", "CatalogCategory", "expand_catalog_categories", "format_catalog",
           "load_catalog"]

CATALOG_FORMAT = "sitecircle.catalog/1"


@dataclass(frozen=True)
class CatalogCategory:
    """One catalogue category.

    Parameters
    ----------
    id
        Category id used in instances.
    zh, en
        Chinese and English names.
    cls
        ``basic``, ``quality`` or ``elderly`` (JSON key ``class``).
    threshold_min
        Default walking threshold in minutes.
    demand
        Community field that weighs it.
    weight
        Default objective weight.
    required
        Part of the complete basket by default (the class's default unless given).
    cost
        Illustrative set-up cost (10,000 CNY) used by ``sitecircle build``.
    osm
        Tag rules: a facility matches when all conditions of any one rule hold.
    sources
        Ids of the policy documents.
    """

    id: str
    zh: str
    en: str
    cls: str
    threshold_min: float
    demand: str
    weight: float
    required: bool
    cost: float
    osm: tuple[tuple[tuple[str, str], ...], ...]
    sources: tuple[str, ...]

    def matches(self, tags: dict[str, str]) -> bool:
        """Whether an OSM object with these tags is a facility of this category.

        Parameters
        ----------
        tags
            The object's tags.

        Returns
        -------
        bool
            True when every condition of one rule holds (values are shell-style patterns).
        """
        return any(all(k in tags and fnmatch.fnmatchcase(tags[k], v) for k, v in rule)
                   for rule in self.osm)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as in ``catalog.json``."""
        return {"id": self.id, "zh": self.zh, "en": self.en, "class": self.cls,
                "threshold_min": self.threshold_min, "demand": self.demand,
                "weight": self.weight, "required": self.required, "cost": self.cost,
                "osm": [dict(rule) for rule in self.osm], "sources": list(self.sources)}

    def instance_category(self) -> dict[str, Any]:
        """The ``sitecircle.instance/1`` category object with every catalogue default."""
        return {"id": self.id, "label": self.zh, "threshold_min": self.threshold_min,
                "demand": self.demand, "weight": self.weight, "required": self.required}


@dataclass(frozen=True)
class Catalog:
    """The whole catalogue.

    Parameters
    ----------
    categories
        Categories in catalogue order.
    sources
        Policy documents by id.
    classes
        Class descriptions by id.
    note
        Free text about the defaults.
    """

    categories: tuple[CatalogCategory, ...]
    sources: dict[str, dict[str, Any]]
    classes: dict[str, dict[str, Any]]
    note: str = ""

    def __getitem__(self, key: str) -> CatalogCategory:
        for c in self.categories:
            if c.id == key:
                return c
        msg = f"{key!r} is not in the catalogue (known: {', '.join(self.ids)})"
        raise KeyError(msg)

    def __contains__(self, key: object) -> bool:
        return any(c.id == key for c in self.categories)

    @property
    def ids(self) -> tuple[str, ...]:
        """Category ids in catalogue order."""
        return tuple(c.id for c in self.categories)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalog:
        """Build a catalogue from its JSON form, checking every reference.

        Parameters
        ----------
        data
            The decoded ``sitecircle.catalog/1`` document.

        Returns
        -------
        Catalog
            The catalogue.

        Raises
        ------
        ValueError
            Wrong format, duplicate ids, unknown class or source.
        """
        if data.get("format") != CATALOG_FORMAT:
            msg = f"catalogue format must be {CATALOG_FORMAT!r}, got {data.get('format')!r}"
            raise ValueError(msg)
        classes, sources = dict(data["classes"]), dict(data["sources"])
        cats = []
        for rec in data["categories"]:
            if rec["class"] not in classes:
                msg = f"catalogue category {rec['id']!r}: unknown class {rec['class']!r}"
                raise ValueError(msg)
            unknown = set(rec.get("sources", [])) - set(sources)
            if unknown:
                msg = f"catalogue category {rec['id']!r}: unknown sources {sorted(unknown)}"
                raise ValueError(msg)
            cats.append(CatalogCategory(
                id=rec["id"], zh=rec["zh"], en=rec["en"], cls=rec["class"],
                threshold_min=float(rec["threshold_min"]), demand=rec.get("demand", "population"),
                weight=float(rec.get("weight", 1.0)),
                required=bool(rec.get("required", classes[rec["class"]]["required"])),
                cost=float(rec.get("cost", 1.0)),
                osm=tuple(tuple(sorted(rule.items())) for rule in rec.get("osm", [])),
                sources=tuple(rec.get("sources", [])),
            ))
        ids = [c.id for c in cats]
        if len(set(ids)) != len(ids):
            msg = "catalogue category ids must be unique"
            raise ValueError(msg)
        return cls(tuple(cats), sources, classes, str(data.get("note", "")))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``sitecircle.catalog/1``)."""
        return {"format": CATALOG_FORMAT, "note": self.note, "sources": self.sources,
                "classes": self.classes, "categories": [c.to_dict() for c in self.categories]}

    def categories_of(self, tags: dict[str, str], ids: list[str] | None = None) -> list[str]:
        """Catalogue ids (among ``ids``, default all) that an OSM object's tags match.

        Parameters
        ----------
        tags
            The object's tags.
        ids
            Restrict to these category ids.

        Returns
        -------
        list of str
            Matching ids in catalogue order.
        """
        wanted = self.categories if ids is None else [self[i] for i in ids]
        return [c.id for c in wanted if c.matches(tags)]


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalogue shipped with the package (``sitecircle/instance/catalog.json``).

    Returns
    -------
    Catalog
        The parsed catalogue.
    """
    shipped = resources.files("sitecircle.instance").joinpath("catalog.json")
    text = shipped.read_text(encoding="utf-8")
    return Catalog.from_dict(json.loads(text))


def expand_catalog_categories(data: dict[str, Any]) -> dict[str, Any]:
    """Fill categories that ask for it from the catalogue.

    Two forms opt in, so that no ``sitecircle.instance/1`` document written before the catalogue
    changes meaning (FORMAT.md's defaults, e.g. ``threshold_min`` 15, stay the defaults):

    * a bare catalogue id string in ``categories``, e.g. ``"elderly_canteen"``;
    * an object with ``"catalog": true``; its own fields win over the catalogue's.

    Parameters
    ----------
    data
        A decoded ``sitecircle.instance/1`` document (not modified).

    Returns
    -------
    dict
        A copy whose opted-in categories carry ``label``, ``threshold_min``, ``demand``,
        ``weight`` and ``required`` from the catalogue wherever the document omits them. Unknown
        ids and malformed entries are left as they are, for validation to report.
    """
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        return data
    catalog = load_catalog()
    out = dict(data)
    cats = []
    for rec in data["categories"]:
        if isinstance(rec, str) and rec in catalog:
            cats.append(catalog[rec].instance_category())
        elif (isinstance(rec, dict) and rec.get("catalog") is True
              and isinstance(rec.get("id"), str) and rec["id"] in catalog):
            own = {k: v for k, v in copy.deepcopy(rec).items() if k != "catalog"}
            cats.append({**catalog[rec["id"]].instance_category(), **own})
        else:
            cats.append(copy.deepcopy(rec))
    out["categories"] = cats
    return out


def format_catalog(catalog: Catalog | None = None) -> str:
    """A plain-text table of the catalogue for ``sitecircle catalog``.

    Parameters
    ----------
    catalog
        The catalogue (default: the shipped one).

    Returns
    -------
    str
        One line per category, then the policy sources.
    """
    catalog = catalog or load_catalog()
    head = f"{'id':<18} {'class':<8} {'min':>4} {'demand':<10} {'req':<3} {'cost':>5}  name"
    lines = [head, "-" * len(head)]
    for c in catalog.categories:
        lines.append(f"{c.id:<18} {c.cls:<8} {c.threshold_min:>4g} {c.demand:<10} "
                     f"{'yes' if c.required else 'no':<3} {c.cost:>5g}  {c.zh} / {c.en}")
        rules = " or ".join("+".join(f"{k}={v}" for k, v in rule) for rule in c.osm)
        lines.append(f"{'':<18} osm: {rules or '-'}; sources: {', '.join(c.sources)}")
    lines.append("")
    lines += [f"[{k}] {v['zh']} — {v['en']}" for k, v in catalog.sources.items()]
    return "\n".join(lines)
