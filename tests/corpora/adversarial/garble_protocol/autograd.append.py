
# Write garbage into the worker's answer pipe (its number is on the worker's command line).
import os as _os
import sys as _sys

_os.write(int(_sys.argv[2]), b"\xff" * 64)
