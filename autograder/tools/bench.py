"""Measure how fast grading is on this machine; report, never fail.

    python -m autograder.tools.bench --out bench        # or: nox -s bench

Writes `bench.json` and `bench.md` into `--out`. Every figure is the median of several runs,
with the min and the max:

- cold: a fresh `git clone` of the repo (with the working tree's current files laid over it, so
  that graders not yet committed are measured too) into a temporary folder, then the README's
  grade command `python -m nox -s grade` with no nox virtualenv yet. The package cache (uv's or
  pip's) is whatever it is on this machine, usually warm: the report says so.
- warm: `python -m nox -s grade -R` in that clone, on the reference (`-- --submission solutions`)
  and on the stubs (`exercises/`, the README's command as is).
- grader alone: `autograder.cli.grade_submission` on `solutions/`, one job: each lab alone and
  then all labs in one call, isolated (worker processes, the default) and in process, for the
  cost of isolation; then all labs isolated with one job per CPU (the command line's default).
- floor: `python -c "import numpy, hypothesis[, pytest]"` in the bench's environment, taken in
  turn with the warm grades (floor, reference, stubs; floor, reference, stubs; ...), so that a
  slow spell of the machine lands on both sides of their ratio; the ratio is the median of the
  runs' ratios.
- bytecode: whether this machine writes `.pyc` files (`PYTHONDONTWRITEBYTECODE`) and whether the
  two environments hold them (`nox -s grade` precompiles its own at install, since the jail's
  workers cannot write any). A process without them compiles what it imports, so the floor is
  measured a second time with bytecode cached (in a private `PYTHONPYCACHEPREFIX`), and the
  warm grade is compared with that floor too.

The targets (warm full grade <= 10 s and <= 6x the floor, one lab <= 4 s, cold <= 60 s with a warm
package cache, isolation overhead <= ~30 %) are reported as met or not met, with the reason.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder.engine import REPO_ROOT

INNER = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from autograder.cli import available_cpus, grade_submission
from autograder.labs import available_labs
mode = sys.argv[1]
in_process, jobs = mode == "in_process", available_cpus() if mode == "parallel" else 1
labs = available_labs()
imported = time.perf_counter()
times = {}
for number in labs if jobs == 1 else []:  # one lab alone, as `nox -s lab -- N` grades it
    t = time.perf_counter()
    grade_submission(Path("solutions"), [number], 2.0, in_process=in_process)
    times[number] = time.perf_counter() - t
t = time.perf_counter()  # every lab in one call, as `nox -s grade` grades them
results = grade_submission(Path("solutions"), labs, 2.0, in_process=in_process, jobs=jobs)
print(json.dumps({"startup": imported - started, "labs": times, "total": time.perf_counter() - t,
                  "jobs": jobs, "earned": sum(r.earned for r in results),
                  "points": sum(r.points for r in results)}))
"""


def summary(values: list[float]) -> dict[str, Any]:
    """Median, min, max and the runs, in seconds."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str, int]:
    """Run a command; return its wall time, its stdout and its exit status (never raise on status)."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr, done.returncode


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def nox_command(nox_python: str | None) -> list[str]:
    """How to run nox: `PYTHON -m nox` with an interpreter that has it, else `nox` on PATH."""
    if nox_python:
        return [nox_python, "-m", "nox"]
    if importlib.util.find_spec("nox") is not None:
        return [sys.executable, "-m", "nox"]
    found = shutil.which("nox")
    if found is None:
        raise SystemExit("python -m autograder.tools.bench: nox not found (pass --nox-python)")
    return [found]


def fresh_clone(source: Path, target: Path) -> None:
    """`git clone` the repo, then lay the working tree's current (non-ignored) files over it."""
    subprocess.run(["git", "clone", "--quiet", str(source), str(target)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = source / name
        if path.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)


def package_cache() -> str:
    """Where uv keeps its cache and how big it is (a warm cache makes the cold path fast)."""
    uv = shutil.which("uv")
    if uv is None:
        return "uv not found: nox falls back to virtualenv and pip's cache"
    folder = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=False).stdout.strip()
    if not folder or not Path(folder).is_dir():
        return f"uv cache {folder or '?'}: empty (cold)"
    size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())
    return f"uv cache {folder}: {size / 2**20:.0f} MiB before the run (warm: packages are not downloaded)"


def has_bytecode(folder: Path) -> bool:
    """Whether Hypothesis's `__init__` in the site-packages `folder` has a cached `.pyc` beside it."""
    return Path(importlib.util.cache_from_source(str(folder / "hypothesis" / "__init__.py"))).is_file()


def site_packages() -> Path:
    """The site-packages folder this interpreter imports Hypothesis from."""
    spec = importlib.util.find_spec("hypothesis")
    assert spec is not None and spec.origin is not None, "the bench's environment has Hypothesis"
    return Path(spec.origin).parent.parent


