"""sitecircle's own engines behind the backend interface: the heuristic and Benders.

The backend is registered as ``sitecircle``; ``--engine heuristic`` or ``--engine benders`` picks
it without naming it (:func:`sitecircle.backends.registry.backend_for`). Its engines read the
model arrays directly (no translation), and return the engines' one result type.

Engines:

* ``heuristic`` (default): greedy, interchange and perturbation with a Lagrangian (or LP) bound
  (:mod:`sitecircle.engines.heuristic`), for every objective; ``feasible`` with a gap unless the
  bound meets the objective. It stops by its own rules, so it needs no time limit.
* ``benders``: Benders decomposition with HiGHS (:mod:`sitecircle.engines.benders`), for
  ``max_coverage`` and target-share ``min_cost``; exact when it closes the gap.

Neither takes a warm start. ``backend_options`` of the heuristic: ``bound`` (``"auto"``,
``"lagrangian"``, ``"lp"``, ``"none"``) and ``patience`` (see
:func:`~sitecircle.engines.heuristic.heuristic_solve`); the warm start of an exact engine runs it
with ``{"bound": "lagrangian", "patience": 30}``. ``threads`` of the heuristic: search processes
of a plain MCLP under a time limit (:mod:`sitecircle.engines.swap_parallel`; default two where
two CPUs are usable and idle, ``1``: one process); of Benders: HiGHS threads (and the heuristic's).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sitecircle.backends.base import Backend, BackendResult, Feature, SolveOptions
from sitecircle.engines.benders import benders_solve
from sitecircle.engines.benders_cuts import UnsupportedModel
from sitecircle.engines.heuristic import heuristic_solve
from sitecircle.errors import BackendCapabilityError, OptionsError
from sitecircle.model.linear import LinearModel

#: Engine names.
HEURISTIC, BENDERS = "heuristic", "benders"
_BOUNDS = ("auto", "lagrangian", "lp", "none")
_HEURISTIC_OPTIONS = ("bound", "patience")


def _heuristic_options(options: SolveOptions) -> dict[str, Any]:
    extra = dict(options.backend_options)
    unknown = sorted(set(extra) - set(_HEURISTIC_OPTIONS))
    if unknown:
        msg = (f"unknown backend options for the heuristic: {unknown}; use "
               f"{sorted(_HEURISTIC_OPTIONS)}")
        raise OptionsError(msg)
    if extra.get("bound", "auto") not in _BOUNDS:
        msg = f"heuristic bound must be one of {', '.join(_BOUNDS)}, got {extra['bound']!r}"
        raise OptionsError(msg)
    patience = extra.get("patience")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int)
                                 or patience < 0):
        msg = f"heuristic patience must be a whole number >= 0, got {patience!r}"
        raise OptionsError(msg)
    return extra


class OwnEnginesBackend(Backend):
    """sitecircle's heuristic and Benders engines (no solver library but HiGHS)."""

    name: ClassVar[str] = "sitecircle"
    required_modules: ClassVar[tuple[str, ...]] = ("highspy",)
    engines: ClassVar[dict[str, frozenset[Feature]]] = {
        HEURISTIC: frozenset({Feature.INTEGER}),
        BENDERS: frozenset({Feature.INTEGER, Feature.PROVES_OPTIMALITY}),
    }
    default_engine: ClassVar[str] = HEURISTIC

    def default_time_limit(self, engine: str | None) -> float | None:
        """None: both engines stop by their own rules (the heuristic does not run forever)."""
        return None

    def solve(self, model: LinearModel, options: SolveOptions) -> BackendResult:
        """Run the engine on the model arrays; see :meth:`Backend.solve`.

        Raises
        ------
        OptionsError
            Bad heuristic options.
        BackendCapabilityError
            The model is one the engine cannot solve (Benders: ``max_complete``, full-cover
            ``min_cost``; the heuristic: a model not written by
            :func:`~sitecircle.model.build.build_model`).
        """
        engine = self.check(options)
        if engine == HEURISTIC:
            extra = _heuristic_options(options)
            try:
                return heuristic_solve(model, time_limit_s=options.time_limit_s,
                                       seed=options.seed, bound=extra.get("bound", "auto"),
                                       patience=extra.get("patience"),
                                       threads=options.threads)
            except NotImplementedError as exc:
                msg = f"{exc}; use an exact engine (--engine scip or --backend pulp)"
                raise BackendCapabilityError(msg) from exc
        if options.backend_options:
            msg = (f"the benders engine takes no backend options, got "
                   f"{sorted(options.backend_options)}")
            raise OptionsError(msg)
        try:
            return benders_solve(model, time_limit_s=options.time_limit_s, gap=options.mip_gap,
                                 seed=options.seed, threads=options.threads)
        except UnsupportedModel as exc:
            raise BackendCapabilityError(str(exc)) from exc
