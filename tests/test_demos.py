"""The lab demos: the reference prints the seed's numbers; a stub is named, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_NUMBERS = {
    "lab1_sft": ["45", "53", "+8", "35", "47", "+12", "20", "28"],
    "lab2_reward": ["83.5", "73.5", "63.0", "56.5"],
    "lab3_rlhf": ["58.8", "62.2", "+3.4"],
    "lab4_dpo": ["KL"],
    "lab5_grpo": ["pass@1", "pass@256", "clip fraction", "all wrong", "factor 1/std", "sequence wrong"],
}


def run(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", str(path), *args], capture_output=True, text=True,
                          cwd="/", timeout=120)  # fmt: skip


@pytest.mark.parametrize("lab", sorted(SEED_NUMBERS))
def test_reference_demo_prints_the_seed_numbers(lab):
    result = run(ROOT / "solutions" / f"{lab}.py")
    assert result.returncode == 0, result.stderr
    for number in SEED_NUMBERS[lab]:
        assert number in result.stdout


@pytest.mark.parametrize("lab", sorted(SEED_NUMBERS))
def test_stub_demo_names_the_missing_function(lab):
    result = run(ROOT / "exercises" / f"{lab}.py")
    assert "not implemented yet" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
