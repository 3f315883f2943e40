"""Reading a Prometheus text exposition, as the metrics tests scrape it."""

from __future__ import annotations

import re
from collections.abc import Iterator

Sample = tuple[str, dict[str, str], float]


def samples(text: str) -> Iterator[Sample]:
    """Every labelled sample: its name, its labels, its value."""
    for line in text.splitlines():
        found = re.match(r"^(\w+)\{(.*)\} (\S+)$", line)
        if found:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', found.group(2)))
            yield found.group(1), labels, float(found.group(3))


def figure(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(
        value
        for found, have, value in samples(text)
        if found == name and all(have.get(k) == v for k, v in labels.items())
    )
