"""Colour the report's map by a community label (``--color-by street``).

By default the report colours communities by the number of required categories they miss. With
``color_by``, every community takes the colour of its group (its value of that community label,
e.g. its street) and the legend lists the groups. The colours cycle through a qualitative palette;
communities without a value are grey.
"""

from __future__ import annotations

from typing import Any

from sitecircle.instance.data import Instance

__all__ = ["GROUP_COLORS", "NO_GROUP_COLOR", "color_by_data"]

#: Qualitative palette (Tableau 20 order, darker tones first); groups beyond it reuse it.
GROUP_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#aec7e8", "#ffbb78", "#98df8a",
                "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#17becf")
#: Communities without a value of the label.
NO_GROUP_COLOR = "#cccccc"


def color_by_data(instance: Instance, by: str) -> dict[str, Any]:
    """The map data for colouring communities by the label ``by``.

    Parameters
    ----------
    instance
        The instance drawn.
    by
        A community label field (``Instance.community_labels``), e.g. ``street``.

    Returns
    -------
    dict
        ``{"by": by, "groups": [{"name", "color"}], "of": [group index or -1 per community]}``;
        groups in order of first appearance.

    Raises
    ------
    ValueError
        ``by`` is not a community label of the instance (the message names those it has).
    """
    labels = instance.community_labels
    if by not in labels:
        have = ", ".join(sorted(labels)) or "none (add a text field such as street)"
        msg = f"--color-by {by!r}: the communities have no such label; available: {have}"
        raise ValueError(msg)
    index: dict[str, int] = {}
    of = []
    for value in labels[by]:
        if value is None or value == "":
            of.append(-1)
            continue
        of.append(index.setdefault(str(value), len(index)))
    groups = [{"name": name, "color": GROUP_COLORS[i % len(GROUP_COLORS)]}
              for name, i in index.items()]
    return {"by": by, "groups": groups, "of": of, "none": NO_GROUP_COLOR}
