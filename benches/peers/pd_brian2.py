#!/usr/bin/env python3
"""Potjans & Diesmann (2014) cortical microcircuit in Brian2 (cpp_standalone), as pd_nest.py.

One NeuronGroup holds the eight populations (L23E, L23I, L4E, L4I, L5E, L5I, L6E, L6I, in
that order), NEST's iaf_psc_exp with tau_syn_ex = tau_syn_in, hence one synaptic current:
  dv/dt = (E_L - v)/tau_m + (I + I_e)/C_m : volt (unless refractory)
  dI/dt = -I/tau_syn : amp
integrated exactly (linear equations, method 'exact'), dt = 0.1 ms, threshold v >= V_th,
reset v = V_reset, refractory 2 ms; I_e is the DC compensation of pd_common.derive().
Synapses add their weight to I (on_pre 'I_post += w').  Connectivity, weights and delays are
drawn in numpy with NEST's semantics (fixed_total_number: sources and targets uniform with
replacement, autapses and multapses allowed; weights normal redrawn to keep the sign; delays
normal redrawn below dt/2 and rounded to whole steps) and given to Synapses.connect(i=, j=)
with per-synapse w and delay.  Background: one PoissonInput per population (N = round(K_ext *
K_scaling) sources at 8 Hz, weight w_E/sqrt(K_scaling)).  --thalamic: a PoissonGroup of 902
neurons at 120 Hz between 700 and 710 ms, fixed_total_number to L4E, L4I, L6E, L6I.

Prints one JSON object on stdout.  Usage (any interpreter with Brian2, see README):
  .tools/peers-venv/bin/python benches/peers/pd_brian2.py [--n-scaling 0.1] [--k-scaling 0.1]
      [--sim-ms 1000] [--presim-ms 500] [--threads N] [--seed S] [--thalamic] [--json PATH]
"""

import os
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

import brian2_common as b2c  # noqa: E402
import pd_common as pd  # noqa: E402
from peers_common import rss_mb, stdout_to_stderr  # noqa: E402


def draw_recurrent(rng, d):
    """Sources, targets (absolute indices), weights (pA) and delays (ms) of all 64
    projections, target-major, as NEST's fixed_total_number draws them."""
    off = np.concatenate(([0], np.cumsum(d["sizes"])))
    src, tgt, w, dl = [], [], [], []
    for i in range(8):
        for j in range(8):
            n = int(d["n_syn"][i, j])
            if n == 0:
                continue
            src.append(off[j] + rng.integers(0, d["sizes"][j], n))
            tgt.append(off[i] + rng.integers(0, d["sizes"][i], n))
            w.append(pd.draw_weights(rng, float(d["w_mean"][i, j]), n))
            dl.append(pd.draw_delays(rng, float(d["d_mean"][i, j]), n))
    return (np.concatenate(src).astype(np.int32), np.concatenate(tgt).astype(np.int32),
            np.concatenate(w), np.concatenate(dl))


def draw_thalamic(rng, d):
    """Thalamic neuron -> cortical neuron connections (fixed_total_number per population)."""
    off = np.concatenate(([0], np.cumsum(d["sizes"])))
    src, tgt, w, dl = [], [], [], []
    for i in range(8):
        n = int(d["n_th"][i])
        if n == 0:
            continue
        src.append(rng.integers(0, pd.N_TH, n))
        tgt.append(off[i] + rng.integers(0, d["sizes"][i], n))
        w.append(pd.draw_weights(rng, float(d["w_th"]), n))
        dl.append(pd.draw_delays(rng, pd.TH_DELAY, n))
    return (np.concatenate(src).astype(np.int32), np.concatenate(tgt).astype(np.int32),
            np.concatenate(w), np.concatenate(dl))


