"""Outputs planners read: the terminal summary, GIS layers, the HTML report and the static map."""

from sitecircle.outputs.html import render_report, write_report
from sitecircle.outputs.layers import solution_layers, write_solution_layers
from sitecircle.outputs.summary import summary

__all__ = ["render_report", "solution_layers", "summary", "write_report", "write_solution_layers"]
