"""ONNX backend node tests through the exporter: each test quant-run passes
(test/onnx-node/passing.txt) is imported, exported with --export-onnx and
run in onnxruntime against ONNX's expected outputs
(scripts/onnx_node_export_check.py does the work and keeps the list).

The ones in test/onnx-node/export-passing.txt must pass. Others (node tests
added to passing.txt since) must not come out wrong: a clear exporter
refusal, an import failure or an ONNX Runtime kernel that does not exist
(NOT_IMPLEMENTED) is reported as a skip, a wrong result or a model ORT
rejects as invalid is a failure.
"""
import importlib.util
import os

import pytest

from conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location(
    "onnx_node_export_check", REPO_ROOT / "scripts" / "onnx_node_export_check.py")
ec = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ec)
nt = ec.nt

LISTED = nt.read_list(nt.LIST_FILE)
MUST_PASS = set(nt.read_list(ec.EXPORT_LIST))


@pytest.fixture(scope="session")
def bin_dir(build_dir):
    if not os.path.isdir(nt.DATA_DIR):
        pytest.fail(f"no ONNX node tests at {nt.DATA_DIR}: "
                    "apt-get install libonnx-testdata")
    return os.path.join(build_dir, "bin")


def test_export_list_is_a_subset_of_the_pass_list():
    assert MUST_PASS, "export-passing.txt is empty"
    assert MUST_PASS <= set(LISTED), sorted(MUST_PASS - set(LISTED))


@pytest.mark.parametrize("name", LISTED)
def test_node_test_through_export(name, bin_dir):
    r = ec.check(os.path.join(nt.DATA_DIR, name), bin_dir)
    what = f"{name} ({', '.join(r['ops'])}): {r['status']}: {r['detail']}"
    if r["status"] == "PASS":
        return
    assert name not in MUST_PASS, what
    tolerated = r["status"] in ("EXPORT-ERROR", "SKIP") or (
        r["status"] == "ORT-ERROR" and "NOT_IMPLEMENTED" in r["detail"])
    assert tolerated, what
    pytest.skip(what)
