"""What a run did, read from ML Metadata: `python -m inspection` (tables or JSON) and
`python -m inspection.html_report` (one self-contained HTML page).

- `metadata`: opens the store and walks its events (ml-metadata has no lineage queries);
- `views`: runs, executions, artifacts, lineage and models as rows of plain values;
- `tables`: those rows as aligned text;
- `cli`: the `python -m inspection` command; `html_report`: the HTML page.
"""
