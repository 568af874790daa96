"""Writes the benchmark's MLflow SQLite store: OUT_DIR/mlflow.db.

Usage: make_bench_store.py OUT_DIR

MLflow itself creates the database (schema at its head revision) and the two experiments; the
runs are then bulk-inserted with sqlite3 in the rows MLflow writes for them, because logging
2.5 million metric points through MLflow's client would take hours. The store:

- experiment `bench-runs`: 10,000 finished runs, each with 20 params (p00..p19), 10 tags
  (t0..t9) plus the tags MLflow's fluent API sets (mlflow.runName, mlflow.user,
  mlflow.source.name, mlflow.source.type), and 10 metrics (m0..m9) of 5 steps each; about 1% of
  the runs end m9 with NaN and 0.5% never log m0;
- experiment `bench-long`: 20 runs shaped the same way plus a `loss` metric of 100,000 steps.

Everything is drawn from a fixed seed, so every machine gets the same store. At the end MLflow's
client reads the store back and the script checks a few runs, a history and a metric-ordered
search against what it wrote. OUT_DIR/complete.json is written last: a directory without it is
an interrupted run (the benchmark deletes and regenerates it).
"""

import json
import math
import os
import random
import sqlite3
import sys
import time

RUNS = 10_000
LONG_RUNS = 20
LONG_STEPS = 100_000
PARAMS = 20
TAGS = 10
METRICS = 10
SHORT_STEPS = 5
SEED = 20_240_601
BASE_TIME_MS = 1_700_000_000_000


def log(msg):
    print(f"make_bench_store: {msg}", file=sys.stderr, flush=True)


def stored(value):
    """(value, is_nan) as MLflow's SQL store keeps a metric value."""
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return (1.7976931348623157e308 if value > 0 else -1.7976931348623157e308), 0
    return float(value), 0


class Writer:
    """Accumulates rows and keeps latest_metrics by MLflow's rule: the point with the greatest
    (step, timestamp, stored value) wins."""

    def __init__(self):
        self.runs, self.params, self.tags, self.metrics = [], [], [], []
        self.latest = {}

    def metric(self, run_id, key, value, timestamp, step):
        v, is_nan = stored(value)
        self.metrics.append((key, v, timestamp, run_id, step, is_nan))
        order = (step, timestamp, v)
        current = self.latest.get((run_id, key))
        if current is None or order > current[0]:
            self.latest[(run_id, key)] = (order, (key, v, timestamp, step, is_nan, run_id))


def run_id(rng):
    return "%032x" % rng.getrandbits(128)


OPTIMIZERS = ["adam", "sgd", "adamw", "rmsprop", "lion"]
MODELS = ["resnet18", "resnet50", "vit-b16", "convnext-t", "mlp"]


def add_run(w, rng, experiment_id, artifact_location, index, name_prefix, start):
    rid = run_id(rng)
    name = f"{name_prefix}-{index:05d}"
    end = start + rng.randint(60_000, 3_600_000)
    w.runs.append((
        rid, name, "UNKNOWN", "", "", "bench", "FINISHED", start, end, "", "active",
        f"{artifact_location}/{rid}/artifacts", experiment_id, None,
    ))
    for p in range(PARAMS):
        if p % 4 == 0:
            value = f"{10 ** rng.uniform(-5, -1):.6g}"
        elif p % 4 == 1:
            value = rng.choice(OPTIMIZERS)
        elif p % 4 == 2:
            value = str(rng.choice([16, 32, 64, 128, 256, 512]))
        else:
            value = rng.choice(MODELS) + f"/{rng.randint(0, 999)}"
        w.params.append((f"p{p:02d}", value, rid))
    for t in range(TAGS):
        w.tags.append((f"t{t}", f"tag-{t}-{rng.randint(0, 50)}", rid))
    w.tags.extend([
        ("mlflow.runName", name, rid),
        ("mlflow.user", "bench", rid),
        ("mlflow.source.name", "train.py", rid),
        ("mlflow.source.type", "LOCAL", rid),
    ])
    skip_m0 = rng.random() < 0.005
    nan_m9 = rng.random() < 0.01
    for m in range(METRICS):
        if m == 0 and skip_m0:
            continue
        level = rng.uniform(0.0, 1.0)
        for step in range(SHORT_STEPS):
            value = level + 0.05 * step + rng.gauss(0, 0.01)
            if m == 9 and nan_m9 and step == SHORT_STEPS - 1:
                value = float("nan")
            w.metric(rid, f"m{m}", value, start + 1000 * step + m, step)
    return rid


def add_long_history(w, rng, rid, start):
    decay = rng.uniform(5_000, 30_000)
    floor = rng.uniform(0.01, 0.2)
    # Half the long runs have one NaN point mid-way, as a diverged step would leave.
    nan_step = 50_000 + rng.randint(0, 100) if rng.random() < 0.5 else -1
    for step in range(LONG_STEPS):
        value = floor + math.exp(-step / decay) + rng.gauss(0, 0.01)
        if step == nan_step:
            value = float("nan")
        w.metric(rid, "loss", value, start + 10 * step, step)


