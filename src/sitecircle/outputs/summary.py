"""The short human summary printed by ``sitecircle solve``."""

from __future__ import annotations

from sitecircle.formatting import money, numbers_alike
from sitecircle.instance.data import Instance
from sitecircle.outputs.groups import summary_lines
from sitecircle.outputs.loads import capacity_model_line, load_lines
from sitecircle.outputs.phases import phase_lines
from sitecircle.solution import Solution


def _model_line(stats: dict[str, int | float], parts: int | None) -> str | None:
    """Model size before → after the exact reductions, in one line."""
    if "rows_before_merge" not in stats or "columns_hosted" not in stats:
        return None
    rows = int(stats.get("rows_merged_to", 0)) - int(stats.get("rows_dominated", 0))
    text = (f"model: {int(stats['rows_before_merge']):,} → {rows:,} coverage rows, "
            f"{int(stats['columns_hosted']):,} → {int(stats.get('columns', 0)):,} site columns "
            f"({int(stats.get('columns_dominated', 0)):,} dominated), "
            f"{int(stats.get('nonzeros', 0)):,} nonzeros")
    if parts:
        text += f"; solved as {parts} independent parts"
    return text


def summary(instance: Instance, solution: Solution) -> str:
    """Format the terminal summary of a solution.

    Parameters
    ----------
    instance
        The instance solved.
    solution
        Its solution.

    Returns
    -------
    str
        Several lines: status, objective, cost, coverage before → after, complete basket, the
        plan by phase (with phases), times.
    """
    s = solution
    solver = s.solver
    lines = [f"sitecircle · {s.instance} · {s.objective_type} · "
             f"{solver.get('backend')}/{solver.get('engine')}"]
    gap = "—" if s.gap is None else f"{s.gap:.4%}"
    objective, bound = numbers_alike(s.objective, s.bound)
    lines.append(f"status: {s.status.value}   objective {objective}   bound {bound}   gap {gap}")
    if s.explanation:
        lines.append(str(s.explanation.get("message", "")))
    budget = instance.objective.budget
    currency = instance.currency
    if budget is not None:
        cost, of = numbers_alike(s.cost, budget)
        unit = f" {currency}" if currency else ""
        cost_text = f"{cost}{unit} of budget {of}{unit}"
    else:
        cost_text = money(s.cost, currency)
    lines.append(f"cost: {cost_text} · {len(s.open)} new facilities")
    new_per_cat: dict[str, int] = {}
    for item in s.open:
        new_per_cat[item["category"]] = new_per_cat.get(item["category"], 0) + 1
    lines.append("coverage by category (share of its demand, before → after):")
    width = max(len(c.id) for c in instance.categories)
    for cat in instance.categories:
        b = s.coverage_before[cat.id]["share"]
        a = s.coverage[cat.id]["share"]
        label = f" {cat.label}" if cat.label != cat.id else ""
        lines.append(f"  {cat.id:<{width}}  {b:7.1%} → {a:7.1%}  "
                     f"(+{new_per_cat.get(cat.id, 0)} new){label}")
    cb, ca = s.complete_before, s.complete
    lines.append(f"complete basket: {cb['communities']} → {ca['communities']} of "
                 f"{instance.n_communities} communities ({cb['share']:.1%} → {ca['share']:.1%} "
                 "of population)")
    # a plan over several years: what each phase opens, costs and reaches
    lines += phase_lines(instance, {"open": s.open, "phases": s.phases})
    lines += summary_lines(s)  # objective stages and the weakest groups
    model_line = _model_line(s.model, solver.get("parts"))
    lines += load_lines({"loads": s.loads, "coverage": s.coverage},
                        {(o["site"], o["category"]) for o in s.open})
    model_line = _model_line(s.model, solver.get("parts")) or capacity_model_line(s.model)
    if model_line:
        lines.append(model_line)
    t = solver.get("timings", {})
    parts = [f"{k} {t[k]:.2f} s" for k in ("read", "coverage", "build", "translate", "solve",
                                           "verify", "stages", "total") if k in t]
    lines.append("time: " + " · ".join(parts))
    return "\n".join(lines)
