"""Fails when a requirements file and its hash lock disagree, or when two locks pin one package differently.

For each lock written by services/lock.sh it checks, offline:
- every pin of its requirements files (`name==version`, `-r` followed) is in the lock at that version;
- every package in the lock is pinned with `==` and carries at least one `--hash`;
- the lock names the command that writes it (services/lock.sh), so nobody edits it by hand;
- each image's test lock (the virtual environment .ci/run tests that image's code in) pins every package of
  the image's lock at the image's version: the tests run on exactly what the image ships; and the backend's
  test lock, where the cross-service tests (services/tests/) run, does the same for the monitor and trainer.
Usage: python services/check_locks.py   (exit 1 with one line per problem)
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = ("backend", "monitor", "trainer", "frontend", "guard")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(path: str) -> dict:
    """name -> version of the `==` pins of a requirements file, following `-r` includes."""
    pins = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith(("-r ", "--requirement ")):
                pins.update(requirements(os.path.join(os.path.dirname(path), line.split(None, 1)[1])))
                continue
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)(\s*;.*)?", line)
            if not match:
                raise SystemExit(f"{os.path.relpath(path, HERE)}: '{line}' is not a name==version pin")
            pins[norm(match.group(1))] = match.group(3)
    return pins


def lock(path: str, problems: list) -> dict:
    """name -> version of a lock; records entries without a hash or an exact pin."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    rel = os.path.relpath(path, HERE)
    if "#    services/lock.sh" not in text:
        problems.append(f"{rel}: not written by services/lock.sh (its header names another command)")
    pins, entries = {}, re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[-1] if text.startswith("#") else text)
    for entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        head = entry.split()[0]
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", head)
        if not match:
            problems.append(f"{rel}: '{head}' is not pinned with ==")
            continue
        if "--hash=sha256:" not in entry:
            problems.append(f"{rel}: {head} has no --hash")
        pins[norm(match.group(1))] = match.group(3)
    return pins


def compare(rel: str, wanted: dict, got: dict, what: str, problems: list) -> None:
    for name, version in sorted(wanted.items()):
        if name not in got:
            problems.append(f"{rel}: {name}=={version} ({what}) is missing; run services/lock.sh")
        elif got[name] != version:
            problems.append(f"{rel}: {name}=={got[name]} but {what} says {version}; run services/lock.sh")


def main() -> int:
    problems: list = []
    path = lambda *p: os.path.join(HERE, *p)  # noqa: E731
    pairs = [(f"{i}/requirements.txt", f"{i}/requirements.lock.txt") for i in IMAGES]
    pairs += [(f"{i}/requirements.txt", f"{i}/requirements-test.lock.txt") for i in IMAGES]
    pairs += [("requirements-test.txt", f"{i}/requirements-test.lock.txt") for i in IMAGES]
    pairs += [("requirements-tools.txt", "requirements-tools.lock.txt")]
    locks = {}
    for req, lk in pairs:
        if lk not in locks:
            if not os.path.exists(path(lk)):
                problems.append(f"{lk}: missing; run services/lock.sh")
                continue
            locks[lk] = lock(path(lk), problems)
        compare(lk, requirements(path(req)), locks[lk], req, problems)
    tested_in = {image: [f"{image}/requirements-test.lock.txt"] for image in IMAGES}
    tested_in["monitor"].append("backend/requirements-test.lock.txt")  # services/tests/ run there
    tested_in["trainer"].append("backend/requirements-test.lock.txt")
    for image, tests in tested_in.items():
        shipped = locks.get(f"{image}/requirements.lock.txt", {})
        for tested in tests:
            compare(tested, shipped, locks.get(tested, {}), f"{image}/requirements.lock.txt (what the image ships)",
                    problems)
    for line in problems:
        print(f"lock check: {line}", file=sys.stderr)
    if not problems:
        print(f"lock check: {len(locks)} locks agree with their requirements and with the images they test")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
