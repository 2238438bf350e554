"""`python -m inspection runs|executions|artifacts|lineage|models`; see `cli.py`."""

import sys

from inspection.cli import main

if __name__ == "__main__":
    sys.exit(main())
