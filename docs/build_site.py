"""Build or serve the course site, the one way both `nox -s docs` and the browser test use.

    python docs/build_site.py                  # strict build into site/
    python docs/build_site.py --site-dir DIR   # strict build elsewhere
    python docs/build_site.py serve            # live preview on http://127.0.0.1:8000

Steps: install KaTeX from `package-lock.json` with `npm ci` when `node_modules/` does not hold the
pinned version; draw the figures by running each reference demo with `--plots docs/figures` and
the concept chapters' figures with `docs/figures.py docs/figures`; then run `mkdocs build --strict`
(or `mkdocs serve`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from autograder.course import lab_files  # after the line above: the repo root is on the path only now

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
CONFIG = ROOT / "mkdocs.yml"


def run(command: list[str], quiet: bool = True) -> None:
    """Run a command from the repo root; if quiet, show its output only when it fails."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # keep the theme's banner out of the logs
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=quiet, text=True, check=False)
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")


def install_katex() -> None:
    """Run `npm ci` unless node_modules already holds the KaTeX version that the lock pins."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/katex"]["version"]
    installed = ROOT / "node_modules" / "katex" / "package.json"
    if installed.exists() and json.loads(installed.read_text(encoding="utf-8"))["version"] == pinned:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once to install KaTeX from package-lock.json (apt-get install npm)")
    print(f"Installing KaTeX {pinned} with npm ci")
    run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])


def draw_figures(folder: Path = FIGURES) -> list[Path]:
    """Run every reference demo with `--plots folder`, and `docs/figures.py folder` for the concept
    chapters; return the PNG files written.

    Without `solutions/` (a student repository) the figures drawn when it was built are kept.
    """
    scripts = lab_files(ROOT / "solutions")
    if not scripts:  # a student repository: its figures were drawn when it was built
        return sorted(folder.glob("*.png"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    commands = [[sys.executable, str(script), "--plots", str(folder)] for script in scripts]
    commands.append([sys.executable, str(ROOT / "docs" / "figures.py"), str(folder)])
    print(f"Drawing the figures of {', '.join(s.name for s in scripts)} and the concept chapters")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # the scripts are independent
        list(pool.map(run, commands))
    return sorted(folder.glob("*.png"))


def build(site_dir: Path = ROOT / "site") -> Path:
    """Build the whole site strictly into `site_dir` and return it."""
    install_katex()
    draw_figures()
    run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(site_dir)],
        quiet=False,
    )
    print(f"Built the site into {site_dir}")
    return site_dir


def serve(address: str = "127.0.0.1:8000") -> None:
    """Prepare KaTeX and the figures, then serve the site with live reload."""
    install_katex()
    draw_figures()
    run([sys.executable, "-m", "mkdocs", "serve", "-f", str(CONFIG), "-a", address], quiet=False)


def main(argv: list[str] | None = None) -> None:
    """Command line: `build` (the default) or `serve`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", choices=["build", "serve"], default="build")
    parser.add_argument("--site-dir", type=Path, default=ROOT / "site", help="where `build` writes")
    parser.add_argument("--address", default="127.0.0.1:8000", help="where `serve` listens")
    args = parser.parse_args(argv)
    if args.action == "serve":
        serve(args.address)
    else:
        build(args.site_dir.resolve())


if __name__ == "__main__":
    main()
