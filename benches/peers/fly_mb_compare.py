"""The whole-fly-brain model (Shiu et al. 2024) on the FlyWire mushroom body, in Brian2 and in
hebb's grid mode, on the same network and the same input spike trains; prints how many
spikes are identical (same neuron, same step).

    .tools/peers-venv/bin/python benches/peers/fly_mb_compare.py [--rate 100] [--duration 1000]
        [--seeds 1 2 3] [--hebb target/release/hebb]

The Brian2 model is the authors' `model.py` (philshiu/Drosophila_brain_model) written out with
the spec's parameters (specs/fly_whole_brain.md): `dv/dt = (v_0 - v + g)/t_mbr` and
`dg/dt = -g/tau`, both `(unless refractory)`, threshold `v > v_th`, reset `v = v_rst;
g = 0 mV`, refractory 2.2 ms, synapses `on_pre = 'g += w'` with delay 1.8 ms and
`w = sign x count x w_syn`. Instead of the authors' PoissonInput, the stimulated neurons (the
7 DA1 projection neurons, or all 124 with --all-pns) get the same explicit input trains in both simulators (one Bernoulli
draw per 0.1 ms step at `rate`, like PoissonInput with N = 1), each input adding
w_syn x 250 = 68.75 mV to v, and have no refractory period. Brian2 runs with the numpy target
(float64, no -ffast-math), so arithmetic differences come from the formulas alone.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CONNECTOME = os.path.join(REPO, "connectomes", "flywire_v783_mushroom_body_R.h5")
INHIBITORY = {"gaba", "glutamate", "histamine"}


def load(path, all_pns=False):
    """Neuron ids, stimulated rows (DA1 PNs, or every PN), and connections (pre row, post row,
    signed count)."""
    with h5py.File(path, "r") as f:
        ids = f["neurons/id"][:]
        glom = f["neurons/glomerulus"]
        glabels = json.loads(glom.attrs["labels"])
        group = f["neurons/group"]
        grlabels = json.loads(group.attrs["labels"])
        gl = np.array(glabels)[glom[:]]
        gr = np.array(grlabels)[group[:]]
        stim = np.nonzero((gr == "PN") & ((gl == "DA1") | all_pns))[0]
        pre = f["synapses/pre_idx"][:].astype(np.int64)
        post = f["synapses/post_idx"][:].astype(np.int64)
        count = f["synapses/count"][:].astype(np.int64)
        nt = f["synapses/nt"][:]
        labels = [s.decode() if isinstance(s, bytes) else s for s in f["meta/nt_labels"][:]]
    sign = np.array([-1 if labels[c].lower() in INHIBITORY else 1 for c in nt], dtype=np.int64)
    return ids, stim, pre, post, sign * count


def input_trains(stim, rate_hz, duration_ms, seed, dt_ms=0.1):
    """(row, step) of every input: one Bernoulli(rate x dt) draw per step and neuron."""
    rng = np.random.default_rng(seed)
    steps = int(round(duration_ms / dt_ms))
    p = rate_hz * dt_ms / 1000.0
    rows, when = [], []
    for r in stim:
        k = np.nonzero(rng.random(steps) < p)[0] + 1  # steps 1..steps
        rows.extend([r] * len(k))
        when.extend(k.tolist())
    return np.array(rows, dtype=np.int64), np.array(when, dtype=np.int64)


def run_brian2(n, stim, pre, post, signed, in_rows, in_steps, duration_ms):
    from brian2 import (NeuronGroup, Network, SpikeGeneratorGroup, SpikeMonitor, Synapses,
                        defaultclock, ms, mV, prefs, start_scope)

    start_scope()
    prefs.codegen.target = "numpy"
    defaultclock.dt = 0.1 * ms
    v_0, v_rst, v_th = -52 * mV, -52 * mV, -45 * mV
    t_mbr, tau, t_rfc, t_dly, w_syn = 20 * ms, 5 * ms, 2.2 * ms, 1.8 * ms, 0.275 * mV
    eqs = """
    dv/dt = (v_0 - v + g) / t_mbr : volt (unless refractory)
    dg/dt = -g / tau               : volt (unless refractory)
    rfc                            : second
    """
    neu = NeuronGroup(n, eqs, method="linear", threshold="v > v_th",
                      reset="v = v_rst; g = 0 * mV", refractory="rfc")
    neu.v = v_0
    neu.g = 0 * mV
    neu.rfc = t_rfc
    neu.rfc[stim] = 0 * ms
    syn = Synapses(neu, neu, "w : volt", on_pre="g += w", delay=t_dly)
    syn.connect(i=pre, j=post)
    syn.w = signed * w_syn
    gen = SpikeGeneratorGroup(n, in_rows, in_steps * 0.1 * ms)
    drive = Synapses(gen, neu, on_pre="v += 250 * w_syn")
    drive.connect(j="i")
    mon = SpikeMonitor(neu)
    net = Network(neu, syn, gen, drive, mon)
    net.run(duration_ms * ms + 0.05 * ms)
    i = np.asarray(mon.i[:], dtype=np.int64)
    k = np.rint(np.asarray(mon.t[:] / ms) * 10).astype(np.int64)
    keep = k < int(round(duration_ms * 10))  # hebb records [0, duration)
    return i[keep], k[keep]


def run_hebb(hebb, ids, in_rows, in_steps, duration_ms, workdir):
    csv = os.path.join(workdir, "input.csv")
    with open(csv, "w") as f:
        f.write("neuron,time_ms\n")
        for r, k in zip(in_rows, in_steps):
            f.write(f"{ids[r]},{k / 10:.1f}\n")
    model = f"""
