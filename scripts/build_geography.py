"""Write src/lexdial/adapters/geography.json from the installed ``zipcodes`` dataset.

Run it after upgrading ``zipcodes`` (or tzdata), then review and commit the file:

    .venv/bin/python scripts/build_geography.py          # write the file
    .venv/bin/python scripts/build_geography.py --check  # exit 1 if the file is stale

tests/unit/rules/test_geography_file.py fails until the shipped file matches the dataset.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lexdial.adapters.geodata_build import build_text

TARGET = Path(__file__).resolve().parent.parent / "src" / "lexdial" / "adapters" / "geography.json"


def main(argv: list[str]) -> int:
    text = build_text()
    if "--check" in argv:
        same = TARGET.is_file() and TARGET.read_text("utf-8") == text
        print(f"{TARGET}: {'up to date' if same else 'STALE: run scripts/build_geography.py'}")
        return 0 if same else 1
    TARGET.write_text(text, "utf-8")
    print(f"{TARGET}: {len(text.encode()):,} bytes written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
