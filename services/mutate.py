"""Plants each bug the services once had (issue 21) in a temporary copy of services/ and runs the tests
that should catch it: a bug is "killed" when those tests fail. Prints a table and the mutation score;
exits 1 when a bug survives or a planted edit no longer matches the source (then update the table).

    python services/mutate.py --venvs /tmp/mlops-services         # every bug, the tests named for it
    python services/mutate.py --venvs /tmp/mlops-services -k holm # the bugs whose id contains "holm"

--venvs names the folder where .ci/run leaves one virtual environment per image (<image>/bin/python): each
bug's tests run in the environment of the image they test (services/tests/ in the backend's). Without it,
every test runs with this interpreter. The emulator test needs FAKE_GCS_SERVER (see services/tests/conftest.py).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))

B, M, T, F, G = "backend/tests/", "monitor/tests/", "trainer/tests/", "frontend/tests/", "guard/tests/"

# id, what the bug does, [(file, text in the fixed source, text that plants the bug)], tests that must fail
MUTANTS = [
    ("int-overflow", "a 400-digit integer reaches math.isfinite (OverflowError, 500)",
     [("backend/validation.py", "return -MAX_ABS <= value <= MAX_ABS", "return math.isfinite(value)")],
     [B + "test_backend_defects.py"]),
    ("float-unbounded", "1.7e308 passes validation and overflows the scaler",
     [("backend/validation.py", "math.isfinite(value) and abs(value) <= MAX_ABS", "math.isfinite(value)")],
     [B + "test_backend_defects.py"]),
    ("content-type-ignored", "/predict parses any Content-Type as JSON",
     [("backend/server.py", 'if media_type != "application/json":', "if False:")],
     [B + "test_backend_defects.py"]),
    ("model-error-500", "a model that refuses the input answers 500 with a traceback",
     [("backend/server.py", "except (ValueError, ArithmeticError) as exc:", "except ArithmeticError as exc:")],
     [B + "test_backend_defects.py"]),
    ("no-model-reload", "the model loop stops after the first load",
     [("backend/model_store.py", 'if self.model is not None and reference.get("model_version") == self.version:',
       "if self.model is not None:")],
     [B + "test_backend_defects.py"]),
    ("no-model-retry", "the model is loaded once: a model published after startup is never served",
     [("backend/model_store.py", "            self.load()\n            self._stop.wait(self.check_seconds)",
       "            self.load()\n            return")],
     [B + "test_backend_defects.py"]),
    ("dropped-from-first-drop", "the dropped-records counter has no series until the first drop",
     [("backend/prediction_log.py", "metrics.dropped.labels(reason)", "pass")],
     [B + "test_backend_defects.py"]),
    ("no-queue-depth", "no queue-depth gauge value",
     [("backend/prediction_log.py", "metrics.queue_depth.set_function(self.queue.qsize)", "pass")],
     [B + "test_backend_defects.py"]),
    ("no-latency", "the latency histogram is never observed",
     [("backend/middleware.py", "self.latency.labels(path).observe(time.perf_counter() - start)", "pass")],
     [B + "test_backend_defects.py"]),
    ("no-model-gauge", "the model-loaded gauge stays 0",
     [("backend/server.py", "self.model_loaded.set(1)", "pass")],
     [B + "test_backend_defects.py"]),
    ("ready-503-is-5xx", "readiness 503s are counted as server errors",
     [("backend/middleware.py", 'if code >= 500 and not (path == "/ready" and code == 503):', "if code >= 500:")],
     [B + "test_backend_defects.py"]),
    ("ready-ignores-writes", "/ready ignores prediction-log write errors",
     [("backend/server.py", "if plog.last_error:", "if False:")],
     [B + "test_backend_defects.py"]),
    ("writer-never-writes", "the log writer writes only when closed",
     [("backend/prediction_log.py", "            while self.queue.qsize():\n",
       "            while stopping and self.queue.qsize():\n")],
     [B + "test_prediction_log.py"]),
    ("unbounded-shutdown", "a write without timeout, and close() waits for it",
     [("backend/prediction_log.py", "timeout=self.write_timeout)", "timeout=None)"),
      ("backend/prediction_log.py", "self._thread.join(timeout=deadline)", "self._thread.join()")],
     [B + "test_backend_defects.py"]),
    ("create-overwrites", "GcsStorage.create without if_generation_match=0 overwrites a log object",
     [("common/storage.py", "if_generation_match=0, **extra", "**extra")],
     ["tests/test_gcs_emulator.py"]),
    ("monitor-non-finite", "logged 5e307 makes the mean inf and /report a 500",
     [("monitor/drift.py", "and math.isfinite(v) and abs(v) <= MAX_ABS for v in row", "for v in row"),
      ("monitor/drift.py", "return mean if math.isfinite(mean) else None", "return mean")],
     [M + "test_monitor_defects.py"]),
    ("no-holm", "no multiple-testing correction",
     [("monitor/drift.py", 'zip(tested, holm([e["p_value"] for e in tested]))', 'zip(tested, [e["p_value"] for e in tested])')],
     [M + "test_monitor_defects.py"]),
    ("no-effect-floor", "no effect-size floor: a 0.1-sd shift is drift at 10k rows",
     [("monitor/drift.py", ' and entry["statistic"] >= min_effect', "")],
     [M + "test_monitor_defects.py"]),
    ("alpha-hard-coded", "alpha is fixed at 0.05",
     [("monitor/drift.py", "DRIFT if p < alpha", "DRIFT if p < 0.05")],
     [M + "test_monitor_defects.py"]),
    ("days-ignored", "the window is always 7 days",
     [("monitor/monitor.py", "since = datetime.fromtimestamp(now - days * 86400", "since = datetime.fromtimestamp(now - 7 * 86400"),
      ("monitor/monitor.py", "since=now - days * 86400", "since=None")],
     [M + "test_monitor_defects.py"]),
    ("since-midnight", "days=1 reads from UTC midnight",
     [("monitor/monitor.py", "since = datetime.fromtimestamp(now - days * 86400, timezone.utc)",
       "since = datetime.fromtimestamp(now - (days - 1) * 86400, timezone.utc).replace(hour=0, minute=0, second=0)"),
      ("monitor/monitor.py", "since=now - days * 86400", "since=since.timestamp()")],
     [M + "test_monitor_defects.py"]),
    ("no-object-cap", "every object of the window is read",
     [("monitor/monitor.py", "        if len(names) <= MAX_OBJECTS:\n            return names",
       "        if True:\n            return self._logs(self.storage.list(self.predictions, PREDICTIONS_PREFIX, start_offset=first))")],
     [M + "test_monitor_defects.py"]),
    ("list-every-hour", "a long window costs one list call per hour (or day) of it",
     [("monitor/monitor.py", "if len(hours) > MAX_HOUR_LISTS:", "if False:")],
     [M + "test_monitor_defects.py"]),
    ("no-row-cap", "every row of the window is kept in memory",
     [("monitor/monitor.py", "RowSample(width, MAX_ROWS)", "RowSample(width, 10**9)")],
     [M + "test_monitor_defects.py"]),
    ("reference-check-removed", "a reference without a sample is reported on",
     [("monitor/monitor.py", 'if not reference.get("sample"):', "if False:")],
     [M + "test_monitor_drift.py"]),
    ("small-reference-forever", "a reference smaller than DRIFT_MIN_SAMPLES is never tested",
     [("monitor/drift.py", "len(ref) < MIN_REFERENCE", "len(ref) < min_samples")],
     [M + "test_monitor_defects.py"]),
    ("no-report-cache", "every /report reloads the window",
     [("monitor/monitor.py", "        if hit and now - hit[0] < fresh:\n            result = hit[1]", "        if False:\n            result = hit[1]"),
      ("monitor/monitor.py", "                if hit and now - hit[0] < fresh:\n                    return hit[1], hit[2]", "                if False:\n                    return hit[1], hit[2]")],
     [M + "test_monitor_defects.py"]),
    ("token-every-call", "the frontend fetches an ID token on every call",
     [("frontend/client.py", "if not self._credentials.valid:", "if True:")],
     [F + "test_frontend_client.py"]),
    ("audience-with-path", "the ID token's audience carries the backend URL's path",
     [("frontend/client.py", "token_headers(audience_of(base), on_cloud_run)", "token_headers(base, on_cloud_run)")],
     [F + "test_frontend_client.py"]),
    ("metadata-error-swallowed", "a metadata failure is swallowed and the call goes without a token",
     [("frontend/client.py", "                self._credentials = None\n                raise TokenError(",
       "                self._credentials = None\n                return {}\n                raise TokenError(")],
     [F + "test_frontend_client.py"]),
    ("monitor-no-read-limit", "a caller varying days reads a new window on every request: billed storage calls without bound",
     [("monitor/monitor.py", "            if len(reads) >= per_minute:", "            if False:")],
     [M + "test_monitor_defects.py"]),
    ("monitor-window-per-alpha", "each alpha reads the window again",
     [("monitor/monitor.py", "                if hit and now - hit[0] < fresh:\n                    return hit[1], hit[2]", "                if False:\n                    return hit[1], hit[2]")],
     [M + "test_monitor_defects.py"]),
    ("monitor-no-single-flight", "concurrent requests for a window being read each read it again",
     [("monitor/monitor.py", "                pending = reading.get(days)", "                pending = None")],
     [M + "test_monitor_defects.py"]),
    ("monitor-first-minutes", "a busy window's hourly listings all start at minute 0: only the first minutes are sampled",
     [("monitor/monitor.py", 'start_offset=max(first, f"{prefix}{minute:02d}")', "start_offset=max(first, prefix)")],
     [M + "test_monitor_defects.py"]),
    ("iris-fallback", "DATA_BUCKET set but train.csv missing trains on Iris",
     [("trainer/train.py", "        except NotFoundError:\n            raise TrainingError(",
       "        except NotFoundError:\n            return load_data(storage, None)\n            raise TrainingError(")],
     [T + "test_trainer.py"]),
    ("trainer-args-ignored", "training.args never reach the trainer: the run trains with its defaults",
     [("trainer/train.py", "        main(argv=sys.argv[1:])", "        main()")],
     [T + "test_trainer.py"]),
    ("trainer-unknown-args", "a mistyped training argument is ignored and the run goes on",
     [("trainer/train.py", "    return parser.parse_args(argv)", "    return parser.parse_known_args(argv)[0]")],
     [T + "test_trainer.py"]),
    ("trainer-params-unused", "--C and --max-iter are parsed but the model keeps its defaults",
     [("trainer/train.py", "LogisticRegression(**params)", "LogisticRegression(max_iter=1000)")],
     [T + "test_trainer.py"]),
    ("no-quality-bar", "a model of any accuracy is published",
     [("trainer/train.py", "if accuracy < min_accuracy:", "if False:")],
     [T + "test_trainer.py"]),
    ("no-test-size-bar", "a model tested on one row is published",
     [("trainer/train.py", "if X_test.shape[0] < min_test_rows:", "if False:"),
      ("trainer/train.py", "if accuracy < min_accuracy:", "if False:")],
     [T + "test_trainer.py"]),
    ("bom-kept", "a CSV byte-order mark stays in the first feature name",
     [("trainer/train.py", '.decode("utf-8-sig")', '.decode("utf-8")'),
      ("trainer/train.py", '.lstrip("\\ufeff")', "")],
     [T + "test_trainer.py"]),
    ("reference-before-model", "reference.json is published before the model it names",
     [("trainer/train.py", "MODEL_FILE: (model_bytes.getvalue(), \"application/octet-stream\"),\n"
       "        REFERENCE_FILE: (json.dumps(reference).encode(), \"application/json\"),",
       "REFERENCE_FILE: (json.dumps(reference).encode(), \"application/json\"),\n"
       "        MODEL_FILE: (model_bytes.getvalue(), \"application/octet-stream\"),")],
     [T + "test_trainer.py"]),
    ("guard-no-label-check", "the guard acts on any job or service the API returns, labelled or not",
     [("guard/compute.py", "return all(resource_labels.get(key) == value for key, value in labels.items())", "return True")],
     [G + "test_guard.py"]),
    ("guard-any-job-state", "the guard deletes Batch jobs that have ended too",
     [("guard/compute.py", " or job.status.state not in BATCH_RUNNING", "")],
     [G + "test_guard.py"]),
    ("guard-record-overwrites", "the trip record is written without ifGenerationMatch=0",
     [("guard/compute.py", "if_generation_match=0, ", "")],
     [G + "test_guard.py"]),
    ("guard-tripped-every-push", "every over-cap push logs credit_guard_tripped",
     [("guard/guard.py", "        if created:\n", "        if True:\n")],
     [G + "test_guard.py"]),
    ("guard-below-cap-acts", "the guard acts below the cap",
     [("guard/budget.py", "return n.cost_amount * 100 >= cap", "return True")],
     [G + "test_guard.py"]),
    ("guard-ack-ignored", "an acknowledged trip stops compute again",
     [("guard/guard.py", "if trip in self.s.acknowledged:", "if False:")],
     [G + "test_guard.py"]),
    ("guard-ended-period-acts", "a notification of an ended or older period stops compute",
     [("guard/guard.py", "if self.clock() >= budget.period_end(n.interval_start).timestamp() or (newest and n.interval_start < newest):",
       "if False:")],
     [G + "test_guard.py"]),
    ("guard-any-billing-account", "a notification of the same budget id on another billing account is acted on",
     [("guard/guard.py", "if n.billing_account != self.s.billing_account or n.budget_id != self.s.budget_id:",
       "if n.budget_id != self.s.budget_id:")],
     [G + "test_guard.py"]),
    ("guard-failure-acked", "a failed action answers 204, so Pub/Sub never redelivers",
     [("guard/guard.py", 'return 500 if actions["errors"] else 204', "return 204")],
     [G + "test_guard.py"]),
    ("guard-malformed-400", "a malformed push answers 400, so Pub/Sub redelivers it forever",
     [("guard/guard.py", 'reason="malformed", detail=str(exc))\n            return 204', 'reason="malformed", detail=str(exc))\n            return 400')],
     [G + "test_guard.py"]),
    ("guard-unbounded-body", "the whole body is read and parsed whatever its size",
     [("guard/guard.py", "        if size > budget.MAX_BODY_BYTES:\n            return None\n", ""),
      ("guard/guard.py", "    if length.isdigit() and int(length) > budget.MAX_BODY_BYTES:\n        return None\n", ""),
      ("guard/budget.py", "    if len(body) > MAX_BODY_BYTES:\n", "    if False:\n")],
     [G + "test_guard.py"]),
    ("guard-no-signature-check", "any token's claims are trusted without checking its signature",
     [("guard/pushauth.py", 'if token.rsplit(".", 1)[1] == STRIPPED and not self.require_signature:',
       "if not self.require_signature:")],
     [G + "test_push_auth.py"]),
    ("guard-no-audience-check", "a token for another audience is accepted",
     [("guard/pushauth.py", "audience=self.audience, certs_url=self.certs_url", "audience=None, certs_url=self.certs_url")],
     [G + "test_push_auth.py"]),
    ("guard-no-email-check", "a Google token of any account is accepted",
     [("guard/pushauth.py", 'if claims.get("email") != self.account:', "if False:")],
     [G + "test_push_auth.py"]),
    ("guard-email-unverified", "a token whose email is not verified is accepted",
     [("guard/pushauth.py", 'if claims.get("email_verified") is not True:', 'if not claims.get("email_verified"):')],
     [G + "test_push_auth.py"]),
    ("guard-certs-every-push", "Google's certificates are fetched for every push",
     [("guard/pushauth.py", "            if hit and hit[0] > self._clock():", "            if False:")],
     [G + "test_push_auth.py"]),
    ("guard-empty-labels", "GUARD_LABELS={} is accepted: the label filter would match every job of the project",
     [("guard/guard_config.py", "if not isinstance(labels, dict) or not labels:", "if not isinstance(labels, dict):")],
     [G + "test_budget_and_config.py"]),
    ("guard-python-rounding", "the cap is rounded half to even, not like the stack's Math.round",
     [("guard/budget.py", "return js_round(stop_at * float(budget_amount) * 100)", "return round(stop_at * float(budget_amount) * 100)")],
     [G + "test_budget_and_config.py"]),
    ("guard-vertex-by-project-id", "Vertex AI jobs are matched by the project id, though their names carry the number",
     [("guard/compute.py", 'self.vertex_job = re.compile(rf"projects/[a-z0-9-]+/locations/', 'self.vertex_job = re.compile(rf"projects/{settings.project}/locations/')],
     [G + "test_guard.py"]),
    ("guard-deletes-twice", "a Cloud Run service whose deletion is under way is deleted again",
     [("guard/compute.py", 'if "delete_time" in current:', "if False:")],
     [G + "test_guard.py"]),
    ("guard-future-period-kept", "a notification of a period that has not started hides the current period",
     [("guard/guard.py", "if n.interval_start.timestamp() > self.clock() + 86400:", "if False:")],
     [G + "test_guard.py"]),
]


def stale(mutant, root=HERE):
    """Why a bug can no longer be planted in the sources as they are (its fixed text is gone), or None."""
    ident, _, edits, tests = mutant
    for path, fixed, _bug in edits:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            count = f.read().count(fixed)
        if count != 1:
            return f"{ident}: {path} holds the fixed text {count} times (expected once): {fixed!r}"
    missing = [t for t in tests if not os.path.exists(os.path.join(root, t))]
    return f"{ident}: no test file {missing}" if missing else None


def plant(root, edits):
    for path, fixed, bug in edits:
        full = os.path.join(root, path)
        with open(full, encoding="utf-8") as f:
            text = f.read()
        if text.count(fixed) != 1:
            return f"{path}: the fixed text occurs {text.count(fixed)} times (expected once): {fixed!r}"
        with open(full, "w", encoding="utf-8") as f:
            f.write(text.replace(fixed, bug))
    return None


def interpreter(tests, venvs):
    if not venvs:
        return sys.executable
    image = tests[0].split("/", 1)[0]
    return os.path.join(venvs, image if image in ("backend", "monitor", "trainer", "frontend", "guard") else "backend",
                        "bin", "python")


def run(mutant, timeout, venvs=None):
    ident, _, edits, tests = mutant
    with tempfile.TemporaryDirectory(prefix=f"mutant-{ident}-") as tmp:
        root = os.path.join(tmp, "services")
        shutil.copytree(HERE, root, ignore=shutil.ignore_patterns("__pycache__", "*.lock.txt", ".pytest_cache"))
        problem = plant(root, edits)
        if problem:
            return "stale", problem
        cmd = [interpreter(tests, venvs), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis",
               "-p", "no:hypothesispytest", *tests]
        try:
            done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "killed", f"hung past {timeout} s"
        if done.returncode == 1:
            failed = [l for l in done.stdout.splitlines() if l.startswith("FAILED")]
            return "killed", failed[0][len("FAILED "):][:90] if failed else "a test failed"
        if done.returncode == 0:
            return "survived", "all tests passed"
        return "error", (done.stdout + done.stderr).strip().splitlines()[-1][:120]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", default="", help="only the bugs whose id contains this text")
    parser.add_argument("--venvs", help="folder with one virtual environment per image, as .ci/run makes")
    parser.add_argument("--jobs", type=int, default=1, help="bugs tried at once")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per bug (a hang counts as killed)")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if args.k in m[0]]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = pool.map(lambda m: run(m, args.timeout, args.venvs), chosen)
        results = []
        for mutant, (outcome, detail) in zip(chosen, outcomes):
            results.append(outcome)
            print(f"{outcome:9} {mutant[0]:26} {mutant[1]}\n{'':36}{detail}", flush=True)
    killed = results.count("killed")
    print(f"mutation score: {killed}/{len(chosen)} planted bugs turned a test red "
          f"({time.monotonic() - start:.0f} s)")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
