"""Lab 1 that, while imported, plants a `.pth` file beside numpy (where every later Python of the
grading environment would run it) and changes numpy's own package; the lab itself is correct."""

import os

import numpy
from _reference import *

_site = os.path.dirname(os.path.dirname(numpy.__file__))
for _path, _text in (
    (os.path.join(_site, "_autograder_test_planted.pth"), "import os\n"),
    (os.path.join(os.path.dirname(numpy.__file__), "_autograder_test_planted.py"), "PLANTED = True\n"),
):
    try:
        with open(_path, "w") as _handle:
            _handle.write(_text)
    except OSError:
        pass
