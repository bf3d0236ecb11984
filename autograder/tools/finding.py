"""Where a submission's lab files are found, and which one is graded when two claim the same lab.

One rule for batch grading, Gradescope and pull requests (docs/guides/instructors.md, "Which
files are graded"):

- A lab file is a regular file (not a symlink, at most `MAX_FILE_BYTES`) named exactly like a
  lab (`lab1_sft.py`, ...; `autograder.labs.LAB_MODULES`).
- It is looked for in the submission's `exercises/` folder, in the submission folder itself,
  and one level down: in each subfolder and that subfolder's `exercises/`. A `.zip` file in
  the submission folder is opened and its contents are looked at in the same places.
- When several files claim one lab, the one graded is the first of: the file in `exercises/`,
  the file at the top level, then the most recently modified of the others (equal times: the
  first path in alphabetical order). The report names the file graded and the ones ignored.
- The provided helpers (`labkit.py`, ...; `autograder.sandbox.PROVIDED_HELPERS`) always come
  from the course's `solutions/`: copies in the submission are never graded with.

Every file is read into memory when it is found, so nothing a student's code does later can
change what is graded. `python -m autograder.tools.finding SUBMISSION WORK` stages a
submission into the folder WORK and prints the report (the pull-request script uses it).
"""

from __future__ import annotations

import argparse
import calendar
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.engine import REPO_ROOT
from autograder.labs import LAB_MODULES
from autograder.sandbox import PROVIDED_HELPERS

MAX_FILE_BYTES = 4 * 2**20
"""A lab file larger than this is not graded."""
MAX_ZIP_BYTES = 64 * 2**20
"""A zip file larger than this is not opened."""
COURSE_FILES = REPO_ROOT / "solutions"
"""Where the provided helpers come from."""
EXERCISES = "exercises"


@dataclass(frozen=True)
class Candidate:
    """A file that claims a lab (or a helper): where it was found, as the student named it, and its bytes."""

    name: str
    path: str
    rank: int
    """0: in `exercises/`, 1: at the top level, 2: anywhere else the rule looks."""
    modified: float
    data: bytes


@dataclass
class Found:
    """The lab files of one submission: the bytes graded, the file graded and the ones ignored."""

    files: dict[str, bytes] = field(default_factory=dict)
    """Lab file name (`lab1_sft.py`) -> the bytes to grade."""
    graded: dict[str, str] = field(default_factory=dict)
    """Lab file name -> the path of the file graded, relative to the submission."""
    ignored: dict[str, list[str]] = field(default_factory=dict)
    """Lab file name -> the other files that claim it (and those not graded, with the reason)."""
    helpers: list[str] = field(default_factory=list)
    """Copies of provided helpers in the submission, which are not used."""
    unreadable: list[str] = field(default_factory=list)
    """Zip files that could not be opened."""

    def report(self) -> list[str]:
        """A line per lab whose file is not simply `exercises/` or the top level alone, and per ignored file."""
        lines = []
        for name in sorted(self.graded.keys() | self.ignored.keys()):
            graded, ignored = self.graded.get(name), self.ignored.get(name, [])
            if graded and ignored:
                lines.append(f"{name}: graded {graded}; ignored {', '.join(ignored)}")
            elif graded and graded not in (name, f"{EXERCISES}/{name}"):
                lines.append(f"{name}: graded {graded}")
            elif not graded:
                lines.append(f"{name}: no file graded; ignored {', '.join(ignored)}")
        if self.helpers:
            lines.append(f"Provided helpers come from the course; ignored {', '.join(self.helpers)}")
        lines += [f"Ignored {archive}: not a zip file that can be read" for archive in self.unreadable]
        return lines


def lab_file_names() -> list[str]:
    """`lab1_sft.py`, ... for every lab the course has."""
    return [f"{module}.py" for module in LAB_MODULES.values()]


def _rank(parent: PurePosixPath) -> int | None:
    """Where a file in the folder `parent` (relative to the submission) stands; None: not looked at."""
    parts = parent.parts
    if parts == (EXERCISES,):
        return 0
    if not parts:
        return 1
    if any(part.startswith(".") or part == "__MACOSX" for part in parts):
        return None
    if len(parts) == 1 or (len(parts) == 2 and parts[1] == EXERCISES):
        return 2
    return None


