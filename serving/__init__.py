"""Using a pushed model: `python -m serving embed|compare|enrol|identify|remove|list` (see cli.py)."""
