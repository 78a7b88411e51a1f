"""Sums passed/failed test cases over JUnit XML files (lit, ctest, pytest).

Prints one line per suite and, last, `N passed, N failed`. Exits 1 if any
test failed or a suite produced no report (a crashed runner is a failure).
"""
import sys
import xml.etree.ElementTree as ET


def count(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = 0
    for case in root.iter("testcase"):
        bad = any(c.tag in ("failure", "error") for c in case)
        skipped = any(c.tag == "skipped" for c in case)
        if bad:
            failed += 1
        elif not skipped:
            passed += 1
    return passed, failed


def main(paths):
    total_p = total_f = 0
    for p in paths:
        r = count(p)
        if r is None:
            print(f"{p}: no report (runner failed)")
            total_f += 1
            continue
        print(f"{p}: {r[0]} passed, {r[1]} failed")
        total_p += r[0]
        total_f += r[1]
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