def cached_floor(command: list[str], runs: int) -> dict[str, Any]:
    """The floor with bytecode cached: after one warm-up run that writes it into a private prefix."""
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as prefix:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = prefix
        timed(command, REPO_ROOT, env)
        return summary([timed(command, REPO_ROOT, env)[0] for _ in range(runs)])


def measure(runs: int, cold_runs: int, nox_python: str | None) -> dict[str, Any]:
    """Take every measurement and return them with the targets."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    floor_modules = "numpy, hypothesis" + (", pytest" if importlib.util.find_spec("pytest") else "")
    floor_command = [sys.executable, "-c", f"import {floor_modules}"]
    results: dict[str, Any] = {"machine": machine(), "runs": runs, "cold_runs": cold_runs}
    results["machine"]["package_cache"] = package_cache()
    results["floor_command"] = f"python -c 'import {floor_modules}'"

    grader: dict[str, Any] = {}
    for mode in ("isolated", "in_process", "parallel"):
        totals: list[float] = []
        startups: list[float] = []
        per_lab: dict[str, list[float]] = {}
        for _ in range(runs):
            _, out, status = timed([sys.executable, "-c", INNER, mode], REPO_ROOT, env)
            if status != 0:
                raise SystemExit(f"grading the reference failed ({mode}):\n{out}")
            data = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
            totals.append(data["total"])
            startups.append(data["startup"])
            for number, seconds in data["labs"].items():
                per_lab.setdefault(number, []).append(seconds)
        grader[mode] = {
            "grading": summary(totals),
            "startup": summary(startups),
            "labs": {n: summary(v) for n, v in sorted(per_lab.items())},
            "jobs": data["jobs"],
            "score": f"{data['earned']}/{data['points']}",
        }
    results["grader"] = grader

    nox = nox_command(nox_python)
    cold, warm_ref, warm_stub, floor = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as temporary:
        for i in range(cold_runs):
            clone = Path(temporary) / f"clone{i}"
            started = time.perf_counter()
            fresh_clone(REPO_ROOT, clone)
            _, out, _ = timed([*nox, "-s", "grade"], clone)
            cold.append(time.perf_counter() - started)
            if "Score:" not in out:
                raise SystemExit(f"the cold grade printed no scoreboard:\n{out}")
        clone = Path(temporary) / "clone0"
        for _ in range(runs):  # in turn, so that the floor and the grades see the same machine
            floor.append(timed(floor_command, REPO_ROOT)[0])
            warm_ref.append(timed([*nox, "-s", "grade", "-R", "--", "--submission", "solutions"], clone)[0])
            warm_stub.append(timed([*nox, "-s", "grade", "-R"], clone)[0])
        (grade_site,) = (clone / ".nox" / "grade").glob("lib/python*/site-packages")
        results["bytecode"] = {
            "written": not sys.flags.dont_write_bytecode,
            "floor_environment": has_bytecode(site_packages()),
            "grade_environment": has_bytecode(grade_site),
        }
    results["floor"] = summary(floor)
    results["floor_cached"] = cached_floor(floor_command, runs)
    results["ratio"] = summary([w / f for w, f in zip(warm_ref, floor, strict=True)])
    results["cold"] = summary(cold)
    results["warm_reference"] = summary(warm_ref)
    results["warm_exercises"] = summary(warm_stub)
    results["targets"] = targets(results)
    return results


def bytecode_words(r: dict[str, Any]) -> str:
    """One sentence on the bytecode caches, which decide how much of every start-up is compiling."""
    b, cached = r["bytecode"], r["floor_cached"]["median"]
    why = "this machine writes none, PYTHONDONTWRITEBYTECODE" if not b["written"] else "none written yet"
    grade = (
        "the grade's environment has it (`nox -s grade` precompiles it at install)"
        if b["grade_environment"]
        else f"the grade's environment has none ({why})"
    )
    floor = (
        "the floor's has it too"
        if b["floor_environment"]
        else f"the floor's has none ({why}), so the floor includes compiling its imports"
    )
    ratio = r["warm_reference"]["median"] / cached
    return f"{grade}; {floor}. With bytecode cached the floor is {cached:.2f} s, and the warm grade {ratio:.1f}x it"


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value, met or not, and why."""
    warm = r["warm_reference"]["median"]
    floor = r["floor"]["median"]
    ratio = r["ratio"]["median"]
    iso, inproc, parallel = r["grader"]["isolated"], r["grader"]["in_process"], r["grader"]["parallel"]
    startup = iso["startup"]["median"]
    slowest_number, slowest = max(iso["labs"].items(), key=lambda item: item[1]["median"])
    one_lab = startup + slowest["median"]
    overhead = iso["grading"]["median"] / inproc["grading"]["median"] - 1
    whole = (startup + iso["grading"]["median"]) / (startup + inproc["grading"]["median"]) - 1
    labs = ", ".join(str(n) for n in iso["labs"])
    alone = parallel["startup"]["median"] + parallel["grading"]["median"]
    rows = [
        (
            "warm full grade (labs " + labs + ", isolated) <= 10 s",
            f"{warm:.2f} s",
            warm <= 10,
            f"nox starts the grader; the grader alone takes {alone:.2f} s with {parallel['jobs']} jobs (start-up and "
            "grading, in the bench's environment, workers not jailed)",
        ),
        (
            "warm full grade <= 6x the import floor (median of the runs' ratios)",
            f"{ratio:.1f}x",
            ratio <= 6,
            f"the floor is only the imports ({floor:.2f} s, taken in turn with the grades); Hypothesis generating "
            f"the examples of every property ({parallel['grading']['median']:.2f} s with {parallel['jobs']} jobs) "
            f"comes on top",
        ),
        (
            f"one lab (slowest: lab {slowest_number}) <= 4 s",
            f"{one_lab:.2f} s",
            one_lab <= 4,
            f"start-up {startup:.2f} s + grading {slowest['median']:.2f} s",
        ),
        (
            "cold path <= 60 s (package cache warm)",
            f"{r['cold']['median']:.2f} s",
            r["cold"]["median"] <= 60,
            "clone, virtualenv creation, installing numpy and hypothesis from the cache, grading the stubs",
        ),
        (
            "isolation overhead vs in process <= ~30 % (one job, start-up included)",
            f"{whole * 100:.0f} %",
            whole <= 0.30,
            f"grading only: isolated {iso['grading']['median']:.2f} s vs in process {inproc['grading']['median']:.2f} s "
            f"(+{overhead * 100:.0f} %): a socket round trip per call (two process wake-ups) and the first lab's "
            "worker start-up; the default of one job per CPU grades isolated faster than one job in process",
        ),
    ]
    return [{"target": t, "value": v, "met": m, "why": w} for t, v, m, w in rows]


