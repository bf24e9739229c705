"""The network join report: snapping distances, unreachable communities, suspicious coordinates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.instance.data import Instance
from sitecircle.travel.network import _prepared, network_pairs

# ------------------------------------------------------------------------------------------------
# reporting


def _quantiles(values: NDArray[np.float64]) -> dict[str, float] | None:
    if len(values) == 0:
        return None
    q = np.quantile(values, [0.0, 0.5, 0.9, 0.99, 1.0])
    return {"min": float(q[0]), "p50": float(q[1]), "p90": float(q[2]), "p99": float(q[3]),
            "max": float(q[4]), "mean": float(values.mean())}


def network_report(instance: Instance, *, max_listed: int = 50) -> dict[str, Any]:
    """How the instance's points join the network, and what cannot reach anything.

    Parameters
    ----------
    instance
        A validated instance with ``travel.mode == "network"``.
    max_listed
        Most records listed per list (counts are always complete).

    Returns
    -------
    dict
        ``nodes``, ``edges``, ``components``; ``join_m`` (quantiles of join distances per kind);
        ``max_join_m``; ``far`` (records farther than ``max_join_m`` from the network: the sign
        of swapped lat/lon or GCJ-02/BD-09 shifted coordinates); ``isolated`` (records on a
        component holding nothing of the other side); ``unreachable`` (communities that no
        facility reaches within its largest threshold); counts of each; and ``messages``.
    """
    prep = _prepared(instance)
    net = prep.net
    m = instance.n_sites
    kinds = [("community", instance.community_ids, prep.community_m, prep.community_node),
             ("site", instance.site_ids, prep.facility_m[:m], prep.facility_node[:m]),
             ("existing", instance.existing_ids, prep.facility_m[m:], prep.facility_node[m:])]
    limit = instance.travel.max_join_m
    far: list[dict[str, Any]] = []
    for kind, ids, metres, _ in kinds:
        far += [{"kind": kind, "id": ids[i], "join_m": round(float(metres[i]), 1)}
                for i in np.flatnonzero(metres > limit)]
    far.sort(key=lambda r: -r["join_m"])
    comp = net.components
    c_comp, f_comp = set(comp[prep.community_node].tolist()), set(comp[prep.facility_node].tolist())
    isolated: list[dict[str, Any]] = []
    for kind, ids, _, nodes in kinds:
        other = f_comp if kind == "community" else c_comp
        isolated += [{"kind": kind, "id": ids[i], "component": int(comp[nodes[i]]),
                      "reason": "its network component holds no " + (
                          "site or existing facility" if kind == "community" else "community")}
                     for i in range(len(ids)) if comp[nodes[i]] not in other]
    pairs = network_pairs(instance)
    reached = np.zeros(instance.n_communities, dtype=bool)
    reached[pairs.community] = True
    unreachable = [instance.community_ids[i] for i in np.flatnonzero(~reached)]
    messages = []
    if far:
        ex = ", ".join(f"{r['kind']} {r['id']!r} ({r['join_m']:.0f} m)" for r in far[:5])
        messages.append(f"{len(far)} points lie farther than {limit:g} m from the network "
                        f"(swapped lat/lon or GCJ-02/BD-09 shifted coordinates?): {ex}")
    if isolated:
        ex = ", ".join(f"{r['kind']} {r['id']!r}" for r in isolated[:5])
        messages.append(f"{len(isolated)} points join a network component that reaches nothing of "
                        f"the other side: {ex}")
    if unreachable:
        messages.append(f"{len(unreachable)} communities reach no site or existing facility within "
                        f"any threshold: {', '.join(map(repr, unreachable[:5]))}")
    return {
        "file": str(net.path), "nodes": net.n_nodes, "edges": int(net.graph.nnz // 2),
        "components": int(comp.max() + 1) if len(comp) else 0, "max_join_m": limit,
        "join_m": {k: _quantiles(v) for k, _, v, _ in kinds},
        "far_count": len(far), "far": far[:max_listed],
        "isolated_count": len(isolated), "isolated": isolated[:max_listed],
        "unreachable_count": len(unreachable), "unreachable": unreachable[:max_listed],
        "messages": messages,
    }


def format_network_report(report: dict[str, Any]) -> str:
    """Human-readable text of :func:`network_report`.

    Parameters
    ----------
    report
        The report.

    Returns
    -------
    str
        A few lines: network size, join distances per kind, then one warning line per problem.
    """
    lines = [f"network {Path(report['file']).name}: {report['nodes']} nodes, {report['edges']} "
             f"edges, {report['components']} components"]
    for kind, q in report["join_m"].items():
        if q is not None:
            lines.append(f"  join distance of {kind} points (m): median {q['p50']:.0f}, 90% "
                         f"{q['p90']:.0f}, max {q['max']:.0f}")
    lines += [f"warning: {m}" for m in report["messages"]]
    return "\n".join(lines)
