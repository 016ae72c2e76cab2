#!/usr/bin/env python3
"""Checks the Kubernetes manifests of tools/deploy/k8s/ without a cluster.

1. Every file parses as YAML, and the objects are what docs/scale-out.md says:
   a ConfigMap `tarmac-eval`; an Indexed Job `tarmac-eval-shards` whose
   completions equal SHARDS and whose pods mount the volumes where the
   ConfigMap says; a Job `tarmac-eval-merge` on the same ConfigMap and results
   claim.
2. The containers' shell scripts, taken from the manifests as they are, run
   here under /bin/sh: one "pod" per completion index (JOB_COMPLETION_INDEX,
   concurrently, each with its own scratch folder, sharing one results folder),
   then the merge pod with a baseline. The merged run must equal a
   single-process run of the same suite scenario by scenario (state hash and
   score), `tarmac compare` must pass, and a second merge pod must change
   nothing. Paths are the ConfigMap's, pointed at a temporary folder.

Usage: check_manifests.py TARMAC_BINARY SCENARIO_PATH...   (exit 0 if all holds)
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit("check_manifests: python3-yaml is missing (apt-get install python3-yaml)")

HERE = os.path.dirname(os.path.abspath(__file__))
K8S = os.path.join(HERE, "..", "..", "tools", "deploy", "k8s")


def fail(message):
    sys.exit("k8s manifests FAILED: " + message)


def load():
    objects = {}
    for name in sorted(os.listdir(K8S)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(K8S, name)) as f:
            try:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                fail(f"{name}: not valid YAML: {e}")
        for d in docs:
            for key in ("apiVersion", "kind", "metadata"):
                if key not in d:
                    fail(f"{name}: an object without {key}")
            objects[(d["kind"], d["metadata"]["name"])] = d
        print(f"{name}: {len(docs)} object(s): " + ", ".join(f"{d['kind']} {d['metadata']['name']}" for d in docs))
    return objects


def container(job):
    spec = job["spec"]["template"]["spec"]
    if spec.get("restartPolicy") not in ("Never", "OnFailure"):
        fail(f"{job['metadata']['name']}: a Job's pods need restartPolicy Never or OnFailure")
    containers = spec["containers"]
    if len(containers) != 1:
        fail(f"{job['metadata']['name']}: expected one container")
    c = containers[0]
    if c["envFrom"] != [{"configMapRef": {"name": "tarmac-eval"}}]:
        fail(f"{job['metadata']['name']}: the container must take its environment from ConfigMap tarmac-eval")
    if c["command"] != ["/bin/sh", "-c"] or len(c["args"]) != 1:
        fail(f"{job['metadata']['name']}: expected command /bin/sh -c and one script")
    return spec, c


def check_structure(objects):
    config = objects.get(("ConfigMap", "tarmac-eval"))
    shards = objects.get(("Job", "tarmac-eval-shards"))
    merge = objects.get(("Job", "tarmac-eval-merge"))
    if not (config and shards and merge):
        fail("expected ConfigMap tarmac-eval, Job tarmac-eval-shards and Job tarmac-eval-merge")
    env = config["data"]
    for key in ("RUN_NAME", "SHARDS", "PLANNER", "AGENTS", "SCENARIOS", "THREADS", "RESULTS_DIR", "SCRATCH_DIR",
                "MERGED_DB", "BASELINE", "COMPARE_ARGS"):
        if not isinstance(env.get(key), str):
            fail(f"ConfigMap tarmac-eval: {key} missing or not a string")
    n = int(env["SHARDS"])
    spec = shards["spec"]
    if spec.get("completionMode") != "Indexed":
        fail("tarmac-eval-shards: completionMode must be Indexed (the shard is the completion index)")
    if spec.get("completions") != n:
        fail(f"tarmac-eval-shards: completions {spec.get('completions')} != SHARDS {n}")
    if not 1 <= spec.get("parallelism", 1) <= n:
        fail("tarmac-eval-shards: parallelism must be 1..completions")
    for job in (shards, merge):
        pod, c = container(job)
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        for key in ("RESULTS_DIR", "SCRATCH_DIR"):
            if env[key] not in mounts:
                fail(f"{job['metadata']['name']}: nothing mounted at {key}={env[key]}")
        results = volumes[mounts[env["RESULTS_DIR"]]]
        if results.get("persistentVolumeClaim", {}).get("claimName") != "tarmac-results":
            fail(f"{job['metadata']['name']}: RESULTS_DIR must be the tarmac-results claim")
        if "emptyDir" not in volumes[mounts[env["SCRATCH_DIR"]]]:
            fail(f"{job['metadata']['name']}: SCRATCH_DIR must be pod-local (emptyDir)")
        if not env["MERGED_DB"].startswith(env["RESULTS_DIR"] + "/"):
            fail("MERGED_DB must lie on the results volume")
    if "JOB_COMPLETION_INDEX" not in container(shards)[1]["args"][0]:
        fail("tarmac-eval-shards: the script must take its shard from JOB_COMPLETION_INDEX")
    print(f"structure ok: {n} shards, Indexed, volumes where the ConfigMap says")
    return env, container(shards)[1]["args"][0], container(merge)[1]["args"][0]


def run_pods(tarmac, scenarios, env, shard_script, merge_script):
    n = int(env["SHARDS"])
    tmp = tempfile.mkdtemp(prefix="tarmac-k8s-check.")
    try:
        base = dict(os.environ)
        base.update(env)
        base.update({
            "PATH": os.path.dirname(os.path.abspath(tarmac)) + os.pathsep + os.environ.get("PATH", ""),
            "RESULTS_DIR": os.path.join(tmp, "results"),
            "MERGED_DB": os.path.join(tmp, "results", "nightly.db"),
            "SCENARIOS": " ".join(scenarios),
            "THREADS": "1",
        })
        # The reference: the suite in one process, and the baseline of the merge pod.
        single = os.path.join(tmp, "single.db")
        subprocess.run([tarmac, "run", "--planner", env["PLANNER"], "--agents", env["AGENTS"], "--db", single,
                        "--run-name", "single", "--json", "--scenarios"] + scenarios, check=True,
                       stdout=subprocess.DEVNULL)
        pods = []
        for index in range(n):
            pod_env = dict(base, JOB_COMPLETION_INDEX=str(index), SCRATCH_DIR=os.path.join(tmp, f"scratch-{index}"))
            log = open(os.path.join(tmp, f"pod-{index}.log"), "w+")
            pods.append((index, log, subprocess.Popen(["/bin/sh", "-c", shard_script], env=pod_env, stdout=log,
                                                      stderr=subprocess.STDOUT)))
        for index, log, pod in pods:
            if pod.wait() != 0:
                log.seek(0)
                fail(f"shard pod {index} exited {pod.returncode}:\n{log.read()}")
            log.close()
        print(f"{n} shard pods ok")
        merge_env = dict(base, SCRATCH_DIR=os.path.join(tmp, "scratch-merge"), BASELINE=single + ":single",
                         COMPARE_ARGS="--strict")
        for attempt in (1, 2):
            r = subprocess.run(["/bin/sh", "-c", merge_script], env=merge_env, capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"merge pod (attempt {attempt}) exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
            expected = f"merged {n} shards into run 1" if attempt == 1 else "already merged: run 1"
            for text in (expected, "verdict: OK (no regression)"):
                if text not in r.stdout:
                    fail(f"merge pod (attempt {attempt}): no '{text}' in its output:\n{r.stdout}")
        db = sqlite3.connect(merge_env["MERGED_DB"])
        db.execute("ATTACH ? AS s", (single,))
        runs = db.execute("SELECT id, shard, num_scenarios FROM runs").fetchall()
        total = db.execute("SELECT count(*) FROM s.results").fetchone()[0]
        if runs != [(1, "1/1", total)]:
            fail(f"merged database runs {runs}, expected [(1, '1/1', {total})]")
        same = db.execute("SELECT count(*) FROM main.results m JOIN s.results r USING (scenario_id) "
                          "WHERE m.state_hash = r.state_hash AND m.score IS r.score").fetchone()[0]
        if same != total:
            fail(f"only {same} of {total} scenarios have the single-process state hash and score")
        print(f"merge pod ok twice: {total} scenarios, the single-process run's state hashes and scores; "
              "compare --strict passed; the second merge changed nothing")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    tarmac, scenarios = sys.argv[1], sys.argv[2:]
    if not os.access(tarmac, os.X_OK):
        fail(f"{tarmac} is not an executable")
    env, shard_script, merge_script = check_structure(load())
    run_pods(tarmac, scenarios, env, shard_script, merge_script)
    print("k8s manifests: all checks passed")


if __name__ == "__main__":
    main()
