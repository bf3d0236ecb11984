"""Appended to a correct Lab 1 (so that it needs no other file): while imported, plant a `.pth`
file beside numpy (where every later Python of the grading environment would run it) and change
numpy's own package."""

import os as _os

import numpy as _numpy

_site = _os.path.dirname(_os.path.dirname(_numpy.__file__))
for _path, _text in (
    (_os.path.join(_site, "_autograder_test_planted.pth"), "import os\n"),
    (_os.path.join(_os.path.dirname(_numpy.__file__), "_autograder_test_planted.py"), "PLANTED = True\n"),
):
    try:
        with open(_path, "w") as _handle:
            _handle.write(_text)
    except OSError:
        pass
