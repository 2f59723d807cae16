"""services/mutate.py takes minutes, so CI does not run it; this keeps every planted bug plantable, so a change
to the code it patches shows up here rather than as a "stale" line the next time someone measures."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import mutate  # noqa: E402


@pytest.mark.parametrize("mutant", mutate.MUTANTS, ids=[m[0] for m in mutate.MUTANTS])
def test_each_bug_can_still_be_planted(mutant):
    assert mutate.stale(mutant) is None


def test_the_bug_ids_are_unique():
    ids = [m[0] for m in mutate.MUTANTS]
    assert len(ids) == len(set(ids))


def test_a_bug_whose_fixed_text_is_gone_is_reported(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "t.py").write_text("")
    assert mutate.stale(("gone", "", [("a.py", "x = 2", "x = 3")], ["t.py"]), root=str(tmp_path)).startswith("gone: a.py")
    assert mutate.stale(("ok", "", [("a.py", "x = 1", "x = 3")], ["t.py"]), root=str(tmp_path)) is None
