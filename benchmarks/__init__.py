"""Benchmarks of sitecircle: backends side by side, against spopt and against published optima.

Run ``python benchmarks/run.py --help``; see ``benchmarks/README.md``.
"""
