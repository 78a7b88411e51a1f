"""The generated references in docs/ match their sources: Dialect.md and
Passes.md the ODS files (mlir-tblgen), Python.md the quantc package's
docstrings. A stale file fails here; scripts/gen-docs.sh regenerates them."""
import re
import subprocess

from conftest import REPO_ROOT


def test_generated_docs_are_current():
    res = subprocess.run(["bash", str(REPO_ROOT / "scripts/gen-docs.sh"),
                          "--check"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_every_public_name_is_documented():
    import quantc
    from quantc import numerics
    text = (REPO_ROOT / "docs" / "Python.md").read_text()
    for mod in (quantc, numerics):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) or isinstance(obj, type):
                assert obj.__doc__, f"{mod.__name__}.{name} has no docstring"
            if name != "numerics":  # a heading of its own
                assert re.search(rf"^###.* `(quantc\.(numerics\.)?)?{name}[(`]",
                                 text, re.M), name