[simulation]
duration = {duration_ms}
resolution = 0.1

[[population]]
name = "mb"
connectome = "{CONNECTOME}"
model = "lif_exp"
update = "grid"
tau_m = 20.0
C_m = 20.0
E_L = -52.0
V_reset = -52.0
V_th = -45.0
t_ref = 2.2
tau_syn_ex = 5.0
tau_syn_in = 5.0
refractory_input = "discard"
reset_currents = true

[[projection]]
source = "mb"
target = "mb"
rule = "connectome"
weight = 0.275
delay = 1.8

[[stimulus]]
type = "spike_times"
target = "mb"
file = "{csv}"
weight = 68.75
target_var = "V_m"

[[set]]
population = "mb"
neurons = {{ file = "{csv}" }}
t_ref = 0.0
"""
    path = os.path.join(workdir, "fly_mb_grid.toml")
    with open(path, "w") as f:
        f.write(model)
    out = os.path.join(workdir, "hebb.h5")
    subprocess.run([hebb, "run", path, "-o", out, "-q", "--threads", "1"], check=True)
    with h5py.File(out, "r") as f:
        nid = f["spikes/neuron"][:]
        t = f["spikes/time_ms"][:]
    row = {int(x): k for k, x in enumerate(ids)}
    return (np.array([row[int(x)] for x in nid], dtype=np.int64),
            np.rint(t * 10).astype(np.int64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=100.0, help="input rate per stimulated neuron (Hz)")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--hebb", default=os.path.join(REPO, "target", "release", "hebb"))
    ap.add_argument("--all-pns", action="store_true",
                    help="stimulate all 124 projection neurons, not only DA1's 7")
    a = ap.parse_args()
    ids, stim, pre, post, signed = load(CONNECTOME, a.all_pns)
    print(f"{len(stim)} stimulated neurons at {a.rate} Hz, {a.duration} ms, seeds {a.seeds}\n")
    total_b = total_h = total_same = 0
    print(f"| seed | Brian2 spikes | hebb spikes | identical | only Brian2 | only hebb | first difference (ms) |")
    print(f"|---|---|---|---|---|---|---|")
    for seed in a.seeds:
        rows, steps = input_trains(stim, a.rate, a.duration, seed)
        with tempfile.TemporaryDirectory() as d:
            hi, hs = run_hebb(a.hebb, ids, rows, steps, a.duration, d)
        bi, bs = run_brian2(len(ids), stim, pre, post, signed, rows, steps, a.duration)
        b = set(zip(bi.tolist(), bs.tolist()))
        h = set(zip(hi.tolist(), hs.tolist()))
        same = len(b & h)
        diff = sorted((s for _, s in (b ^ h)))
        first = f"{diff[0] / 10:.1f}" if diff else "-"
        print(f"| {seed} | {len(b)} | {len(h)} | {same} | {len(b - h)} | {len(h - b)} | {first} |")
        total_b += len(b)
        total_h += len(h)
        total_same += same
    frac = total_same / max(total_b, total_h, 1)
    print(f"\nidentical spikes: {total_same} of {max(total_b, total_h)} ({100 * frac:.3f} %)")
    return 0 if frac >= 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
