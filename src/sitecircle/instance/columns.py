"""Which layer column holds which instance field: the names build-geo recognises, in one table.

:data:`COLUMN_NAMES` lists, per instance field, the column names tried when the user maps none
(Chinese and English, matched after :func:`normalise`: case, width, spaces, ``_``/``-``/``.``
and a bracketed unit such as ``(万元)`` do not matter). :data:`LAYER_FIELDS` says which fields each
layer kind reads. Per-category costs are recognised by a cost word before or after a category id or
label (``cost_convenience_store``, ``造价_便利店``, ``便利店造价``, ``费用-便利店(万元)``), or by
the start of one (a Shapefile cuts names to 10 bytes: ``造价_便利``) when only one category starts
so.

A column that no field uses is reported by name with the ``--map`` that would use it; one that
*looks like* a cost, a category list, a capacity or a limit (:data:`SUSPICIOUS`) and is not used is
an error unless the user lists it in :attr:`~sitecircle.instance.layer_read.LayerOptions.ignore`:
dropping it silently would change the answer (every site hosting every category at cost 1).

To teach build-geo a new field (e.g. a capacity), add its names to :data:`COLUMN_NAMES`, the
field to :data:`LAYER_FIELDS` of the layers that carry it, and to :data:`NUMBER_FIELDS` or
:data:`TEXT_FIELDS` (a field with a structure of its own, like the per-category costs, is read in
:mod:`sitecircle.instance.layer_records`). A capacity column is already refused when unused
(:data:`SUSPICIOUS`); once ``capacity`` is a field of the layer the message offers its ``--map``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

#: Column names tried, after :func:`normalise`, when a field is not mapped explicitly; the first
#: present wins.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "code", "fid_code", "编码", "代码", "小区编号", "社区编号", "站点编号",
           "点位编号", "门店编号", "设施编号"),
    "name": ("name", "名称", "小区名称", "社区名称", "小区名", "名字", "站点名称", "点位名称",
             "店名", "门店名称", "设施名称", "地块名称"),
    "population": ("population", "pop", "人口", "常住人口", "人口数", "总人口", "居住人口",
                   "人口数量"),
    "elderly": ("elderly", "老年人口", "老年人", "老人", "老年人数", "老龄人口", "60岁以上人口",
                "65岁以上人口"),
    "children": ("children", "儿童", "儿童人口", "儿童人数", "婴幼儿", "婴幼儿人口",
                 "0-3岁人口", "0至3岁人口"),
    "categories": ("categories", "category", "类别", "业态", "可建类别", "可建业态", "可建设施",
                   "服务类别", "设施类别", "业态类型", "可设类别"),
    "cost": ("cost", "成本", "造价", "费用", "建设费用", "建设成本", "建设造价"),
    "open_cost": ("open_cost", "opening_cost", "setup_cost", "fixed_cost", "开办费", "开设费用",
                  "开办费用", "开设费", "开办成本", "固定成本", "固定费用", "启动费用"),
    "max_categories": ("max_categories", "max_cat", "最多类别", "最多类别数", "最多业态",
                       "类别上限", "最大类别数", "业态上限"),
    "x": ("lon", "lng", "longitude", "经度", "x", "东经"),
    "y": ("lat", "latitude", "纬度", "y", "北纬"),
    "street": ("street", "街道", "街道办", "镇街", "乡镇街道"),
    "district": ("district", "区", "区县", "行政区", "城区"),
    "community": ("community", "社区", "居委会", "社区居委会"),
    "address": ("address", "地址", "详细地址"),
    "capacity": ("capacity", "容量", "座位", "座位数", "床位", "床位数", "托位", "托位数",
                 "服务人数"),
}

#: Fields each layer reads (besides the per-category costs of sites and, for communities, the
#: demand field every category names). ``x``/``y`` are read only from CSV layers.
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "communities": ("id", "name", "x", "y", "population", "elderly", "children", "street",
                    "district", "community"),
    "sites": ("id", "name", "x", "y", "categories", "cost", "open_cost", "max_categories",
              "address"),
    "existing": ("id", "name", "x", "y", "categories", "address"),
}

#: Fields read as text, per layer (community ones are labels: FORMAT.md, "Labels, names and
#: money").
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "communities": ("name", "street", "district", "community"),
    "sites": ("name", "address"),
    "existing": ("name", "address"),
}

#: Fields read as numbers, per layer, besides the community demand fields the categories name
#: (always required) and the site costs. An empty cell leaves the field out (its default).
NUMBER_FIELDS: dict[str, tuple[str, ...]] = {
    "communities": ("elderly", "children"),
    "sites": ("open_cost", "max_categories"),
    "existing": (),
}

#: Words (after :func:`normalise`) that make an unused column an error: what it looks like, and
#: the fields that would use it.
SUSPICIOUS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "a cost": (("cost", "price", "造价", "费", "成本", "投资", "租金", "价格", "万元"),
               ("cost", "open_cost")),
    "a category list": (("categor", "类别", "业态", "可建", "设施类", "service"),
                        ("categories",)),
    "a capacity": (("capacity", "容量", "能力", "规模", "床位", "座位", "服务人数", "承载"),
                   ("capacity",)),
    "a limit": (("max", "最多", "上限", "最大", "limit"), ("max_categories",)),
}

#: Words that make a column a per-category cost when followed or preceded by a category.
COST_WORDS = ("cost", "造价", "费用", "成本", "price", "价格")

_UNIT = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_SEPARATORS = re.compile(r"[\s_\-.:：/·]+")


def normalise(name: str) -> str:
    """Compare-friendly form of a column name: NFKC, lower case, no unit, no separators.

    Examples
    --------
    >>> normalise("造价_便利店（万元）")
    '造价便利店'
    >>> normalise("Cost-Convenience Store")
    'costconveniencestore'
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return _SEPARATORS.sub("", _UNIT.sub("", text))


