"""``python -m lexdial``: the same as the ``lexdial`` command."""

from lexdial.entrypoints.cli import run

run()
