"""Using a pushed model: `python -m components.serving embed|compare` (see cli.py)."""
