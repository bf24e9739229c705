"""Turn one read layer into instance records: columns resolved, cells parsed, every column used.

:class:`LayerRecords` resolves which column holds which field (:mod:`sitecircle.instance.columns`),
reads every record, and reports what it left out: a column no field uses is a warning naming the
``--map`` that would use it, and an error when it looks like a cost, a category list or a capacity
(unless ignored). Problems go to one :class:`~sitecircle.instance.checks.Collector`, so a broken
column is summarised per rule and the count stays exact.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sitecircle.instance.cells import (
    category_tokens,
    cell_number,
    describe,
    is_blank,
    json_number,
    text_label,
)
from sitecircle.instance.checks import Collector
from sitecircle.instance.columns import (
    LAYER_FIELDS,
    NUMBER_FIELDS,
    SUSPICIOUS,
    TEXT_FIELDS,
    cost_category,
    find_column,
    looks_like,
    normalise,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from sitecircle.instance.layer_read import LayerOptions


@dataclass
class _Plan:
    """Which column holds what, for one layer."""

    fields: dict[str, str] = field(default_factory=dict)
    costs: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)


class LayerRecords:
    """Build the records of every layer against one category list, collecting every problem.

    Parameters
    ----------
    categories
        ``sitecircle.instance/1`` category objects (``id``, optional ``label``).
    """

    def __init__(self, categories: Sequence[dict[str, Any]]) -> None:
        self.categories = [str(c["id"]) for c in categories]
        self.known = ", ".join(f"{c['id']} ({c['label']})" if c.get("label") else str(c["id"])
                               for c in categories)
        self.col = Collector()
        self.remarks: list[str] = []
        self.lookup: dict[str, str] = {}
        self.cost_lookup: dict[str, str] = {}
        for c in categories:
            for key in (c["id"], c.get("label")):
                if isinstance(key, str) and key:
                    self.lookup.setdefault(_fold(key), str(c["id"]))
                    self.cost_lookup.setdefault(normalise(key), str(c["id"]))

    def category_of(self, token: str) -> str | None:
        """The category id of an id or label as written in a cell or ``--map`` key."""
        return self.lookup.get(_fold(token))

    # ------------------------------------------------------------------ columns

    def _plan(self, kind: str, columns: list[str], opts: LayerOptions,
              demand: Sequence[str]) -> _Plan:
        plan = _Plan()
        wanted = list(LAYER_FIELDS[kind])
        if kind == "communities":
            wanted += [f for f in demand if f not in wanted]
        for key, column in opts.columns.items():
            if column not in columns:
                self.col.add(f"{kind}: columns.{key}", f"no column {column!r} (columns: "
                             f"{', '.join(columns)})")
            elif key.startswith("cost."):
                cid = self.category_of(key[5:])
                if cid is None:
                    self.col.add(f"{kind}: columns.{key}", f"unknown category {key[5:]!r} "
                                 f"(known ids and labels: {self.known})")
                elif kind != "sites":
                    self.col.add(f"{kind}: columns.{key}", "only sites have costs")
                else:
                    plan.costs[cid] = column
            elif key in wanted:
                plan.fields[key] = column
            elif kind == "communities":
                plan.numbers[key] = column  # sorted into labels and numbers below
            else:
                self.col.add(f"{kind}: columns.{key}", f"{kind} have no field {key!r}; use "
                             f"one of {', '.join(wanted)}, or cost.<category> for sites")
        for key in wanted:
            if key not in plan.fields and key not in opts.columns:
                found = find_column(columns, key, {})
                if found is not None and found not in plan.fields.values():
                    plan.fields[key] = found
        if kind == "sites":
            taken = set(plan.fields.values()) | set(plan.costs.values())
            for column in columns:
                cid = cost_category(column, self.cost_lookup)
                if cid is not None and cid not in plan.costs and column not in taken:
                    plan.costs[cid] = column
        return plan

    def _report_unused(self, kind: str, columns: list[str], used: set[str],
                       opts: LayerOptions, text: dict[str, bool]) -> None:
        ignored = {normalise(c) for c in opts.ignore}
        quiet: list[str] = []
        for column in columns:
            if column in used or normalise(column) in ignored:
                continue
            what = looks_like(column) if kind != "communities" else None
            if what is None:
                quiet.append(column)
                continue
            fields = [f for f in SUSPICIOUS[what][1] if f in LAYER_FIELDS[kind]]
            maps = [f"--map {kind}.{f}={column}" for f in fields]
            if what == "a cost" and kind == "sites":
                maps.append(f"--map sites.cost.<category>={column}")
            use = (f"map it with {' or '.join(maps)}" if maps
                   else "build-geo does not read it")
            self.col.add(f"{kind}: column {column!r}", f"looks like {what} but is not used: "
                         f"{use}; or pass --ignore {column} (LayerOptions.ignore) to build "
                         "without it")
        if quiet:
            named = ", ".join(f"{c} ({_suggest(kind, c, text[c])})" for c in quiet)
            self.remarks.append(f"{kind}: column(s) not used: {named}; FIELD is one of "
                                f"{', '.join(_field_list(kind))}; --ignore COLUMN silences this")

    # ------------------------------------------------------------------ records

    def records(self, kind: str, gdf: gpd.GeoDataFrame, opts: LayerOptions,
                demand: Sequence[str], digits: int,
                also_used: Collection[str] = ()) -> list[dict[str, Any]]:
        """Records of one layer (points already in the instance CRS).

        Parameters
        ----------
        kind
            ``communities``, ``sites`` or ``existing``.
        gdf
            The layer as points.
        opts
            How it was read (column mapping, ignored columns).
        demand
            Community demand fields the categories name (``population`` first).
        digits
            Decimals kept of ``x`` and ``y``.
        also_used
            Columns another reader takes (the capacities): not reported as unused.

        Returns
        -------
        list of dict
            ``sitecircle.instance/1`` records; problems are in :attr:`col`.
        """
        columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        plan = self._plan(kind, columns, opts, demand)
        if kind == "communities":
            for key, column in list(plan.numbers.items()):
                if gdf[column].dtype.kind in "OUST":
                    plan.labels[key] = plan.numbers.pop(key)
        where = {k: f"{kind}.{c}" for k, c in plan.fields.items()}
        if "id" not in plan.fields:
            self._missing(kind, "id", columns)
        demand = list(demand) if kind == "communities" else []
        required = list(demand)
        if kind == "existing":
            required.append("categories")
        for key in required:
            if key not in plan.fields:
                self._missing(kind, key, columns)
        xs, ys = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
        frame = {c: gdf[c].tolist() for c in set(plan.fields.values()) | set(plan.costs.values())
                 | set(plan.labels.values()) | set(plan.numbers.values())}
        numeric = [f for f in dict.fromkeys((*demand, *NUMBER_FIELDS[kind])) if f in plan.fields]
        texts = [f for f in TEXT_FIELDS[kind] if f in plan.fields]
        out: list[dict[str, Any]] = []
        for n in range(len(gdf)):
            rid = text_label(frame[plan.fields["id"]][n]) if "id" in plan.fields else None
            rid = rid or f"#{n}"
            rec: dict[str, Any] = {"id": rid, "x": round(float(xs[n]), digits),
                                   "y": round(float(ys[n]), digits)}
            for f in texts:
                label = text_label(frame[plan.fields[f]][n])
                if label is not None:
                    rec[f] = label
            for key, column in plan.labels.items():
                label = text_label(frame[column][n])
                if label is not None:
                    rec[key] = label
            if "categories" in plan.fields:
                rec["categories"] = self._categories(kind, where["categories"], rid,
                                                     frame[plan.fields["categories"]][n])
            for num in numeric:
                self._number(rec, num, frame[plan.fields[num]][n], where[num], rid,
                             optional=num not in demand)
            for key, column in plan.numbers.items():
                self._number(rec, key, frame[column][n], f"{kind}.{column}", rid, optional=True)
            if kind == "sites":
                self._costs(rec, plan, frame, n)
            out.append(rec)
        if kind == "sites":
            self._site_remarks(plan)
        used = (set(plan.fields.values()) | set(plan.costs.values()) | set(plan.labels.values())
                | set(plan.numbers.values()) | set(also_used))
        text = {c: gdf[c].dtype.kind in "OUST" for c in columns}
        self._report_unused(kind, columns, used, opts, text)
        return out

    def _missing(self, kind: str, key: str, columns: list[str]) -> None:
        self.col.add(f"{kind}: {key}", f"no {key!r} column (columns: {', '.join(columns)}); map "
                     f"one with columns={{'{key}': ...}} (--map {kind}.{key}=COLUMN)")

    def _number(self, rec: dict[str, Any], key: str, raw: Any, where: str, rid: str, *,
                optional: bool = False) -> None:
        value = cell_number(raw)
        if value is None:
            if optional and is_blank(raw):
                return
            self.col.add(where, f"{key} is {describe(raw)}, not a number", rid)
            return
        if key == "max_categories":
            if not value.is_integer() or value < 0:
                self.col.add(where, f"max_categories is {describe(raw)}, not a whole number "
                             ">= 0", rid)
                return
            rec[key] = int(value)
            return
        rec[key] = json_number(value)

    def _categories(self, kind: str, where: str, rid: str, value: Any) -> list[str]:
        tokens = category_tokens(value)
        if not tokens:
            what = ("the categories it provides" if kind == "existing"
                    else "the categories the site may host")
            self.col.add(where, f"empty: list {what} (ids or labels: {self.known}), or remove "
                         "the record", rid)
            return []
        out: list[str] = []
        for token in tokens:
            cid = self.category_of(token)
            if cid is None:
                self.col.add(where, f"unknown category {token!r} (known ids and labels: "
                             f"{self.known})", rid)
            elif cid not in out:
                out.append(cid)
        return out

    def _costs(self, rec: dict[str, Any], plan: _Plan, frame: dict[str, list[Any]],
               n: int) -> None:
        """Per-category cost columns beat the one ``cost`` column; fill ``rec["cost"]``."""
        generic = plan.fields.get("cost")
        base = cell_number(frame[generic][n]) if generic else None
        if generic and base is None and not (plan.costs and is_blank(frame[generic][n])):
            self.col.add(f"sites.{generic}", f"cost is {describe(frame[generic][n])}, not a "
                         "number", rec["id"])
        if not plan.costs:
            if base is not None:
                rec["cost"] = json_number(base)
            return
        values = {cid: frame[column][n] for cid, column in plan.costs.items()}
        if "categories" not in plan.fields and base is None:
            # no category column: a site hosts the categories it has a cost for
            rec["categories"] = [c for c in self.categories
                                 if c in values and not is_blank(values[c])]
        hosted = rec.get("categories", self.categories)
        cost: dict[str, float | int] = {}
        for cid in hosted:
            raw = values.get(cid)
            v = cell_number(raw) if raw is not None else None
            if v is None and raw is not None and not is_blank(raw):
                self.col.add(f"sites.{plan.costs[cid]}", f"cost is {describe(raw)}, not a number",
                             rec["id"])
                continue
            v = base if v is None else v
            if v is None:
                column = plan.costs.get(cid) or f"cost_{cid}"
                self.col.add(f"sites.cost.{cid}", f"no cost for {cid!r}: fill {column} or a "
                             "cost column, or remove the category from the site", rec["id"])
            else:
                cost[cid] = json_number(v)
        rec["cost"] = cost

    def _site_remarks(self, plan: _Plan) -> None:
        if "cost" not in plan.fields and not plan.costs:
            self.remarks.append("sites: no cost column (cost, 造价, cost_<category>, "
                                "造价_<类别> ...): every site costs 1 per category, the format's "
                                "default; map one with --map sites.cost=COLUMN")
        if "categories" not in plan.fields and not plan.costs:
            self.remarks.append("sites: no category column (categories, 可建类别, 业态 ...): "
                                "every site may host every category; map one with --map "
                                "sites.categories=COLUMN")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def _suggest(kind: str, column: str, text: bool) -> str:
    """The ``--map`` that would use an unused column."""
    if kind == "communities":
        return (f"--map communities.LABEL={column} keeps it as a label" if text
                else f"--map communities.FIELD={column} for a demand field")
    return f"--map {kind}.FIELD={column}"


def _field_list(kind: str) -> list[str]:
    fields = [f for f in LAYER_FIELDS[kind] if f not in ("x", "y")]
    if kind == "communities":
        fields += ["<demand field>", "<label>"]
    if kind == "sites":
        fields.append("cost.<category>")
    return fields
