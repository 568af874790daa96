"""Times MLflow on the benchmark store, for the same operations the Rust benchmark times.

Usage: mlflow_timings.py STORE_DIR OUT_JSON [--repeats N] [--watch-stdin]

STORE_DIR is a directory written by make_bench_store.py (mlflow.db and complete.json). MLflow's
first calls pay for imports and engine set-up, so a few small requests warm the client and the
server up first; then every operation is timed `--repeats` times (the 20 full histories, which
take about a minute, once). OUT_JSON receives
{"mlflow_version", "ops": {name: {"seconds": [...], "count": points or runs}}, "search_ids"}.

The REST operations go to `mlflow server` on 127.0.0.1 at a free port over the same database,
started here in a session of its own and stopped (the whole process group) when the script ends.
With --watch-stdin the script also stops the server and exits when its stdin closes, so the
server never outlives the benchmark that started it.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

SERVER_START_TIMEOUT_S = 120
HTTP_TIMEOUT_S = 600
REST_PAGE = 1000


def log(msg):
    print(f"mlflow_timings: {msg}", file=sys.stderr, flush=True)


class Server:
    """`mlflow server` over the store, in its own process group."""

    def __init__(self, db, workdir):
        self.workdir = workdir
        self.process = None
        self.log_path = os.path.join(workdir, "server.log")
        last_error = None
        # The free port can be taken between the probe and the server's bind: try a few.
        for _ in range(3):
            try:
                self._start(db)
                return
            except RuntimeError as e:
                last_error = e
                self.stop()
        raise last_error

    def _start(self, db):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
        log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [
                mlflow_cli, "server",
                "--backend-store-uri", f"sqlite:///{db}",
                "--artifacts-destination", os.path.join(self.workdir, "artifacts"),
                "--host", "127.0.0.1",
                "--port", str(self.port),
                "--workers", "1",
            ],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            # The GenAI job runner is not needed and slows start-up.
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("/health"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"mlflow server did not answer /health in {SERVER_START_TIMEOUT_S} s:\n{self.log_tail()}")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def stop(self):
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            # Uvicorn workers can outlive the leader for a moment.
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process = None

    def kill(self):
        """Stops the server's whole process group without waiting."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def get(self, path, params):
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(self.url(f"{path}?{query}"), timeout=HTTP_TIMEOUT_S) as r:
            return json.loads(r.read())

    def post(self, path, body):
        request = urllib.request.Request(
            self.url(path), data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as r:
            return json.loads(r.read())


def timed(name, repeats, fn, results):
    seconds = []
    count = None
    for i in range(repeats):
        started = time.perf_counter()
        count = fn()
        seconds.append(time.perf_counter() - started)
        log(f"{name}: {seconds[-1]:.2f} s ({count}) [{i + 1}/{repeats}]")
    results[name] = {"seconds": seconds, "count": count}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("store_dir")
    parser.add_argument("out_json")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--watch-stdin", action="store_true")
    args = parser.parse_args()

    with open(os.path.join(args.store_dir, "complete.json")) as f:
        store = json.load(f)
    db = store["db"]
    runs_exp = store["runs_experiment_id"]
    long_ids = store["long_run_ids"]
    key = store["long_metric"]
    order = f"metrics.{store['order_metric']} DESC"

    import mlflow
    from mlflow import MlflowClient

    workdir = tempfile.mkdtemp(prefix="runlens-bench-mlflow-")
    server = None

    def stop_and_exit():
        # Killed at once and exited at once: the main thread must not get to report the
        # server's absence as a failure first.
        if server is not None:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)
        os._exit(3)

    if args.watch_stdin:
        def watch():
            # os.read, not sys.stdin: a thread blocked in a buffered read aborts the interpreter
            # at exit.
            try:
                while os.read(sys.stdin.fileno(), 4096):
                    pass
            except OSError:
                pass
            log("stdin closed: stopping")
            stop_and_exit()

        threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: stop_and_exit())

    try:
        log(f"starting mlflow server {mlflow.__version__}")
        server = Server(db, workdir)
        client = MlflowClient(tracking_uri=f"sqlite:///{db}")

        # Warm-up: imports, SQLAlchemy engine, the server's first requests.
        first = client.search_runs([runs_exp], max_results=1)
        client.get_metric_history(first[0].info.run_id, "m0")
        server.post("/api/2.0/mlflow/runs/search", {"experiment_ids": [runs_exp], "max_results": 1})
        server.get(
            "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
            {"run_ids": long_ids[:1], "metric_key": key, "max_results": 10},
        )

        results = {}
        search_ids = []

        def search_100():
            runs = client.search_runs([runs_exp], order_by=[order], max_results=100)
            search_ids[:] = [r.info.run_id for r in runs]
            return len(runs)

        def all_runs_client():
            # One page as large as MLflow allows: the request Runlens's all_runs makes.
            return len(client.search_runs([runs_exp], max_results=50_000))

        def all_runs_rest():
            n, token = 0, None
            while True:
                body = {"experiment_ids": [runs_exp], "max_results": REST_PAGE}
                if token:
                    body["page_token"] = token
                page = server.post("/api/2.0/mlflow/runs/search", body)
                n += len(page.get("runs", []))
                token = page.get("next_page_token")
                if not token:
                    return n

        def history():
            return len(client.get_metric_history(long_ids[0], key))

        def sampled(max_results):
            def run():
                answer = server.get(
                    "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                    {"run_ids": long_ids, "metric_key": key, "max_results": max_results},
                )
                return len(answer.get("metrics", []))

            return run

        def full_histories_client():
            return sum(len(client.get_metric_history(rid, key)) for rid in long_ids)

        timed("search_100", args.repeats, search_100, results)
        timed("all_runs_client", args.repeats, all_runs_client, results)
        timed("all_runs_rest", args.repeats, all_runs_rest, results)
        timed("history", args.repeats, history, results)
        timed("sampled_rest_1000", args.repeats, sampled(1000), results)
        timed("sampled_rest_320", args.repeats, sampled(320), results)
        timed("full_histories_client", 1, full_histories_client, results)

        out = {"mlflow_version": mlflow.__version__, "ops": results, "search_ids": search_ids}
        with open(args.out_json + ".tmp", "w") as f:
            json.dump(out, f)
        os.replace(args.out_json + ".tmp", args.out_json)
    finally:
        if server is not None:
            server.stop()
            server = None
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
