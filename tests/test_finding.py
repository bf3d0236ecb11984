"""The file-finding rule of batch, Gradescope and pull requests (`autograder/tools/finding.py`).

The grading paths themselves are checked end to end in `tests/test_same_grade.py`; here, the
rule alone, on small folders: where files are looked for, which wins, what the report says.
"""

from __future__ import annotations

import os
import zipfile

from autograder.tools import finding
from tests.same_grade import write_files

LAB1, LAB2 = "lab1_sft.py", "lab2_reward.py"


def test_exercises_first_then_the_top_level_then_the_most_recent(tmp_path):
    write_files(
        tmp_path, {f"exercises/{LAB1}": "a", LAB1: "b", f"zz/{LAB1}": "c", LAB2: "d", f"old/{LAB2}": "e"}
    )
    found = finding.find_lab_files(tmp_path)
    assert found.files == {LAB1: b"a", LAB2: b"d"}
    assert found.report() == [
        f"{LAB1}: graded exercises/{LAB1}; ignored {LAB1}, zz/{LAB1}",
        f"{LAB2}: graded {LAB2}; ignored old/{LAB2}",
    ]


def test_among_the_others_the_most_recently_modified_wins_then_the_first_path(tmp_path):
    write_files(
        tmp_path, {f"a/{LAB1}": "older", f"b/exercises/{LAB1}": "newer", f"c/{LAB2}": "x", f"d/{LAB2}": "y"}
    )
    os.utime(tmp_path / "a" / LAB1, (1_000_000, 1_000_000))
    for path in (tmp_path / "c" / LAB2, tmp_path / "d" / LAB2):
        os.utime(path, (2_000_000, 2_000_000))
    found = finding.find_lab_files(tmp_path)
    assert found.files == {LAB1: b"newer", LAB2: b"x"}
    assert found.graded == {LAB1: f"b/exercises/{LAB1}", LAB2: f"c/{LAB2}"}


def test_deeper_folders_hidden_folders_symlinks_and_other_names_are_not_graded(tmp_path):
    write_files(tmp_path, {f"a/b/c/{LAB1}": "deep", f".git/{LAB1}": "hidden", "lab1.py": "other name"})
    (tmp_path / LAB2).symlink_to(tmp_path / "lab1.py")
    found = finding.find_lab_files(tmp_path)
    assert found.files == {}
    assert found.report() == [f"{LAB2}: no file graded; ignored {LAB2} (not a regular file)"]


def test_a_zip_is_looked_at_as_a_folder_and_an_unreadable_one_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "work.zip", "w") as archive:
        archive.writestr(f"repo-main/exercises/{LAB1}", "zipped")
        archive.writestr(f"repo-main/deeper/still/{LAB2}", "too deep")
        archive.writestr("labkit.py", "a helper copy")
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    found = finding.find_lab_files(tmp_path)
    assert found.files == {LAB1: b"zipped"}
    assert found.report() == [
        f"{LAB1}: graded work.zip:repo-main/exercises/{LAB1}",
        "Provided helpers come from the course; ignored work.zip:labkit.py",
        "Ignored broken.zip: not a zip file that can be read",
    ]


def test_staging_takes_the_helpers_from_the_course_whatever_the_submission_holds(tmp_path):
    write_files(tmp_path / "sub", {LAB1: "mine", "labkit.py": "raise SystemExit"})
    found = finding.find_lab_files(tmp_path / "sub")
    work = tmp_path / "work"
    work.mkdir()
    finding.stage(found, work)
    assert (work / LAB1).read_text() == "mine"
    assert (work / "labkit.py").read_bytes() == (finding.COURSE_FILES / "labkit.py").read_bytes()
    assert sorted(p.name for p in work.iterdir()) == sorted(
        [LAB1, "labkit.py", "sft_corpus.py", "preference_kit.py"]
    )


def test_the_command_line_stages_and_prints_the_report(tmp_path, capsys):
    write_files(tmp_path / "sub", {f"exercises/{LAB1}": "a", f"backup/{LAB1}": "b"})
    (tmp_path / "work").mkdir()
    assert finding.main([str(tmp_path / "sub"), str(tmp_path / "work")]) == 0
    assert capsys.readouterr().out == f"{LAB1}: graded exercises/{LAB1}; ignored backup/{LAB1}\n"
    assert (tmp_path / "work" / LAB1).read_text() == "a"
