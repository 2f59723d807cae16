"""services/check_locks.py fails when a requirements file and its lock, or an image and its test lock, disagree."""

import os
import shutil
import subprocess
import sys

import pytest

SERVICES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check(root):
    return subprocess.run([sys.executable, os.path.join(root, "check_locks.py")], capture_output=True, text=True)


@pytest.fixture
def copy(tmp_path):
    root = tmp_path / "services"
    shutil.copytree(SERVICES, root, ignore=shutil.ignore_patterns("__pycache__", "tests", "*.py[co]"))
    shutil.copy(os.path.join(SERVICES, "check_locks.py"), root)
    return root


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_committed_locks_agree(copy):
    done = check(str(copy))
    assert done.returncode == 0, done.stderr


def test_a_pin_changed_without_relocking_fails(copy):
    edit(copy / "backend" / "requirements.txt", "fastapi==0.115.6", "fastapi==0.115.7")
    done = check(str(copy))
    assert done.returncode == 1 and "backend/requirements.lock.txt: fastapi==0.115.6 but" in done.stderr


def test_a_test_lock_on_other_versions_than_the_image_fails(copy):
    lock = copy / "monitor" / "requirements-test.lock.txt"
    text = lock.read_text()
    start = text.index("\nprotobuf==") + len("\nprotobuf==")
    version = text[start:text.index(" ", start)]
    edit(lock, f"\nprotobuf=={version} ", "\nprotobuf==0.0.1 ")
    done = check(str(copy))
    assert done.returncode == 1 and f"but monitor/requirements.lock.txt (what the image ships) says {version}" in done.stderr


def test_an_entry_without_a_hash_fails(copy):
    lock = copy / "trainer" / "requirements.lock.txt"
    text = lock.read_text()
    start = text.index("\njoblib==")
    block = text[start:text.index("\n    # via", start)]
    lock.write_text(text.replace(block, block.split(" \\")[0]))
    done = check(str(copy))
    assert done.returncode == 1 and "joblib==" in done.stderr and "has no --hash" in done.stderr
