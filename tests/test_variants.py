"""Grade the grader: the reference scores full marks, stubs score 0, every mistake of the labs'
catalogues (`autograder/labs/<lab>/catalogue.py`) loses points on the function it breaks, is shown
its own hint and no other mistake's, in one full block; every property is failed by some mistake;
correct alternatives, declared in the same catalogues, keep full marks."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from autograder.catalogue import CATALOGUES
from autograder.cli import grade_submission, main
from autograder.engine import FunctionResult, grade_function
from autograder.labs import LAB_MODULES, available_labs, load_lab
from autograder.report import function_feedback
from autograder.sandbox import IsolatedModule
from tests.variants import Variant, load_all, submission

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = load_all()
WRONG = [v for v in VARIANTS if not v.correct]
CORRECT = [v for v in VARIANTS if v.correct]


def graded_alone(variant: Variant, folder: Path) -> FunctionResult:
    """Grade a wrong variant (on top of the reference) on the function it replaces."""
    lab = load_lab(next(n for n, name in LAB_MODULES.items() if name == variant.lab))
    graded = next(g for g in lab.functions if g.name == variant.function)
    module = IsolatedModule(submission(variant, folder), variant.lab)
    try:
        return grade_function(graded, module)
    finally:
        module.close()


def failed_properties(result: FunctionResult) -> dict[str, str]:
    """The failed properties' feedback, by description."""
    return {p.description: "\n".join(p.feedback) for p in result.properties if not p.passed}


def other_hints(variant: Variant, shown: str) -> list[str]:
    """The hints of the lab's other mistakes that `shown` (a function's report) names."""
    hints = {m.hint for m in CATALOGUES[variant.lab].mistakes if m.hint and m.hint != variant.hint}
    return sorted(h for h in hints if f"Hint: {h}." in shown or f"  - {h}\n" in shown + "\n")


def selected_labs(session: pytest.Session) -> set[str]:
    """The labs whose tests this run selected (`-k lab5_grpo` grades only Lab 5's variants)."""
    labs = set()
    for item in session.items:
        params = getattr(item, "callspec", None)
        if params is not None and "variant" in params.params:
            labs.add(params.params["variant"].lab)
        elif params is not None and "number" in params.params:
            labs.add(LAB_MODULES[params.params["number"]])
    return labs


@pytest.fixture(scope="session")
def wrong_results(request, tmp_path_factory) -> dict[Variant, FunctionResult]:
    """Each wrong variant of the selected labs graded on the function it replaces (one process
    per CPU)."""
    wrong = [v for v in WRONG if v.lab in selected_labs(request.session)]
    folders = [tmp_path_factory.mktemp(f"wrong{i}") for i in range(len(wrong))]
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        return dict(zip(wrong, pool.map(graded_alone, wrong, folders), strict=True))


def test_reference_scores_full_marks(tmp_path):
    assert main(["--submission", str(ROOT / "solutions"), "--json", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["score"] == report["max_score"] > 0


def test_stubs_score_zero_and_exit_1(tmp_path, capsys):
    assert main(["--submission", str(ROOT / "exercises"), "--json", str(tmp_path / "r.json")]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["score"] == 0
    assert all(t["status"] == "failed" for t in report["tests"])
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


@pytest.mark.parametrize("variant", WRONG, ids=lambda v: f"{v.lab}.{v.id}")
def test_wrong_variant_loses_points(variant, wrong_results):
    assert failed_properties(wrong_results[variant]), (
        f"no property of {variant.lab}.{variant.function} catches: {variant.description}"
    )


@pytest.mark.parametrize("variant", [v for v in WRONG if v.hint], ids=lambda v: f"{v.lab}.{v.id}")
def test_wrong_variant_is_shown_its_hint_and_no_other(variant, wrong_results):
    shown = "\n".join(function_feedback(wrong_results[variant]))
    assert f"Hint: {variant.hint}." in shown or f"  - {variant.hint}\n" in shown + "\n", (
        f"{variant.lab}.{variant.function} ({variant.description}) should be told {variant.hint!r}:\n{shown}"
    )
    assert "Hint: your values match each" in shown or not other_hints(variant, shown), (
        f"{variant.lab}.{variant.function} ({variant.description}) is told another mistake's hint:\n{shown}"
    )


@pytest.mark.parametrize("variant", WRONG, ids=lambda v: f"{v.lab}.{v.id}")
def test_wrong_variant_gets_one_full_block(variant, wrong_results):
    result = wrong_results[variant]
    blocks = sum(line.startswith("      Problem:") for line in function_feedback(result))
    assert blocks == (0 if result.problem else 1), "\n".join(function_feedback(result))


@pytest.mark.parametrize("number", available_labs(), ids=LAB_MODULES.get)
def test_every_property_is_failed_by_some_wrong_variant(number, wrong_results):
    lab = load_lab(number)
    caught = {
        (v.function, d)
        for v, result in wrong_results.items()
        if v.lab == lab.module
        for d in failed_properties(result)
    }
    never = [
        f"{g.name}: {p.description}"
        for g in lab.functions
        for p in g.properties
        if (g.name, p.description) not in caught
    ]
    assert not never, "properties that no catalogued mistake fails (add one to the catalogue):\n" + "\n".join(
        never
    )


@pytest.mark.parametrize("variant", CORRECT, ids=lambda v: f"{v.lab}.{v.description}")
def test_correct_alternative_keeps_full_marks(variant, tmp_path):
    folder = submission(variant, tmp_path)
    number = next(n for n, name in LAB_MODULES.items() if name == variant.lab)
    (result,) = grade_submission(folder, [number], 2.0)
    lost = [
        f"{f.function_id}: {p.description}: {p.feedback}"
        for f in result.functions
        for p in f.properties
        if not p.passed
    ]
    assert not lost, "\n".join(lost)


@pytest.mark.parametrize("number", available_labs(), ids=LAB_MODULES.get)
def test_correct_alternatives_exist_for_every_lab(number):
    assert sum(v.lab == LAB_MODULES[number] for v in CORRECT) >= 2


def test_grading_is_deterministic_and_the_same_with_any_number_of_jobs(tmp_path):
    folder = tmp_path / "sub"
    for variant in (next(v for v in WRONG if v.lab == name) for name in LAB_MODULES.values()):
        submission(variant, folder)  # one wrong function in each lab
    reports = []
    for run, jobs in enumerate(["2", "1", "2"]):
        main(["--submission", str(folder), "--jobs", jobs, "--json", str(tmp_path / f"{run}.json")])
        report = json.loads((tmp_path / f"{run}.json").read_text())
        report.pop("execution_time")
        reports.append(report)
    assert reports[0]["score"] < reports[0]["max_score"]
    assert reports[0] == reports[1] == reports[2]
