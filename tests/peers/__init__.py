"""Independently written fediverse software (bovine-herd, fediverse-pasture) run beside
fedishare in tests: subprocesses from the peers venv, on 127.0.0.1 only, offline."""
