"""Writes quantc-build.pth into the running venv's site-packages so that
`import quantc` finds the build tree given as argv[1]. Does nothing outside
a venv (a system Python is never changed). Called by the build."""
import os
import sys
import sysconfig

if sys.prefix == sys.base_prefix:
    sys.exit(0)
site = sysconfig.get_paths()["purelib"]
path = os.path.join(site, "quantc-build.pth")
line = os.path.abspath(sys.argv[1]) + "\n"
try:
    with open(path) as f:
        if f.read() == line:
            sys.exit(0)
except OSError:
    pass
with open(path, "w") as f:
    f.write(line)