def find_column(columns: Sequence[str], key: str, mapping: Mapping[str, str]) -> str | None:
    """The column of field ``key``: the mapped one, else the first recognised name present.

    Parameters
    ----------
    columns
        The layer's column names.
    key
        Instance field.
    mapping
        Explicit field → column mapping (wins).

    Returns
    -------
    str or None
        The column name as spelt in the layer (or as mapped), or None.
    """
    if key in mapping:
        return mapping[key]
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise(c), str(c))
    for candidate in (key, *COLUMN_NAMES.get(key, ())):
        hit = by_norm.get(normalise(candidate))
        if hit is not None:
            return hit
    return None


def cost_category(column: str, lookup: Mapping[str, str]) -> str | None:
    """The category a per-category cost column is for, or None.

    Parameters
    ----------
    column
        Column name, e.g. ``造价_便利店`` or ``cost_convenience_store``.
    lookup
        Normalised category id or label → category id.

    Returns
    -------
    str or None
        The category id.

    Examples
    --------
    >>> table = {"conveniencestore": "convenience_store", "便利店": "convenience_store"}
    >>> cost_category("造价_便利店(万元)", table), cost_category("cost_convenience_store", table)
    ('convenience_store', 'convenience_store')
    >>> cost_category("便利店造价", table), cost_category("造价", table) is None
    ('convenience_store', True)
    >>> cost_category("造价_便利", table)  # cut to 10 bytes by a Shapefile
    'convenience_store'
    """
    name = normalise(column)
    rests = [name[len(w):] for w in COST_WORDS if name.startswith(w)]
    rests += [name[: -len(w)] for w in COST_WORDS if name.endswith(w)]
    for rest in rests:
        if rest in lookup:
            return lookup[rest]
    for rest in rests:  # a Shapefile keeps 10 bytes of a name: 造价_便利 for 造价_便利店
        if len(rest) >= 2:
            hits = {cid for key, cid in lookup.items() if key.startswith(rest)}
            if len(hits) == 1:
                return hits.pop()
    return None


def looks_like(column: str) -> str | None:
    """What an unused column looks like (a key of :data:`SUSPICIOUS`), or None.

    Examples
    --------
    >>> looks_like("开办费"), looks_like("可建类别"), looks_like("服务能力"), looks_like("面积")
    ('a cost', 'a category list', 'a capacity', None)
    """
    name = normalise(column)
    for what, (words, _fields) in SUSPICIOUS.items():
        if any(w in name for w in words):
            return what
    return None
