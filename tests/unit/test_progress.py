"""Progress off a terminal: plain periodic lines, so a long run never looks frozen in a log."""

from __future__ import annotations

import io

from lexdial.entrypoints.progress import Bar


def test_off_a_terminal_the_bar_prints_plain_progress_lines() -> None:
    out = io.StringIO()  # not a TTY, like a log file or CI
    bar = Bar("Dialling campaign #1", 3, stream=out, interval=0.0)
    for done in (1, 1, 2, 3):
        bar.update(done, "1 on the line")
    bar.close(3)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Dialling campaign #1: 3 items..."
    assert lines[1:4] == [
        "Dialling campaign #1: 1/3 1 on the line",
        "Dialling campaign #1: 2/3 1 on the line",
        "Dialling campaign #1: 3/3 1 on the line",
    ]
    assert lines[4].startswith("Dialling campaign #1: 3 done in ")
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_off_a_terminal_progress_lines_are_spaced_by_the_interval() -> None:
    out = io.StringIO()
    bar = Bar("Dialling", 100, stream=out, interval=3600.0)
    for done in range(1, 101):
        bar.update(done)
    assert out.getvalue().splitlines() == ["Dialling: 100 items..."]
