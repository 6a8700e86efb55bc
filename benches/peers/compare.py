#!/usr/bin/env python3
"""Run the peer benchmarks (and hebb, when built) and print a Markdown table.

Runs one benchmark at a time (never in parallel), each --repeat times,
with the peers' venv interpreter (Brian2 rows: see --brian2-python).
Every run's JSON line is appended to --jsonl (default:
out/peers/results.jsonl under the repository root, git-ignored).

  python3 benches/peers/compare.py                   # everything, once
  python3 benches/peers/compare.py --repeat 2 --only b4
  python3 benches/peers/compare.py --wait-idle 1.0   # wait for load < 1.0
  python3 benches/peers/compare.py --from-jsonl out/peers/results.jsonl
  python3 benches/peers/compare.py --brian2-python .tools/peers-venv/bin/python
  python3 benches/peers/compare.py --only pd --with-pd-k1    # the microcircuit

Before each run it records the 1-min load average and a pure-Python
speed probe (calib_loop_s, see calibrate()).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV_PY = os.environ.get(
    "PEERS_PYTHON", os.path.join(REPO, ".tools", "peers-venv", "bin", "python"))
# Brian2 2.11 (Python 3.13) in the Debian trixie chroot of
# setup-brian2-trixie.sh, run through this wrapper.
TRIXIE_WRAPPER = os.path.join(HERE, "brian2-trixie")
TRIXIE_ROOT = os.environ.get("BRIAN2_TRIXIE_ROOT",
                             os.path.join(REPO, ".tools", "trixie"))


def default_brian2_python():
    """The trixie wrapper when its chroot venv exists (and we are root), else VENV_PY."""
    if (os.path.exists(os.path.join(TRIXIE_ROOT, "opt", "brian2-venv", "bin",
                                    "python"))
            and os.geteuid() == 0):
        return TRIXIE_WRAPPER
    return VENV_PY

# (label, script, extra arguments)
PEERS = [
    ("b4/nest-ps", "b4_nest.py", []),
    ("b4/nest-grid", "b4_nest.py", ["--grid"]),
    ("b4/brian2", "b4_brian2.py", []),
    ("brunel/nest", "brunel_nest.py", []),
    ("brunel/brian2", "brunel_brian2.py", []),
    ("brunel50k/nest", "brunel_nest.py", ["--scale", "4"]),
    ("brunel50k/brian2", "brunel_brian2.py", ["--scale", "4"]),
    # Potjans & Diesmann 2014 microcircuit at N_scaling = K_scaling = 0.1 (7,717 neurons,
    # 3.0 M synapses), 500 ms pre-simulation + 1 s measured; per-population rates in the
    # JSON ("rates").  pd-k1: K_scaling = 1 (29.9 M synapses, NEST only; --with-pd-k1).
    ("pd/nest", "pd_nest.py", []),
    ("pd/brian2", "pd_brian2.py", []),
    ("pd-k1/nest", "pd_nest.py", ["--k-scaling", "1"]),
]
DEFAULT_SKIP = {"brunel50k/nest", "brunel50k/brian2",  # need --with-50k
                "pd-k1/nest"}  # needs --with-pd-k1

# ---------------------------------------------------------------------------
# HEBB HOOK.  This is where hebb's figures join
# the table.  When target/release/hebb exists, every entry below is run as
#   target/release/hebb run <model> -q --summary-json <tmpfile>
# and <tmpfile> is read as JSON by hebb_row(), which maps it onto the peers'
# keys.  Adjust hebb_row() when the summary format changes.  Missing binary
# or model file: the entry is skipped.
HEBB_BIN = os.path.join(REPO, "target", "release", "hebb")
HEBB_RUNS = [
    ("b4/hebb", "models/brette_b4.toml", []),
    ("brunel/hebb", "models/brunel.toml", []),
    # N = K = 0.1, 500 ms warm-up + 1 s, like pd/nest (its neurons include the 902
    # thalamic ones, population TC, silent unless switched on).
    ("pd/hebb", "models/potjans_diesmann.toml", []),
]


def hebb_row(raw):
    """Map hebb's summary JSON (src/run.rs `Summary`, 2026-11-28) to a row."""
    row = {}
    for dst, keys in {
        "version": ("version",),
        "n_neurons": ("n_neurons", "neurons"),
        "n_synapses": ("n_synapses", "synapses"),
        "build_s": ("build_s",),
        "simulate_s": ("simulate_s",),
        "peak_rss_mb": ("peak_rss_mb", "peak_rss_mib"),
        "mean_cv_isi": ("mean_cv_isi",),
    }.items():
        for k in keys:
            if raw.get(k) is not None:
                row[dst] = raw[k]
                break
    pops = raw.get("populations") or []
    if "spikes" in raw:
        row["spikes"] = raw["spikes"]
    elif pops:  # spikes in the recorded (post warm-up) window
        row["spikes"] = sum(p.get("spikes", 0) for p in pops)
    if pops and all("name" in p and "rate_hz" in p for p in pops):
        row["rates"] = {p["name"]: p["rate_hz"] for p in pops}
    rec_ms = raw.get("recorded_ms")
    if "mean_rate_hz" in raw:
        row["mean_rate_hz"] = raw["mean_rate_hz"]
    elif "spikes" in row and row.get("n_neurons") and rec_ms:
        row["mean_rate_hz"] = (row["spikes"] / row["n_neurons"]
                               / (rec_ms / 1000.0))
    return row
