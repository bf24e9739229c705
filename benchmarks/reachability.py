"""Reachability benchmark: sitecircle's bounded Dijkstra vs networkx (and scipy full rows).

A seeded street-like grid (jittered edge lengths, a share of edges removed) and seeded source
nodes; every method finds all (source, node) pairs within the cutoff from the same sources:

* ``sitecircle``: :func:`sitecircle.travel.network.reach_within` (chunked subgraph Dijkstra);
* ``networkx``: ``single_source_dijkstra_path_length(cutoff=)`` per source;
* ``scipy-rows``: ``scipy.sparse.csgraph.dijkstra(indices=chunk, limit=)`` on the whole graph,
  which allocates a dense row of every node per source (optional, ``--scipy``).

Each method runs twice: once timed, once under :mod:`tracemalloc` for its peak memory (tracemalloc
slows allocation-heavy code, so times come from the first run). Results are checked to agree and
written to ``benchmarks/results/reachability.json`` and ``.md``.

Usage::

    python benchmarks/reachability.py            # 100k nodes, 10k sources
    python benchmarks/reachability.py --quick    # 20k nodes, 500 sources, < 30 s
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from sitecircle.travel.network import reach_within

RESULTS = Path(__file__).resolve().parent / "results"
Triples = tuple[np.ndarray, np.ndarray, np.ndarray]


def grid_graph(nodes: int, spacing: float, drop: float, seed: int) -> tuple[sp.csr_array,
                                                                             np.ndarray]:
    """A jittered square grid of about ``nodes`` nodes: symmetric CSR lengths and coordinates."""
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(nodes)))
    ids = np.arange(side * side).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(u)) >= drop
    u, v = u[keep], v[keep]
    w = spacing * rng.uniform(0.8, 1.2, len(u))
    xy = np.column_stack([(ids % side).ravel(), (ids // side).ravel()]).astype(float) * spacing
    n = side * side
    g = sp.csr_array((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                     shape=(n, n))
    g.sort_indices()
    return g, xy


def run_sitecircle(g: sp.csr_array, xy: np.ndarray, sources: np.ndarray, cutoff: float) -> Triples:
    """sitecircle's chunked subgraph Dijkstra."""
    return reach_within(g, sources, cutoff, xy=xy)


def make_networkx(g: sp.csr_array) -> nx.Graph:
    """The same graph for networkx (built outside the timing)."""
    coo = sp.triu(g).tocoo()
    h = nx.Graph()
    h.add_nodes_from(range(g.shape[0]))
    h.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(),
                                  strict=True))
    return h


def run_networkx(h: nx.Graph, sources: np.ndarray, cutoff: float) -> Triples:
    """networkx single-source Dijkstra with a cutoff, per source, collected into arrays."""
    s_parts, t_parts, d_parts = [], [], []
    for pos, s in enumerate(sources.tolist()):
        dist = nx.single_source_dijkstra_path_length(h, s, cutoff=cutoff)
        s_parts.append(np.full(len(dist), pos, dtype=np.int64))
        t_parts.append(np.fromiter(dist.keys(), np.int64, len(dist)))
        d_parts.append(np.fromiter(dist.values(), np.float64, len(dist)))
    return np.concatenate(s_parts), np.concatenate(t_parts), np.concatenate(d_parts)


def run_scipy_rows(g: sp.csr_array, sources: np.ndarray, cutoff: float, chunk: int = 64
                   ) -> Triples:
    """scipy's dijkstra with ``limit`` on the whole graph: a dense row per source."""
    parts = []
    for lo in range(0, len(sources), chunk):
        d = dijkstra(g, directed=True, indices=sources[lo:lo + chunk], limit=cutoff)
        r, c = np.nonzero(d <= cutoff)
        parts.append((r + lo, c, d[r, c]))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


def measure(fn: Callable[[], Triples]) -> dict[str, Any]:
    """Seconds of one run, then peak traced memory of a second run."""
    t = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t
    del out
    tracemalloc.start()
    out = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": round(seconds, 3), "pairs": int(len(out[0])),
            "peak_mib": round(peak / 2**20, 1), "result": out}


