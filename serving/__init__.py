"""Using a pushed model: `python -m serving embed|compare` (see cli.py)."""
