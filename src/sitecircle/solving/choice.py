"""Which engine solves a model, and whether it needs its own process: rules by model size.

Both rules are measured on this project's benchmarks (``benchmarks/results/``, ``perf.md``) and
kept here, apart from the pipeline, so that the place where solve options are decided can call
them as they are.

* **Engine.** When the caller names no engine, OR-Tools' default (SCIP) spends about two
  seconds on the demo district (419 rows × 324 columns, 3,055 nonzeros) where HiGHS proves the
  same optimum in about 0.6 s: SCIP's start-up, presolve and root cut loop dominate small
  models. From a few thousand columns on SCIP is the stronger engine (on the single-category
  2,000 × 500 MCLP, 24,294 nonzeros, SCIP proves the optimum in 20 s, OR-Tools' HiGHS needs
  53 s), so the switch is for small models only. Phased models (copies of one model tied by
  "stays open" rows, :mod:`sitecircle.model.phases`) are the exception measured so far: on the
  three-year demo district HiGHS beat SCIP at every size tried (side by side, wall/CPU:
  reduced expansion, 2,391 columns, 11,882 nonzeros: 14.7/10.1 s against 46.2/30.9 s; with a
  ``then`` stage on the planning model's expansion, 4,770 columns: 39.6/32.5 s against
  87.1/62.8 s; capacitated, 3 assignment copies: 4.7/4.3 s against 9.4/8.8 s), so they take the
  small-model engine up to :data:`PHASED_NONZEROS`. Plain MCLPs past the small size keep SCIP:
  measured side by side (OR-Tools 9.15, single-category instances of
  ``benchmarks/spopt_peer.spopt_doc`` with ``max_new`` p, first stage only, each engine in its
  own solver process, 90 s limit, machine shared with other jobs), wall seconds SCIP / HiGHS:
  2,000 × 500 (24,294 nonzeros) p = 50: 22.8 / 62.1, p = 25: 21.4 / 63.0;
  3,000 × 700 (36,702) p = 70: 16.8 / 6.4, p = 35: 9.6 / 18.4;
  5,000 × 1,000 (61,512) p = 100: 25.0 / 76.6, p = 50: 41.3 / no plan in 90 s. HiGHS won one
  case of six, SCIP the other five (by 2–3×), so no size rule for HiGHS between
  :data:`SMALL_NONZEROS` and 100,000 nonzeros. (Without a time limit such a model first gets the
  heuristic head start of :mod:`sitecircle.solving.first_stage`, whose plan the LP bound often
  proves optimal before any engine runs.)
* **Process.** The solver child process (:mod:`sitecircle.solving.runner`) contains a time
  limit and a crash. A small model on a built-in engine without a time limit has neither to
  contain, and the child (fork, result transfer, and a fork server once HiGHS's threads exist)
  costs more than the solve itself, so it runs in the calling process.

Neither rule applies once ``highspy`` is loaded here (PuLP's HiGHS engine, the heuristic's LP
bound, Benders): OR-Tools' HiGHS run in a process where ``highspy``'s HiGHS has already solved
something crashes (segmentation fault, two HiGHS libraries in one process), so such a process
keeps the backend's default engine.
"""

from __future__ import annotations

import sys

from sitecircle.backends.base import Backend, SolveOptions
from sitecircle.backends.registry import REGISTRY
from sitecircle.model.linear import LinearModel

#: Models with at most this many nonzeros and columns are "small" for both rules.
SMALL_NONZEROS = 12_000
SMALL_COLUMNS = 2_000
#: Engine used for small models, per backend, when the caller names none.
SMALL_MODEL_ENGINE = {"ortools": "highs"}
#: Phased models up to this many nonzeros also get the small-model engine (module docstring).
PHASED_NONZEROS = 80_000


def is_small(model: LinearModel) -> bool:
    """True for models at or below :data:`SMALL_NONZEROS` nonzeros and :data:`SMALL_COLUMNS`."""
    return model.A.nnz <= SMALL_NONZEROS and model.n_vars <= SMALL_COLUMNS


def choose_engine(backend: Backend, model: LinearModel, requested: str | None) -> str | None:
    """The engine for ``model``: the caller's, else the fastest for its size (module docstring).

    Parameters
    ----------
    backend
        The backend that will solve.
    model
        The model to solve.
    requested
        The engine the caller named (None: choose).

    Returns
    -------
    str or None
        ``requested`` when given; for a small model, or a phased one up to
        :data:`PHASED_NONZEROS`, the backend's small-model engine (when it has one and it is
        available); otherwise None, the backend's default.
    """
    if requested is not None:
        return requested
    engine = SMALL_MODEL_ENGINE.get(backend.name)
    phased = model.stats.get("phases", 1) > 1 and model.A.nnz <= PHASED_NONZEROS
    if engine is None or engine not in backend.engines or not (is_small(model) or phased):
        return None
    if "highspy" in sys.modules:  # see the module docstring
        return None
    return engine


def runs_in_process(backend: Backend, model: LinearModel, options: SolveOptions) -> bool:
    """True when ``model`` is better solved in this process than in a solver child process.

    Small model, no time limit, built-in backend (a user-supplied backend keeps its child: a
    crash there must not end the caller).
    """
    builtin = REGISTRY.get(backend.name)
    return (options.time_limit_s is None and builtin is not None
            and type(backend) is builtin and is_small(model) and "highspy" not in sys.modules)
