"""`python -m pretrained FILE --backbone r50 --output DIR` converts an insightface model; see `cli.py`."""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import sys

from pretrained.cli import main

if __name__ == "__main__":
    sys.exit(main())
