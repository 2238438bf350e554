"""README.md and docs/ tell the truth about commands and links.

Commands: every line of a fenced code block (except python, yaml and json blocks) that starts with
`./dev`, `python -m` or `make` (after a `$ ` prompt and `NAME=value` assignments). Running each
for real would take the pipeline's minutes, so:
- `python -m MODULE ARGS` runs as written with `--help` appended: the module exists and argparse
  accepts the sub-commands and options that come before `--help` (optional parts in brackets are
  dropped, `a|b` alternatives keep the first; placeholders in capitals are ordinary arguments);
- `python -m pytest PATHS` names test paths that exist (its --help would load the test fixtures);
- `make TARGET`: the Makefile defines the target (make itself is outside the environment);
- any other `./dev CMD`: CMD exists in the environment.
Lines for other tools (docker, curl) are not run here.

Links: every relative link `[text](path#anchor)` outside code resolves to a file in the checkout
and, with an anchor, to a heading of that Markdown file (GitHub's anchor spelling).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
UNCHECKED_BLOCKS = {"python", "yaml", "json"}
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def _code_lines(page: Path):
    """(line number, text) of the lines inside checked fenced code blocks."""
    language = None
    for number, line in enumerate(page.read_text().splitlines(), 1):
        fence = re.match(r"^\s*```(\S*)", line)
        if fence:
            language = None if language is not None else fence.group(1) or "text"
        elif language is not None and language not in UNCHECKED_BLOCKS:
            yield number, line


def _prose_lines(page: Path):
    """(line number, text) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if re.match(r"^\s*```", line):
            fenced = not fenced
        elif not fenced:
            yield number, line


def _command(line: str):
    """(environment, argv) of a documented command, or None for a line that is not one."""
    text = line.strip().removeprefix("$ ")
    if not text.startswith(("./dev ", "python -m ", "make ")) and not ASSIGNMENT.match(text):
        return None
    words = shlex.split(text, comments=True)
    environment = {}
    while words and ASSIGNMENT.match(words[0]):
        name, value = words.pop(0).split("=", 1)
        environment[name] = value
    if words[:1] == ["./dev"]:
        words = words[1:]
    argv, optional = [], False
    for word in words:
        optional = optional or word.startswith("[")
        if not optional:
            argv.append(word.split("|")[0] if re.match(r"^[a-z_-]+(\|[a-z_-]+)+$", word) else word)
        optional = optional and not word.endswith("]")
    return (environment, tuple(argv)) if argv else None


def _commands():
    """Each distinct documented command, with the first place it is shown."""
    found = {}
    for page in PAGES:
        for number, line in _code_lines(page):
            command = _command(line)
            if command is not None:
                key = (tuple(sorted(command[0].items())), command[1])
                found.setdefault(key, f"{page.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def _check(environment, argv):
    """None if the command answers as documented, else what went wrong."""
    if argv[:3] == ("python", "-m", "pytest"):
        missing = [arg for arg in argv[3:] if not arg.startswith("-") and not (REPO / arg.split("::")[0]).exists()]
        return f"no such test path: {missing}" if missing else None
    if argv[:2] == ("python", "-m"):
        run = [sys.executable, *argv[1:], "--help"]
    elif argv[:2] == ("python", "-c"):
        run = [sys.executable, *argv[1:]]
    elif argv[0] == "make":
        # make is a host tool (./dev runs inside): the target must be one the Makefile defines.
        targets = re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.MULTILINE)
        unknown = [arg for arg in argv[1:] if "=" not in arg and arg not in targets]
        return f"no such make target: {unknown}" if unknown else None
    else:
        return None if shutil.which(argv[0]) else f"{argv[0]} is not in the environment"
    result = subprocess.run(run, cwd=REPO, env={**os.environ, **environment}, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        return f"exit {result.returncode}: {(result.stderr or result.stdout).strip().splitlines()[-1:]}"
    return None


def test_every_documented_command_answers():
    commands = _commands()
    assert len(commands) > 20, f"expected the README's and docs' commands, found {len(commands)}"
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = pool.map(lambda key: (commands[key], _check(dict(key[0]), key[1])), commands)
        failures = [f"{where}\n    {problem}" for where, problem in outcomes if problem]
    assert not failures, "documented commands that do not run as written:\n" + "\n".join(failures)


def _anchors(page: Path):
    """The anchors GitHub gives the headings of `page`."""
    anchors, seen = set(), {}
    for _, line in _prose_lines(page):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            text = LINK.sub(r"\1", heading.group(1)).replace("`", "").lower()
            slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if not count else f"{slug}-{count}")
    return anchors


def test_every_relative_link_resolves():
    broken = []
    for page in PAGES:
        for number, line in _prose_lines(page):
            for _, target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"^[a-z]+:", target):
                    continue  # http(s), mailto: not followed here
                path, _, anchor = target.partition("#")
                resolved = (page.parent / path).resolve() if path else page
                if not resolved.exists():
                    broken.append(f"{page.relative_to(REPO)}:{number}: {target} (no such file)")
                elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                    broken.append(f"{page.relative_to(REPO)}:{number}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)
