"""``lexdial init``: the one command that creates a store (settings, data folder, key file,
database, the firm), and says what it made and where. Every other command refuses to
create one, so a command run from the wrong folder cannot start an empty store."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError

EPILOG = """examples:
  lexdial init --firm 'Hartwell & Ruiz LLP'
      ./lexdial.toml names the firm; data/ holds the database and data/keys.json
  lexdial init --firm 'Hartwell & Ruiz LLP' --data-dir store --key-file keys/lexdial.json
      the key file kept apart from the database (and from its backups)
"""


def cmd_init(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import init_store, store_place

    path = Path(args.settings or os.environ.get("LEXDIAL_SETTINGS") or "lexdial.toml")
    if args.data_dir and os.environ.get("LEXDIAL_DATA_DIR"):
        raise RequestError("--data-dir", "$LEXDIAL_DATA_DIR is set and names the data folder")
    if args.key_file and Path(args.key_file).is_dir():
        example = Path(args.key_file) / "keys.json"
        raise RequestError(
            "--key-file", f"{args.key_file} is a folder; name the file, e.g. {example}"
        )
    wrote = not path.exists()
    if wrote:
        firm = (args.firm or "").strip()
        if not firm:
            raise RequestError(
                "--firm", "name the firm every consent must name, e.g. --firm 'Hartwell & Ruiz LLP'"
            )
        path.write_text(_settings_text(path, firm, args.data_dir, args.key_file), "utf-8")
        from lexdial.config import load_settings  # lazy: it loads yaml and phonenumbers

        settings = load_settings(path)
    else:
        settings = _existing(path, args)
    try:
        store = init_store(settings)
    except Exception:
        if wrote:  # nothing half-made: the settings go with the store that failed
            path.unlink(missing_ok=True)
        raise
    store.db.dispose()
    place = store_place(settings)
    keys = "$LEXDIAL_MASTER_KEY" if place.key_file is None else str(place.key_file.resolve())
    data = {
        "firm": settings.firm_name,
        "settings": str(path.resolve()),
        "settings_written": wrote,
        "data_dir": str(place.data_dir.resolve()),
        "database": place.database,
        "key_file": keys,
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return
    how = "written" if wrote else "kept as it was"
    print(
        f'lexdial: created a new store for "{settings.firm_name}"\n'
        f"  settings  {data['settings']} ({how})\n"
        f"  data      {data['data_dir']}\n"
        f"  database  {place.database}\n"
        f"  key file  {keys}\n"
        "Back up the key file apart from the database: without it nothing stored can be "
        "read.\nCommands run in this folder (or given --settings with that file) use this "
        "store; next: lexdial contact add --help"
    )


def _existing(path: Path, args: argparse.Namespace) -> Any:
    """Settings from a file already there; options may repeat it but not contradict it."""
    from lexdial.config import load_settings

    settings = load_settings(path)
    if args.firm and args.firm.strip() != settings.firm_name:
        raise RequestError(
            "--firm", f"{path} already names the firm {settings.firm_name!r}; edit it there"
        )
    if args.data_dir:
        wanted = Path(args.data_dir).resolve()
        if settings.data_dir not in (None, wanted):
            raise RequestError("--data-dir", f"{path} already names {settings.data_dir}")
        settings = replace(settings, data_dir=wanted)
    if args.key_file:
        wanted = Path(args.key_file).resolve()
        if settings.key_file not in (None, wanted):
            raise RequestError("--key-file", f"{path} already names {settings.key_file}")
        settings = replace(settings, key_file=wanted)
    return settings


def _settings_text(path: Path, firm: str, data_dir: str | None, key_file: str | None) -> str:
    """A new settings file; paths are written relative to its folder where they can be."""
    base = path.resolve().parent

    def rel(value: str) -> str:
        return os.path.relpath(Path(value).resolve(), base)

    lines = [
        "# lexdial settings, written by 'lexdial init' (see lexdial/config/ for every key)",
        "[firm]",
        f"name = {json.dumps(firm)}  # the seller every consent must name",
        "",
        "[store]",
        f"data_dir = {json.dumps(rel(data_dir or 'data'))}",
    ]
    if key_file:
        lines.append(f"key_file = {json.dumps(rel(key_file))}")
    return "\n".join(lines) + "\n"


def add_commands(sub: Any) -> None:
    """Register ``init`` on the main parser's subparsers."""
    p = sub.add_parser(
        "init",
        help="create the firm's store: settings, data folder, key file, database",
        description="Create a new store and say what was created where. Writes the "
        "settings file (--settings, $LEXDIAL_SETTINGS or ./lexdial.toml) unless it exists, "
        "then the data folder, the key file and the database (SQLite in the data folder, or "
        "PostgreSQL through $LEXDIAL_DATABASE_URL). Refuses if a store or key file is "
        "already there.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=common.options(json="what was created, as JSON"),
    )
    p.add_argument("--firm", help="the firm's name, as consents name it as the seller")
    p.add_argument("--data-dir", help="data folder (default ./data)")
    p.add_argument("--key-file", help="key file (default DATA_DIR/keys.json)")
    p.set_defaults(func=cmd_init)
