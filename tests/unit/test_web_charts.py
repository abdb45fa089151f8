"""The dashboard's SVG charts draw every label inside the picture."""

from __future__ import annotations

import re

from lexdial.entrypoints.api.routes_web_campaigns import OUTCOME_WORDS
from lexdial.entrypoints.api.web_charts import LABEL_PX, bars


def test_the_outcomes_chart_has_room_for_its_longest_label() -> None:
    items = [(words, 3) for words in OUTCOME_WORDS.values()]
    svg = str(bars("Call outcomes", items))
    for x, label in re.findall(r'<text class="label" x="([\d.]+)"[^>]*>([^<]+)</text>', svg):
        # right-aligned at x: the label starts at x minus its width, which must be >= 0
        assert float(x) - len(label) * LABEL_PX >= 0, label
