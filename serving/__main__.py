"""`python -m serving embed|compare|enrol|identify|remove|list ...` uses a pushed model; see `cli.py`."""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import sys

from serving.cli import main

if __name__ == "__main__":
    sys.exit(main())
