"""Exit 0 if every `name==version` pin of a requirements file is installed, else 1.

Used by the setup scripts to skip pip when nothing is missing:
    python pins_ok.py requirements.txt
"""
import sys
from importlib.metadata import PackageNotFoundError, version

ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        ok &= version(name) == want
    except PackageNotFoundError:
        ok = False
sys.exit(0 if ok else 1)
