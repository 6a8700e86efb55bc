#!/usr/bin/env python3
"""Per-population rates of the Potjans–Diesmann microcircuit in hebb and NEST over several
seeds (network realisations differ between simulators, so single runs are not comparable):
mean ± s.d. per population and hebb's relative difference from NEST.

    .tools/peers-venv/bin/python benches/peers/pd_rates.py --seeds 5 --k-scaling 0.1 [--json out.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]


def hebb_rates(seed, n, k, sim_ms, presim_ms, tmp):
    out = os.path.join(tmp, f"hebb_{seed}.json")
    subprocess.run(
        [os.path.join(ROOT, "target/release/hebb"), "run",
         os.path.join(ROOT, "models/potjans_diesmann.toml"), "-q", "-t", "1",
         "--seed", str(seed), "--set", f"scaling.N={n}", "--set", f"scaling.K={k}",
         "--set", f"simulation.duration={sim_ms}", "--set", f"simulation.warmup={presim_ms}",
         "-o", os.path.join(tmp, "hebb.h5"), "--summary-json", out],
        check=True)
    d = json.load(open(out))
    return {p["name"]: p["rate_hz"] for p in d["populations"] if p["name"] in POPS}


def nest_rates(seed, n, k, sim_ms, presim_ms, tmp):
    out = os.path.join(tmp, f"nest_{seed}.json")
    subprocess.run(
        [sys.executable, os.path.join(HERE, "pd_nest.py"), "--n-scaling", str(n),
         "--k-scaling", str(k), "--sim-ms", str(sim_ms), "--presim-ms", str(presim_ms),
         "--seed", str(seed), "--json", out],
        check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))["rates"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--n-scaling", type=float, default=0.1)
    ap.add_argument("--k-scaling", type=float, default=0.1)
    ap.add_argument("--sim-ms", type=float, default=1000.0)
    ap.add_argument("--presim-ms", type=float, default=500.0)
    ap.add_argument("--json")
    a = ap.parse_args()
    runs = {"hebb": [], "nest": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.first_seed, a.first_seed + a.seeds):
            for name, f in (("hebb", hebb_rates), ("nest", nest_rates)):
                r = f(seed, a.n_scaling, a.k_scaling, a.sim_ms, a.presim_ms, tmp)
                runs[name].append(r)
                print(f"{name} seed {seed}: " + " ".join(f"{r[p]:.3f}" for p in POPS),
                      file=sys.stderr)
    summary = {}
    print(f"N = {a.n_scaling}, K = {a.k_scaling}, seeds {a.first_seed}–"
          f"{a.first_seed + a.seeds - 1}, {a.sim_ms:g} ms after "
          f"{a.presim_ms:g} ms; rates in Hz, mean ± s.d. over seeds\n")
    print("| population | hebb | NEST 3.10 | hebb / NEST − 1 |")
    print("|---|---|---|---|")
    for p in POPS:
        h = [r[p] for r in runs["hebb"]]
        n = [r[p] for r in runs["nest"]]
        mh, mn = statistics.mean(h), statistics.mean(n)
        sd = lambda x: statistics.stdev(x) if len(x) > 1 else 0.0
        summary[p] = {"hebb": mh, "hebb_sd": sd(h), "nest": mn, "nest_sd": sd(n),
                      "rel_diff": mh / mn - 1.0}
        print(f"| {p} | {mh:.3f} ± {sd(h):.3f} | {mn:.3f} ± {sd(n):.3f} | "
              f"{100 * (mh / mn - 1):+.1f} % |")
    if a.json:
        json.dump({"n_scaling": a.n_scaling, "k_scaling": a.k_scaling,
                   "seeds": list(range(a.first_seed, a.first_seed + a.seeds)),
                   "runs": runs, "summary": summary}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
