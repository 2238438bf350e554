"""CheckedImportExampleGen: ImportExampleGen that checks every record in its Beam job (see executor.py)."""
