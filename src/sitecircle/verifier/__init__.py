"""The independent verifier: recomputes every figure from the opened sites alone.

It is independent of :mod:`sitecircle.travel` and :mod:`sitecircle.model` by design: it shares
no distance, shortest-path or coverage code with the stages it checks.
"""

from sitecircle.verifier.check import Verification, verify

__all__ = ["Verification", "verify"]