def same(a: Triples, b: Triples) -> bool:
    """Same pairs and lengths within 1e-9 m."""
    ka = np.lexsort((a[1], a[0]))
    kb = np.lexsort((b[1], b[0]))
    return (len(ka) == len(kb) and bool((a[0][ka] == b[0][kb]).all())
            and bool((a[1][ka] == b[1][kb]).all())
            and bool(np.allclose(a[2][ka], b[2][kb], rtol=0, atol=1e-9)))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the results."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="20k nodes, 500 sources (< 30 s)")
    p.add_argument("--nodes", type=int, help="grid nodes (default 100,000; quick 20,000)")
    p.add_argument("--sources", type=int, help="sources (default 10,000; quick 500)")
    p.add_argument("--cutoff", type=float, default=1000.0,
                   help="metres (default 1000 ≈ 15 min at 66.7 m/min)")
    p.add_argument("--spacing", type=float, default=60.0, help="grid spacing in metres")
    p.add_argument("--drop", type=float, default=0.1, help="share of grid edges removed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scipy", action="store_true", help="also run scipy full-row dijkstra")
    p.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    nodes = args.nodes or (20_000 if args.quick else 100_000)
    n_sources = args.sources or (500 if args.quick else 10_000)
    g, xy = grid_graph(nodes, args.spacing, args.drop, args.seed)
    sources = np.random.default_rng(args.seed + 1).choice(g.shape[0], n_sources, replace=False)
    h = make_networkx(g)
    runs = {"sitecircle": measure(lambda: run_sitecircle(g, xy, sources, args.cutoff)),
            "networkx": measure(lambda: run_networkx(h, sources, args.cutoff))}
    if args.scipy:
        runs["scipy-rows"] = measure(lambda: run_scipy_rows(g, sources, args.cutoff))
    reference = runs["networkx"]["result"]
    rows = []
    for name, r in runs.items():
        rows.append({"method": name, "nodes": int(g.shape[0]), "edges": int(g.nnz // 2),
                     "sources": n_sources, "cutoff_m": args.cutoff, "seconds": r["seconds"],
                     "pairs": r["pairs"], "peak_mib": r["peak_mib"],
                     "speedup_vs_networkx": round(runs["networkx"]["seconds"] / r["seconds"], 1),
                     "agrees_with_networkx": same(r["result"], reference)})
    meta = {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "networkx": nx.__version__, "cpus": os.cpu_count(),
            "machine": platform.machine(), "quick": args.quick, "seed": args.seed,
            "spacing_m": args.spacing, "drop": args.drop, "load_average_at_start": load}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reachability.json").write_text(json.dumps({"meta": meta, "rows": rows},
                                                           indent=1) + "\n")
    head = ("| method | nodes | sources | cutoff (m) | seconds | pairs | peak memory (MiB) | "
            "speed-up vs networkx | agrees |")
    lines = ["# Reachability benchmark", "",
             f"`python benchmarks/reachability.py{' --quick' if args.quick else ''}` — "
             f"jittered grid (spacing {args.spacing:g} m, {args.drop:.0%} edges removed), seed "
             f"{args.seed}; Python {meta['python']}, numpy {meta['numpy']}, scipy "
             f"{meta['scipy']}, networkx {meta['networkx']}, {meta['cpus']} CPUs (load average "
             f"{load:.1f} at start: other jobs inflate every time alike). Times from a plain run, "
             "peak memory (tracemalloc) from a second run.", "", head,
             "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['method']} | {r['nodes']:,} | {r['sources']:,} | {r['cutoff_m']:g} | "
                     f"{r['seconds']:.2f} | {r['pairs']:,} | {r['peak_mib']:.1f} | "
                     f"{r['speedup_vs_networkx']:.1f}× | {r['agrees_with_networkx']} |")
    (args.out / "reachability.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r["agrees_with_networkx"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
