"""Exceptions raised by sitecircle.

Every exception derives from :class:`SitecircleError`; each also subclasses the builtin that
matches its meaning, so ``except ValueError`` keeps working for invalid input.
"""

from __future__ import annotations

from dataclasses import dataclass


class SitecircleError(Exception):
    """Base class of every sitecircle error."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an instance.

    Parameters
    ----------
    field
        Path of the offending field, e.g. ``communities[3].population``.
    message
        What is wrong and how to fix it.
    record
        Id of the record the field belongs to, when it has one.
    """

    field: str
    message: str
    record: str | None = None

    def __str__(self) -> str:
        where = self.field if self.record is None else f"{self.field} (id {self.record!r})"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        """Return the problem as a JSON-ready mapping."""
        return {"field": self.field, "record": self.record, "message": self.message}


class InstanceError(SitecircleError, ValueError):
    """The instance is invalid; :attr:`problems` lists every problem found.

    Parameters
    ----------
    problems
        All problems found, in the order they were found (runs of one rule may be summarised
        by one problem, "... and N more records like this").
    total
        The exact number of problems found, when ``problems`` summarises some of them
        (default: ``len(problems)``).
    """

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else max(int(total),
                                                                    len(self.problems))
        n = self.total
        head = f"invalid instance: {n} problem{'s' if n != 1 else ''}"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))

    def __reduce__(self) -> tuple[type[InstanceError], tuple[list[Problem], int]]:
        """Pickle with the problems, so the error survives a trip to a Dask worker and back."""
        return (type(self), (self.problems, self.total))


class BackendUnavailableError(SitecircleError, ImportError):
    """The requested backend or engine is unknown or not installed."""


class OptionsError(SitecircleError, ValueError):
    """A solve option (time limit, gap, threads, seed, backend option) is invalid."""


class BackendCapabilityError(SitecircleError, ValueError):
    """The backend cannot solve this kind of model."""


class SolveError(SitecircleError, RuntimeError):
    """A backend failed, or its answer did not survive independent verification."""


class ResourceLimitError(SitecircleError, MemoryError):
    """The instance would need more memory than the configured limit."""
