"""The demo district as a planner exports it: Chinese column names for every field.

Communities: 编号, 小区名称, 常住人口, 老年人口, 儿童, 街道.
Candidate sites: 编号, 可建类别 (Chinese category labels), 造价_<类别> per category (empty where
not hosted), 开办费, 最多类别.
Existing shops: 编号, 店名, 类别 (labels).
build-geo must read all of it without a single ``--map``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo" / "nanning-district.json"
STREETS = ("新阳街道", "西乡塘街道", "衡阳街道")


def chinese_frames(n_comm: int = 40, n_site: int = 20, n_exist: int = 30
                   ) -> tuple[dict[str, Any], dict[str, gpd.GeoDataFrame]]:
    """The demo subset (its records, street labels added) and its layers with Chinese columns."""
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    labels = {c["id"]: c["label"] for c in doc["categories"]}
    comm = doc["communities"][:n_comm]
    for n, rec in enumerate(comm):
        rec["street"] = STREETS[n % len(STREETS)]
    sites = doc["sites"][:n_site]
    exist = doc["existing"][:n_exist]
    for n, rec in enumerate(exist):
        rec["name"] = f"{labels[rec['categories'][0]]}{n + 1}号"
    frames = {
        "communities": pd.DataFrame({
            "编号": [r["id"] for r in comm], "小区名称": [r["name"] for r in comm],
            "常住人口": [r["population"] for r in comm], "老年人口": [r["elderly"] for r in comm],
            "儿童": [r["children"] for r in comm], "街道": [r["street"] for r in comm]}),
        "sites": pd.DataFrame({
            "编号": [r["id"] for r in sites],
            "可建类别": ["、".join(labels[c] for c in r["categories"]) for r in sites],
            **{f"造价_{label}": [r["cost"].get(cid, np.nan) for r in sites]
               for cid, label in labels.items()},
            "开办费": [r.get("open_cost", np.nan) for r in sites],
            "最多类别": [r.get("max_categories", np.nan) for r in sites]}),
        "existing": pd.DataFrame({
            "编号": [r["id"] for r in exist], "店名": [r["name"] for r in exist],
            "类别": ["、".join(labels[c] for c in r["categories"]) for r in exist]}),
    }
    records = {"communities": comm, "sites": sites, "existing": exist}
    out = {}
    for kind, frame in frames.items():
        recs = records[kind]
        out[kind] = gpd.GeoDataFrame(frame, crs="EPSG:4326", geometry=gpd.points_from_xy(
            [r["x"] for r in recs], [r["y"] for r in recs]))
    return {**doc, **records}, out


def write_gpkg(folder: Path, frames: dict[str, gpd.GeoDataFrame], name: str = "片区.gpkg"
               ) -> Path:
    """One GeoPackage with the three layers (communities, sites, existing)."""
    path = folder / name
    for kind, gdf in frames.items():
        gdf.to_file(path, layer=kind, driver="GPKG", engine="pyogrio")
    return path