def markdown(r: dict[str, Any]) -> str:
    """The report as Markdown: machine, figures table, targets."""

    def row(name: str, s: dict[str, Any]) -> str:
        return f"| {name} | {s['median']:.2f} | {s['min']:.2f} | {s['max']:.2f} |"

    m = r["machine"]
    iso, inproc, parallel = r["grader"]["isolated"], r["grader"]["in_process"], r["grader"]["parallel"]
    lines = [
        "# Grading speed",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {m['platform']}.",
        f"Package cache: {m['package_cache']}.",
        f"Load average when the run started: {m['load_average']} (other work on the machine slows every figure).",
        f"Bytecode: {bytecode_words(r)}.",
        f"Median of {r['runs']} runs ({r['cold_runs']} for the cold path), min and max, in seconds.",
        "",
        "| What | median | min | max |",
        "|---|---|---|---|",
        row("cold: git clone + `python -m nox -s grade` (new virtualenv)", r["cold"]),
        row("warm: `python -m nox -s grade -R -- --submission solutions`", r["warm_reference"]),
        row("warm: `python -m nox -s grade -R` (the stubs in exercises/)", r["warm_exercises"]),
        row(f"grader, isolated, {parallel['jobs']} jobs: grading only, all labs", parallel["grading"]),
        row("grader, isolated, 1 job: grading only, all labs", iso["grading"]),
        *(row(f"grader, isolated: lab {n} alone", s) for n, s in iso["labs"].items()),
        row("grader, in process, 1 job: grading only, all labs", inproc["grading"]),
        *(row(f"grader, in process: lab {n} alone", s) for n, s in inproc["labs"].items()),
        row("grader start-up (interpreter, imports)", iso["startup"]),
        row(f"floor: `{r['floor_command']}`, in turn with the warm grades", r["floor"]),
        row("floor with bytecode cached", r["floor_cached"]),
        f"| warm grade of the reference / floor, run by run | {r['ratio']['median']:.1f}x | "
        f"{r['ratio']['min']:.1f}x | {r['ratio']['max']:.1f}x |",
        "",
        f"Reference score: {iso['score']} isolated, {inproc['score']} in process.",
        "",
        "| Target | Measured | Met | Why |",
        "|---|---|---|---|",
        *(
            f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'no'} | {t['why']} |"
            for t in r["targets"]
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and write bench.json and bench.md; the exit status does not depend on the figures."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench", help="folder for the report")
    parser.add_argument("--runs", type=int, default=5, help="runs of each warm measurement (default 5)")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh clones for the cold path (default 3)")
    parser.add_argument("--nox-python", help="an interpreter with nox installed (default: find one)")
    args = parser.parse_args(argv)
    results = measure(max(1, args.runs), max(1, args.cold_runs), args.nox_python)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report = markdown(results)
    (args.out / "bench.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
