"""One way to start a HiGHS solver for the own engines (Benders master and tree, LP bounds)."""

from __future__ import annotations

from typing import Any

from sitecircle.stopping import stop_requested


def new_highs(threads: int | None = None, **options: Any) -> Any:
    """A quiet ``highspy.Highs`` with ``options`` set.

    Parameters
    ----------
    threads
        Threads to use (None: HiGHS' default). HiGHS keeps one thread scheduler per process; a
        thread count other than the one it first started with (by PuLP's HiGHS, say) makes
        ``run()`` fail, so the scheduler is reset before a count is set.
    **options
        Further HiGHS options (``presolve="off"``, ``time_limit=...``).

    A MIP or interior-point solve on it ends early, with what it has, once a stop was requested
    (:mod:`sitecircle.stopping`: Ctrl-C or SIGTERM reached the solver process): HiGHS calls
    back into Python at its interrupt points, where the signal's handler runs and the callback
    tells HiGHS to stop. The simplex has no such callback here (one per iteration would cost
    time on every LP); the own engines' LPs run under deadlines they test between solves.

    Returns
    -------
    highspy.Highs
        The solver, with no model yet.
    """
    import highspy  # noqa: PLC0415 - loaded only by the engines that solve with HiGHS

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    if threads is not None:
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(threads))
    for name, value in options.items():
        h.setOptionValue(name, value)
    h.cbMipInterrupt += _interrupt_on_stop
    h.cbIpmInterrupt += _interrupt_on_stop
    return h


def _interrupt_on_stop(event: Any) -> None:
    """HiGHS interrupt callback: stop the solve once a stop was requested."""
    if stop_requested():
        event.interrupt()