def create_store(out_dir):
    from mlflow import MlflowClient

    db = os.path.join(out_dir, "mlflow.db")
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    runs_exp = client.create_experiment("bench-runs")
    long_exp = client.create_experiment("bench-long")
    return db, client, int(runs_exp), int(long_exp)


def generate(db, runs_exp, long_exp):
    rng = random.Random(SEED)
    w = Writer()
    conn = sqlite3.connect(db)
    locations = dict(conn.execute("SELECT experiment_id, artifact_location FROM experiments"))
    ids = []
    for i in range(RUNS):
        ids.append(add_run(w, rng, runs_exp, locations[runs_exp], i, "run", BASE_TIME_MS + 60_000 * i))
    long_ids = []
    for i in range(LONG_RUNS):
        start = BASE_TIME_MS + 60_000 * (RUNS + i)
        rid = add_run(w, rng, long_exp, locations[long_exp], i, "long", start)
        add_long_history(w, rng, rid, start)
        long_ids.append(rid)
    log(f"generated {len(w.runs)} runs, {len(w.metrics)} metric points; inserting")

    # Speed only matters while generating; neither pragma is stored in the file.
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = MEMORY")
    with conn:
        conn.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
            "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            w.runs,
        )
        conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", w.params)
        conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", w.tags)
        conn.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
            w.metrics,
        )
        conn.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)",
            [row for _, row in w.latest.values()],
        )
    conn.close()
    return w, ids, long_ids


def check(client, w, runs_exp, ids, long_ids):
    """Reads the store back through MLflow and compares with what was written."""
    rng = random.Random(1)
    params_by_run, tags_by_run = {}, {}
    for key, value, rid in w.params:
        params_by_run.setdefault(rid, {})[key] = value
    for key, value, rid in w.tags:
        tags_by_run.setdefault(rid, {})[key] = value
    latest = {}
    for (rid, key), (_, row) in w.latest.items():
        latest.setdefault(rid, {})[key] = float("nan") if row[4] else row[1]

    def same(a, b):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))

    for rid in rng.sample(ids, 5) + long_ids[:1]:
        run = client.get_run(rid)
        assert run.data.params == params_by_run[rid], f"params of {rid} differ"
        assert run.data.tags == tags_by_run[rid], f"tags of {rid} differ"
        assert run.data.metrics.keys() == latest[rid].keys(), f"metric keys of {rid} differ"
        for key, value in run.data.metrics.items():
            assert same(value, latest[rid][key]), f"latest {key} of {rid}: {value} != {latest[rid][key]}"
        assert run.info.run_name == tags_by_run[rid]["mlflow.runName"] and run.info.status == "FINISHED"
    nan_run = next(rid for rid in ids if math.isnan(latest[rid].get("m9", 0.0)))
    assert math.isnan(client.get_run(nan_run).data.metrics["m9"]), "a NaN latest value did not come back as NaN"
    history = client.get_metric_history(long_ids[0], "loss")
    assert len(history) == LONG_STEPS, f"loss history has {len(history)} points"
    assert [m.step for m in history[:3]] == [0, 1, 2]
    top = client.search_runs([str(runs_exp)], order_by=["metrics.m0 DESC"], max_results=3)
    expected = sorted((latest[rid]["m0"] for rid in ids if "m0" in latest[rid]), reverse=True)[:3]
    assert [r.data.metrics["m0"] for r in top] == expected, "metric-ordered search disagrees"
    log("MLflow reads the store back as written")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_bench_store.py OUT_DIR")
    out_dir = os.path.abspath(sys.argv[1])
    os.makedirs(out_dir, exist_ok=True)
    if os.listdir(out_dir):
        sys.exit(f"make_bench_store: {out_dir} is not empty; give an empty or new directory")
    # MLflow resolves the default artifact root against the working directory.
    os.chdir(out_dir)
    started = time.monotonic()
    db, client, runs_exp, long_exp = create_store(out_dir)
    w, ids, long_ids = generate(db, runs_exp, long_exp)
    log(f"inserted in {time.monotonic() - started:.1f} s; checking with MLflow")
    check(client, w, runs_exp, ids, long_ids)
    summary = {
        "db": db,
        "runs_experiment_id": str(runs_exp),
        "long_experiment_id": str(long_exp),
        "runs": len(ids),
        "long_run_ids": long_ids,
        "long_metric": "loss",
        "long_steps": LONG_STEPS,
        "order_metric": "m0",
        "metric_points": len(w.metrics),
    }
    with open(os.path.join(out_dir, "complete.json.tmp"), "w") as f:
        json.dump(summary, f, indent=1)
    os.replace(os.path.join(out_dir, "complete.json.tmp"), os.path.join(out_dir, "complete.json"))
    log(f"done in {time.monotonic() - started:.1f} s: {db}")


if __name__ == "__main__":
    main()