def main():
    p = pd.pd_parser(__doc__.splitlines()[1])
    p.add_argument("--keep-dir", default=None,
                   help="build in this directory and keep it")
    args = p.parse_args()
    d = pd.derive(args.n_scaling, args.k_scaling)
    sizes = d["sizes"]
    n = int(sizes.sum())
    off = np.concatenate(([0], np.cumsum(sizes)))

    with stdout_to_stderr():
        import brian2
        from brian2 import (Hz, Network, NeuronGroup, PoissonGroup, PoissonInput,
                            SpikeMonitor, Synapses, defaultclock, mV, ms, pA, pF, seed)
        brian2.prefs.logging.console_log_level = "WARNING"
        # Compile with at most as many jobs as cores (Brian2's default '-j' starts one
        # compiler per code object at once); compile_s is not part of the figures.
        brian2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]

        t0 = time.perf_counter()
        directory = b2c.setup_device(args.threads, args.keep_dir)
        timing_file = b2c.timing_path(directory)
        b2c.mark_start(timing_file)
        seed(args.seed)
        defaultclock.dt = pd.RESOLUTION * ms
        rng = np.random.default_rng(args.seed)

        nrn = pd.NEURON
        ns = {"E_L": nrn["E_L"] * mV, "V_reset": nrn["V_reset"] * mV,
              "V_th": nrn["V_th"] * mV, "C_m": nrn["C_m"] * pF,
              "tau_m": nrn["tau_m"] * ms, "tau_syn": nrn["tau_syn"] * ms,
              "th_rate": pd.TH_RATE * Hz, "th_start": pd.TH_START * ms,
              "th_stop": (pd.TH_START + pd.TH_DUR) * ms}
        eqs = """
        dv/dt = (E_L - v)/tau_m + (I + I_e)/C_m : volt (unless refractory)
        dI/dt = -I/tau_syn : amp
        I_e : amp (constant)
        """
        P = NeuronGroup(n, eqs, threshold="v >= V_th", reset="v = V_reset",
                        refractory=nrn["t_ref"] * ms, method="exact", namespace=ns,
                        name="pd")
        # V(0) normal per population; the DC compensation per population.
        P.v = np.concatenate([rng.normal(pd.V0_MEAN[k], pd.V0_SD[k], sizes[k])
                              for k in range(8)]) * mV
        P.I_e = np.repeat(d["dc"], sizes) * pA

        S = Synapses(P, P, "w : amp (constant)", on_pre="I_post += w", namespace=ns,
                     name="pd_recurrent")
        src, tgt, w, dl = draw_recurrent(rng, d)
        S.connect(i=src, j=tgt)
        S.w = w * pA
        S.delay = dl * ms
        del src, tgt, w, dl
        objects = [P, S]

        # Background: an independent 8 Hz train from each of the K_ext inputs per neuron.
        for k in range(8):
            objects.append(PoissonInput(P[off[k]:off[k + 1]], "I", N=int(d["k_ext"][k]),
                                        rate=pd.BG_RATE * Hz, weight=float(d["w_ext"]) * pA))

        n_th_planned = 0
        if args.thalamic:
            TH = PoissonGroup(pd.N_TH, rates="int(t >= th_start and t < th_stop) * th_rate",
                              namespace=ns, name="pd_thalamus")
            St = Synapses(TH, P, "w : amp (constant)", on_pre="I_post += w",
                          namespace=ns, name="pd_thalamic")
            src, tgt, w, dl = draw_thalamic(rng, d)
            St.connect(i=src, j=tgt)
            St.w = w * pA
            St.delay = dl * ms
            n_th_planned = int(src.size)
            del src, tgt, w, dl
            objects += [TH, St]

        M = SpikeMonitor(P)
        net = Network(*objects, M)
        py_build_s = time.perf_counter() - t0

        timing, marks = b2c.run_measured(
            net.run, args.warmup_ms * ms, args.sim_ms * ms, directory, timing_file)

        i = np.asarray(M.i[:])
        t = np.asarray(M.t[:] / ms)
        sel = t >= args.warmup_ms
        n_syn = len(S)
        version = brian2.__version__
        b2c.cleanup(directory, args.keep_dir is not None)

    assert n_syn == int(d["n_syn"].sum()), (n_syn, int(d["n_syn"].sum()))
    res = pd.pop_results(i[sel], t[sel], sizes, args.sim_ms)
    me, ch = rss_mb()
    pd.emit_json({
        "simulator": "brian2",
        "version": version,
        "model": pd.model_label(args),
        "variant": "cpp_standalone" + ("_openmp" if args.threads > 1 else ""),
        "n_neurons": n,
        "n_synapses": n_syn,
        "n_synapses_thalamic": n_th_planned,
        "threads": args.threads,
        "seed": args.seed,
        "dt_ms": pd.RESOLUTION,
        "warmup_ms": args.warmup_ms,
        "sim_ms": args.sim_ms,
        "spikes": res["spikes"],
        "mean_rate_hz": res["mean_rate_hz"],
        "mean_cv_isi": res["mean_cv_isi"],
        **b2c.timing_fields(py_build_s, marks, timing, me, ch, T_START),
        "rates": res["rates"],
        "cv_isi": res["cv_isi"],
        **pd.model_fields(args, d),
    }, args.json)


if __name__ == "__main__":
    main()
