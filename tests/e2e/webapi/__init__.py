"""HTTP API and web tests (a package so their conftest stays theirs)."""
