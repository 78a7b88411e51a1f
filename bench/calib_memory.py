#!/usr/bin/env python3
"""Peak memory of calibration against the number of samples: quant-compile
on the GPT-2-style example (int8, entropy: two passes with histograms),
calibration data as one .npz, as one .npz run 8 sequences at a time
(--calib-batch 8), or as a directory of .npz files of 8 sequences each, for
128 and 1024 sequences. Peak RSS from getrusage of the child
process. Prints JSON.

    .venv/bin/python bench/calib_memory.py [--build build]
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(cmd):
    """Runs cmd in a fresh child; returns (peak RSS of that child in MiB,
    seconds). getrusage(RUSAGE_CHILDREN) is the maximum over children so
    far, so each measurement runs in its own python -c wrapper."""
    code = ("import resource,subprocess,sys,time;t=time.time();"
            "r=subprocess.run(sys.argv[1:],capture_output=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
            "time.time()-t,r.returncode)")
    out = subprocess.run([sys.executable, "-c", code, *map(str, cmd)],
                         capture_output=True, text=True, check=True).stdout
    kb, secs, rc = out.split()
    assert rc == "0", cmd
    return int(kb) / 1024, float(secs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    args = ap.parse_args()
    qc = Path(args.build).resolve() / "bin/quant-compile"
    work = Path(tempfile.mkdtemp(prefix="calib-mem-"))
    subprocess.run([sys.executable, ROOT / "examples/gpt2/make_gpt2.py",
                    "--out-dir", work], check=True, capture_output=True)
    model = next(work.glob("*.onnx"))
    ids = np.load(work / "test.npz")
    name = list(ids.keys())[0]
    seq = ids[name].shape[1]
    rng = np.random.default_rng(0)
    result = {"model": model.name, "sequence_length": int(seq)}
    for n in (128, 1024):
        data = rng.integers(0, 1000, (n, seq), dtype=ids[name].dtype)
        one = work / f"one_{n}.npz"
        np.savez(one, **{name: data})
        d = work / f"dir_{n}"
        d.mkdir()
        for i in range(0, n, 8):
            np.savez(d / f"part{i:05d}.npz", **{name: data[i:i + 8]})
        for kind, calib, extra in (("file", one, []),
                                   ("file_batch8", one,
                                    ["--calib-batch", "8"]),
                                   ("directory", d, [])):
            mb, secs = peak_rss_mb([qc, model, "--calib", calib, "--format",
                                    "int8", "--target", "none",
                                    "--calib-method", "entropy", "-q", "-o",
                                    work / f"p_{kind}_{n}.qcpkg", *extra])
            result[f"{kind}_{n}"] = {"peak_rss_mib": round(mb, 1),
                                     "seconds": round(secs, 2)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
