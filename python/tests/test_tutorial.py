"""docs/Tutorial.md is run: every ```console block's `$ ` commands run in
order in one scratch directory and their output (stdout and stderr) must
match the text shown under them, and every ```pycon block runs as a doctest
in one shared namespace. In expected text, `...` matches anything within a
line, and a line that is only `...` matches any number of lines. ```sh
blocks are shown, not run (building quantc itself).

  QUANTC_UPDATE_TUTORIAL=1 pytest python/tests/test_tutorial.py

rewrites the console outputs in the doc from a real run (then put `...`
back where output may vary) -- the doc cannot rot silently.
"""
import doctest
import os
import re
import subprocess

import pytest

from conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "Tutorial.md"
FENCE = re.compile(r"^```(\w*)\s*$")


def blocks(text):
    """[(kind, first line index, lines)] of the fenced blocks."""
    out, kind, start, body = [], None, 0, []
    for i, line in enumerate(text.splitlines()):
        m = FENCE.match(line)
        if kind is None and m and m.group(1):
            kind, start, body = m.group(1), i, []
        elif kind is not None and line.strip() == "```":
            out.append((kind, start, body))
            kind = None
        elif kind is not None:
            body.append(line)
    return out


def commands(lines):
    """[(command, expected output lines)] of a console block."""
    out = []
    for line in lines:
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


def line_matches(expected, actual):
    parts = [re.escape(p) for p in expected.rstrip().split("...")]
    return re.fullmatch(".*".join(parts), actual.rstrip()) is not None


def output_matches(expected, actual):
    """Doctest-style ELLIPSIS over lines (see the module docstring)."""
    def match(i, j):
        if i == len(expected):
            return j == len(actual)
        if expected[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and line_matches(expected[i], actual[j]) \
            and match(i + 1, j + 1)
    return match(0, 0)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, build_dir):
    """A scratch directory that looks like the project root: the build,
    the examples and the venv are linked in; outputs land here."""
    d = tmp_path_factory.mktemp("tutorial")
    (d / "build").symlink_to(build_dir)
    for name in ("examples", ".venv"):
        (d / name).symlink_to(REPO_ROOT / name)
    return d


def test_tutorial_runs_as_written(workdir):
    text = DOC.read_text()
    update = os.environ.get("QUANTC_UPDATE_TUTORIAL") == "1"
    new_lines = text.splitlines()
    globs = {"__name__": "tutorial"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS |
                                   doctest.NORMALIZE_WHITESPACE)
    parser = doctest.DocTestParser()
    ran = cursor = 0
    failures = []
    old_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for kind, start, body in blocks(text):
            if kind == "console":
                for cmd, expected in commands(body):
                    res = subprocess.run(
                        ["bash", "-o", "pipefail", "-c", cmd], cwd=workdir,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True, timeout=300)
                    ran += 1
                    actual = res.stdout.rstrip("\n").splitlines()
                    if res.returncode != 0:
                        failures.append(f"`{cmd}` exited {res.returncode}:\n"
                                        + res.stdout)
                    elif not output_matches(expected, actual):
                        failures.append(
                            f"`{cmd}` (Tutorial.md line {start + 1}):\n"
                            "--- documented ---\n" + "\n".join(expected) +
                            "\n--- actual ---\n" + "\n".join(actual))
                    if update:
                        cursor = new_lines.index("$ " + cmd, cursor)
                        j = cursor + 1
                        while j < len(new_lines) and not (
                                new_lines[j].startswith("$ ") or
                                new_lines[j].strip() == "```"):
                            j += 1
                        new_lines[cursor + 1:j] = actual
                        cursor += 1
            elif kind == "pycon":
                test = parser.get_doctest("\n".join(body), globs,
                                          f"Tutorial.md:{start + 1}",
                                          str(DOC), start + 1)
                r = runner.run(test, out=lambda s: failures.append(s),
                               clear_globs=False)
                ran += r.attempted
                globs.update(test.globs)  # DocTest ran on a copy
    finally:
        os.chdir(old_cwd)
    if update:
        DOC.write_text("\n".join(new_lines) + "\n")
    assert ran >= 10, f"only {ran} commands/examples found in {DOC}"
    assert not failures, "\n\n".join(failures)
