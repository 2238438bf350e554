"""`python -m face_data FORMAT ...` converts face data to TFRecords; see `conversion/cli.py`."""

import sys

if __name__ == "__main__":
    # Imported only when run: worker processes import this module too, and must not load TensorFlow.
    from console import quiet

    quiet.start()  # before the CLI imports TensorFlow: its start-up lines are hidden unless --verbose
    from face_data.conversion.cli import main

    sys.exit(main())