# ---------------------------------------------------------------------------


def calibrate():
    """Seconds for a fixed pure-Python loop (10^7 integer additions).

    A crude single-core speed probe, taken right before every run so that
    figures from different machines or busy periods can be put in context.
    """
    t0 = time.perf_counter()
    s = 0
    for i in range(10_000_000):
        s += i
    return time.perf_counter() - t0


def wait_idle(threshold, max_wait_s):
    if threshold <= 0:
        return
    t0 = time.time()
    while os.getloadavg()[0] > threshold and time.time() - t0 < max_wait_s:
        time.sleep(10)


def run_peer(label, script, extra, threads, brian2_python):
    py = brian2_python if "brian2" in script else VENV_PY
    cmd = [py, os.path.join(HERE, script), "--threads", str(threads)]
    cmd += extra
    print(f"compare: {label}: {' '.join(cmd)}", file=sys.stderr)
    res = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    if res.returncode != 0:
        print(f"compare: {label} failed (exit {res.returncode})",
              file=sys.stderr)
        return None
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return None
    out = json.loads(lines[-1])
    out["interpreter"] = (os.path.relpath(py, REPO) if os.path.isabs(py)
                          else py)
    return out


def run_hebb(label, model, extra, threads, brian2_python=None):
    """HEBB HOOK: run the hebb binary and map its summary JSON."""
    if not (os.access(HEBB_BIN, os.X_OK)
            and os.path.exists(os.path.join(REPO, model))):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        cmd = [HEBB_BIN, "run", model, "-q", "--summary-json", summary,
               "--threads", str(threads)]
        cmd += extra
        print(f"compare: {label}: {' '.join(cmd)}", file=sys.stderr)
        res = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL)
        if res.returncode != 0 or not os.path.exists(summary):
            print(f"compare: {label} failed (exit {res.returncode})",
                  file=sys.stderr)
            return None
        with open(summary) as f:
            raw = json.load(f)
    out = {"simulator": "hebb", "model": label.split("/")[0],
           "threads": threads}
    out.update(hebb_row(raw))
    return out


def fmt(v, nd):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def table(rows):
    head = ("| model | simulator | version | variant | threads | neurons "
            "| synapses | build_s | compile_s | simulate_s | spikes "
            "| rate Hz | CV ISI | peak RSS MB | calib s |")
    sep = "|" + "---|" * 15
    out = [head, sep]
    for r in rows:
        out.append("| " + " | ".join([
            r.get("model", "?"), r.get("simulator", "?"),
            str(r.get("version", "")), str(r.get("variant", "")),
            str(r.get("threads", "")), fmt(r.get("n_neurons"), 0),
            fmt(r.get("n_synapses"), 0), fmt(r.get("build_s"), 2),
            fmt(r.get("compile_s"), 1), fmt(r.get("simulate_s"), 3),
            fmt(r.get("spikes"), 0), fmt(r.get("mean_rate_hz"), 2),
            fmt(r.get("mean_cv_isi"), 3), fmt(r.get("peak_rss_mb"), 0),
            fmt(r.get("calib_loop_s"), 2),
        ]) + " |")
    return "\n".join(out)


