"""`python -m submission kfp|vertex run|schedule --config ...`; see `cli.py`."""

import sys

from submission.cli import main

if __name__ == "__main__":
    sys.exit(main())
