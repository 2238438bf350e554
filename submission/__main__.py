"""`python -m submission kfp|vertex run|schedule --config ...`; see `cli.py`."""

from submission.cli import main

if __name__ == "__main__":
    main()