def rates_table(rows):
    """Per-population rates (Hz) of the rows that report them (the microcircuit)."""
    rows = [r for r in rows if r.get("rates")]
    pops = list(rows[0]["rates"])
    out = ["| model | simulator | " + " | ".join(pops) + " |",
           "|" + "---|" * (len(pops) + 2)]
    for r in rows:
        out.append(f"| {r.get('model', '?')} | {r.get('simulator', '?')} | "
                   + " | ".join(fmt(r["rates"].get(p), 3) for p in pops) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="",
                    help="comma-separated substrings of labels to run")
    ap.add_argument("--with-50k", action="store_true",
                    help="include the 50k Brunel variants")
    ap.add_argument("--with-pd-k1", action="store_true",
                    help="include the microcircuit at K_scaling = 1 (NEST)")
    ap.add_argument("--no-hebb", action="store_true",
                    help="skip the hebb hook even if target/release/hebb "
                         "exists")
    ap.add_argument("--wait-idle", type=float, default=0.0,
                    help="before each run wait until the 1-min load average "
                         "is below this (0 = do not wait)")
    ap.add_argument("--max-wait", type=float, default=900.0,
                    help="longest wait per run for --wait-idle, seconds")
    ap.add_argument("--brian2-python", default=None,
                    help="interpreter (or wrapper) for the Brian2 scripts; "
                         "default: $BRIAN2_PYTHON, else benches/peers/"
                         "brian2-trixie when .tools/trixie holds its venv "
                         "(Brian2 2.11), else the peers venv (Brian2 2.9)")
    ap.add_argument("--jsonl", default=os.path.join(REPO, "out", "peers",
                                                    "results.jsonl"))
    ap.add_argument("--from-jsonl", default=None,
                    help="only print the table for an existing JSONL file")
    args = ap.parse_args()

    if args.from_jsonl:
        with open(args.from_jsonl) as f:
            rows = [json.loads(ln) for ln in f if ln.strip()]
        print(table(rows))
        if any(r.get("rates") for r in rows):
            print()
            print(rates_table(rows))
        return

    only = [s for s in args.only.split(",") if s]
    brian2_python = (args.brian2_python or os.environ.get("BRIAN2_PYTHON")
                     or default_brian2_python())
    if os.sep in brian2_python:  # a path: relative to the caller's directory
        brian2_python = os.path.abspath(brian2_python)
    print(f"compare: Brian2 interpreter: {brian2_python}", file=sys.stderr)

    def wanted(label):
        if label.startswith("pd-k1/"):  # only with --with-pd-k1 (and --only, if given)
            return args.with_pd_k1 and (not only or any(s in label for s in only))
        if only:
            return any(s in label for s in only)
        return args.with_50k or label not in DEFAULT_SKIP

    jobs = [("peer", *p) for p in PEERS if wanted(p[0])]
    if not args.no_hebb:
        jobs += [("hebb", *h) for h in HEBB_RUNS if wanted(h[0])]

    os.makedirs(os.path.dirname(args.jsonl), exist_ok=True)
    rows = []
    for _ in range(args.repeat):
        for kind, label, target, extra in jobs:
            wait_idle(args.wait_idle, args.max_wait)
            load = os.getloadavg()[0]
            calib = calibrate()
            fn = run_peer if kind == "peer" else run_hebb
            r = fn(label, target, extra, args.threads, brian2_python)
            if r is None:
                continue
            r["label"] = label
            r["loadavg_1m_at_start"] = round(load, 2)
            r["calib_loop_s"] = round(calib, 3)
            r["date"] = time.strftime("%Y-%m-%d %H:%M:%S")
            rows.append(r)
            with open(args.jsonl, "a") as f:
                f.write(json.dumps(r) + "\n")
    print(table(rows))
    if any(r.get("rates") for r in rows):
        print()
        print(rates_table(rows))


if __name__ == "__main__":
    main()