def _too_large(shown: str) -> str:
    return f"{shown} (larger than {MAX_FILE_BYTES // 2**20} MiB)"


def _folder_candidates(folder: Path, names: set[str], ignored: list[tuple[str, str]]) -> list[Candidate]:
    """The files named in `names` on disk, in the places the rule looks."""
    subfolders = [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.is_symlink()]
    places = [folder, *subfolders, *(p / EXERCISES for p in subfolders if p.name != EXERCISES)]
    found = []
    for place in places:
        relative = PurePosixPath(place.relative_to(folder).as_posix())
        rank = _rank(relative)
        if rank is None or not place.is_dir() or place.is_symlink():
            continue
        for path in sorted(place.iterdir()):
            shown = (relative / path.name).as_posix()
            if path.name not in names:
                continue
            if path.is_symlink() or not path.is_file():
                ignored.append((path.name, f"{shown} (not a regular file)"))
            elif path.stat().st_size > MAX_FILE_BYTES:
                ignored.append((path.name, _too_large(shown)))
            else:
                found.append(Candidate(path.name, shown, rank, path.stat().st_mtime, path.read_bytes()))
    return found


def _zip_candidates(archive: Path, names: set[str], ignored: list[tuple[str, str]]) -> list[Candidate]:
    """The files named in `names` inside a zip, in the places the rule looks (ranked with the others)."""
    if archive.stat().st_size > MAX_ZIP_BYTES:
        raise zipfile.BadZipFile("too large")
    found = []
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            member = PurePosixPath(info.filename)
            if (
                info.is_dir()
                or member.name not in names
                or ".." in member.parts
                or _rank(member.parent) is None
            ):
                continue
            shown = f"{archive.name}:{member.as_posix()}"
            with opened.open(info) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                ignored.append((member.name, _too_large(shown)))
            else:
                modified = float(calendar.timegm((*info.date_time, 0, 0, 0)))
                found.append(Candidate(member.name, shown, 2, modified, data))
    return found


def _order(candidate: Candidate) -> tuple[int, float, str]:
    """Sort key: exercises/ first, then the top level, then the most recently modified, then by path."""
    return (candidate.rank, -candidate.modified if candidate.rank == 2 else 0.0, candidate.path)


def find_lab_files(folder: Path) -> Found:
    """The lab files of the submission `folder`, chosen by the rule (module docstring)."""
    labs, helpers = set(lab_file_names()), {f"{helper}.py" for helper in PROVIDED_HELPERS}
    ignored: list[tuple[str, str]] = []
    found = Found()
    candidates = _folder_candidates(folder, labs | helpers, ignored)
    for archive in sorted(folder.glob("*.zip")):
        try:
            candidates += _zip_candidates(archive, labs | helpers, ignored)
        except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError, EOFError):
            found.unreadable.append(archive.name)
    for name in sorted(labs):
        claims = sorted((c for c in candidates if c.name == name), key=_order)
        if claims:
            found.files[name], found.graded[name] = claims[0].data, claims[0].path
        others = [c.path for c in claims[1:]] + [text for lab, text in ignored if lab == name]
        if others:
            found.ignored[name] = others
    found.helpers = sorted(c.path for c in candidates if c.name in helpers)
    return found


def stage(found: Found, work: Path, course: Path = COURSE_FILES) -> None:
    """Fill the folder `work` with the chosen lab files and the course's provided helpers."""
    for name, data in found.files.items():
        (work / name).write_bytes(data)
    for helper in PROVIDED_HELPERS:
        (work / f"{helper}.py").write_bytes((course / f"{helper}.py").read_bytes())


def main(argv: list[str] | None = None) -> int:
    """Stage a submission for the grader; print the report. Exit status 0 (even with no lab file)."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.finding", description=__doc__.splitlines()[0]
    )
    parser.add_argument("submission", type=Path, help="the folder the student handed in")
    parser.add_argument("work", type=Path, help="an existing folder to stage the files to grade into")
    args = parser.parse_args(argv)
    found = find_lab_files(args.submission) if args.submission.is_dir() else Found()
    stage(found, args.work)
    for line in found.report():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
