"""The report's tables of what decides whether a face model ships: low FARs, groups, IJB.

Three model sections (html_sections.MODEL_SECTIONS) read the evaluator's metrics.json: the TAR at
FAR 1e-1 ... 1e-6 over every pair of the eval split with its identity-bootstrap interval (its ROC,
log FAR axis, is roc.png among the figures), the FAR and FRR of each group at the shipped
threshold, and each IJB set's 1:1 TARs and 1:N figures. Each is "" when the run has none.

Example:
    >>> low_far(run_report, model)
    '<h3>Low false-accept rates: every pair of the eval split</h3><p>177,000 different-identity ...'
"""

import html

from components.embedding_evaluator.catalog import (ALL_PAIRS, ALL_PAIRS_FARS, FARS, GROUPS, IDENTIFICATION,
                                                   OPERATING_POINT, PAIR_SETS, SHIPPED_THRESHOLD, UNSHIPPED_THRESHOLD,
                                                   interval_key, tar_key)
from components.embedding_evaluator import report
from inspection import run_files
from verification.groups import ACROSS, WITHIN
from inspection.html_parts import columns, table
from inspection.tables import decimals


def _interval(values) -> str:
    return "" if not values else f"{values[0]:.4g} - {values[1]:.4g}"


def low_far(run_report, model: dict) -> str:
    """TAR at each FAR over every pair, or why the pairs cannot resolve it, with its interval."""
    every = (run_files.evaluation_report(model["evaluation_uri"]) or {}).get(ALL_PAIRS)
    if not every:
        return ""
    rows = [{"FAR": name, "TAR": every[tar_key(name)],
             "95% interval (identity bootstrap)": _interval(every.get(interval_key(tar_key(name))))}
            for name in ALL_PAIRS_FARS]
    return (f"<h3>Low false-accept rates: every pair of the eval split</h3><p>{every[report.NUM_IMPOSTOR_PAIRS]:,} "
            f"different-identity and {every[report.NUM_GENUINE_PAIRS]:,} same-identity pairs; intervals: "
            f"{html.escape(every[report.INTERVALS])}. The ROC on a log FAR axis is roc.png below.</p>"
            + table(rows, columns("FAR") + columns("TAR", show=decimals(4))
                    + columns("95% interval (identity bootstrap)")))


def groups(run_report, model: dict) -> str:
    """FAR and FRR within and across the groups of each attribute, at the shipped threshold."""
    evaluation = run_files.evaluation_report(model["evaluation_uri"]) or {}
    found = evaluation.get(GROUPS)
    if not found:
        return ""
    point = evaluation.get(OPERATING_POINT, {})
    if report.REFUSED in point:  # measured at the most accurate threshold, which was shipped with nothing
        parts = [f"<h3>Groups at the {html.escape(UNSHIPPED_THRESHOLD)}</h3>"]
    else:
        parts = [f"<h3>Groups at the {SHIPPED_THRESHOLD}</h3><p>Overall FAR {point.get('far', float('nan')):.3g}, "
                 f"FRR {point.get('frr', float('nan')):.3g} ({html.escape(str(point.get('pairs', '')))}).</p>"]
    for attribute, rates in sorted(found.items()):
        if report.REFUSED in rates:
            parts.append(f"<p>{html.escape(attribute)}: {html.escape(rates[report.REFUSED])}</p>")
            continue
        rows = [{"group": f"{attribute}={name}", "pairs": kind, "FAR": entry["far"],
                 "FAR interval": _interval(entry.get("far_interval")),
                 "false accepts": f"{entry['false_accepts']} of {entry['impostor_pairs']}", "FRR": entry["frr"],
                 "FRR interval": _interval(entry.get("frr_interval")),
                 "false rejects": f"{entry['false_rejects']} of {entry['genuine_pairs']}"}
                for kind in (WITHIN, ACROSS) for name, entry in sorted(rates[kind].items())]
        parts.append(table(rows, columns("group", "pairs") + columns("FAR", show=decimals(6))
                           + columns("FAR interval", "false accepts") + columns("FRR", show=decimals(4))
                           + columns("FRR interval", "false rejects")))
    return "".join(parts)


def ijb(run_report, model: dict) -> str:
    """Each IJB set's 1:1 TAR at each FAR and its 1:N figures per gallery."""
    sets = (run_files.evaluation_report(model["evaluation_uri"]) or {}).get(PAIR_SETS, {})
    parts = []
    for name, values in sorted(sets.items()):
        if IDENTIFICATION not in values:
            continue
        verification = [{"FAR": far, "TAR": values.get(tar_key(far))} for far in FARS]
        parts.append(f"<h3>IJB set {html.escape(name)}</h3><p>1:1 verification of templates "
                     f"({values.get(report.NUM_PAIRS, 0):,.0f} template pairs):</p>"
                     + table(verification, columns("FAR") + columns("TAR", show=decimals(4))))
        searches = [{"gallery": gallery, **figures} for gallery, figures in sorted(values[IDENTIFICATION].items())]
        shown = sorted({key for row in searches for key in row} - {"gallery"})
        parts.append("<p>1:N identification:</p>" + table(searches, columns("gallery") + columns(*shown, show=decimals(4))))
    return "".join(parts)
