#!/usr/bin/env python3
"""Potjans & Diesmann (2014) cortical microcircuit in NEST 3.10, after pynest/examples/Potjans_2014.

Eight populations (L23E, L23I, L4E, L4I, L5E, L5I, L6E, L6I) of iaf_psc_exp neurons
(E_L = V_reset = -65 mV, V_th = -50 mV, C_m = 250 pF, tau_m = 10 ms, tau_syn = 0.5 ms,
t_ref = 2 ms), sizes N_full * N_scaling.  Recurrent projections: fixed_total_number
round(K_full * N_scaling * K_scaling), autapses and multapses allowed, weights normal
(mean from PSP 0.15 mV, inhibitory x -4, L4E -> L23E x 2, all x 1/sqrt(K_scaling);
10 % s.d., redrawn to keep the sign), delays normal (exc 1.5 +- 0.75 ms, inh
0.75 +- 0.375 ms, redrawn below resolution/2).  Background: one poisson_generator per
population at 8 Hz * round(K_ext * K_scaling), all_to_all, weight w_E/sqrt(K_scaling),
delay 1.5 ms; with K_scaling < 1 a DC current (I_e) per population restores the mean input.
V(0) normal per population.  --thalamic: 902 parrot neurons driven at 120 Hz from 700 ms for
10 ms, fixed_total_number to L4E, L4I, L6E, L6I (totals scaled by N_scaling * K_scaling).
Resolution 0.1 ms; all neurons recorded.  Parameters: pd_common.py.

Prints one JSON object on stdout.  Usage:
  .tools/peers-venv/bin/python benches/peers/pd_nest.py [--n-scaling 0.1] [--k-scaling 0.1]
      [--sim-ms 1000] [--presim-ms 500] [--threads N] [--seed S] [--thalamic] [--json PATH]
"""

import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

import pd_common as pd  # noqa: E402
from peers_common import (import_nest, nest_warmup_and_simulate, rss_mb,  # noqa: E402
                          stdout_to_stderr)


def connect_recurrent(nest, pops, d):
    """The 64 projections (target-major), each one fixed_total_number Connect."""
    for i, tgt in enumerate(pops):
        for j, src in enumerate(pops):
            n = int(d["n_syn"][i, j])
            if n == 0:
                continue
            w = float(d["w_mean"][i, j])
            w_lo, w_hi = (0.0, np.inf) if w > 0 else (-np.inf, 0.0)
            dm = float(d["d_mean"][i, j])
            syn = {
                "synapse_model": "pd_recurrent",
                "weight": nest.math.redraw(
                    nest.random.normal(mean=w, std=abs(w) * pd.W_REL_SD),
                    min=w_lo, max=w_hi),
                # redrawn below resolution/2: the rounded delay is at least one step
                "delay": nest.math.redraw(
                    nest.random.normal(mean=dm, std=dm * pd.DELAY_REL_SD),
                    min=0.5 * pd.RESOLUTION, max=np.inf),
            }
            nest.Connect(src, tgt, {"rule": "fixed_total_number", "N": n,
                                    "allow_autapses": True, "allow_multapses": True}, syn)


def connect_thalamus(nest, pops, d):
    """902 parrot neurons repeating independent 120 Hz Poisson trains (700-710 ms)."""
    th = nest.Create("parrot_neuron", pd.N_TH)
    gen = nest.Create("poisson_generator", params={
        "rate": pd.TH_RATE, "start": pd.TH_START, "stop": pd.TH_START + pd.TH_DUR})
    nest.Connect(gen, th)
    w = float(d["w_th"])
    for i, tgt in enumerate(pops):
        n = int(d["n_th"][i])
        if n == 0:
            continue
        syn = {
            "synapse_model": "pd_thalamic",
            "weight": nest.math.redraw(
                nest.random.normal(mean=w, std=w * pd.W_REL_SD), min=0.0, max=np.inf),
            "delay": nest.math.redraw(
                nest.random.normal(mean=pd.TH_DELAY, std=pd.TH_DELAY * pd.TH_DELAY_REL_SD),
                min=0.5 * pd.RESOLUTION, max=np.inf),
        }
        nest.Connect(th, tgt, {"rule": "fixed_total_number", "N": n}, syn)


def main():
    p = pd.pd_parser(__doc__.splitlines()[1])
    args = p.parse_args()
    d = pd.derive(args.n_scaling, args.k_scaling)
    sizes = d["sizes"]
    n = int(sizes.sum())

    with stdout_to_stderr():
        nest = import_nest()

        t0 = time.perf_counter()
        nest.ResetKernel()
        nest.resolution = pd.RESOLUTION
        nest.local_num_threads = args.threads
        nest.rng_seed = args.seed
        nest.print_time = False

        nrn = pd.NEURON
        pops = []
        for k in range(8):
            pop = nest.Create("iaf_psc_exp", int(sizes[k]), params={
                "E_L": nrn["E_L"], "V_reset": nrn["V_reset"], "V_th": nrn["V_th"],
                "C_m": nrn["C_m"], "tau_m": nrn["tau_m"], "tau_syn_ex": nrn["tau_syn"],
                "tau_syn_in": nrn["tau_syn"], "t_ref": nrn["t_ref"],
                "I_e": float(d["dc"][k])})
            pop.V_m = nest.random.normal(mean=float(pd.V0_MEAN[k]), std=float(pd.V0_SD[k]))
            pops.append(pop)
        first_id = pops[0][0].global_id
        nodes = pops[0]
        for pop in pops[1:]:
            nodes = nodes + pop  # contiguous ids: one collection

        rec = nest.Create("spike_recorder",
                          params={"start": args.warmup_ms, "record_to": "memory"})
        nest.Connect(nodes, rec)

        # Copies of static_synapse only to count the connections of each kind.
        nest.CopyModel("static_synapse", "pd_recurrent")
        nest.CopyModel("static_synapse", "pd_external",
                       {"weight": float(d["w_ext"]), "delay": pd.DELAY_POISSON})
        nest.CopyModel("static_synapse", "pd_thalamic")

        # Background: a poisson_generator sends an independent train to each target.
        bg = nest.Create("poisson_generator", 8)
        bg.rate = (pd.BG_RATE * d["k_ext"]).astype(float).tolist()
        for k in range(8):
            nest.Connect(bg[k], pops[k], "all_to_all", {"synapse_model": "pd_external"})

        connect_recurrent(nest, pops, d)
        if args.thalamic:
            connect_thalamus(nest, pops, d)
        build_s = time.perf_counter() - t0

        warmup_s, simulate_s, senders, times = nest_warmup_and_simulate(
            nest, rec, first_id, args.warmup_ms, args.sim_ms)
        n_syn = int(nest.GetDefaults("pd_recurrent")["num_connections"])
        n_th = int(nest.GetDefaults("pd_thalamic")["num_connections"])
        version = nest.__version__

    assert n_syn == int(d["n_syn"].sum()), (n_syn, int(d["n_syn"].sum()))
    res = pd.pop_results(senders, times, sizes, args.sim_ms)
    me, ch = rss_mb()
    pd.emit_json({
        "simulator": "nest",
        "version": version,
        "model": pd.model_label(args),
        "variant": "grid",
        "neuron_model": "iaf_psc_exp",
        "n_neurons": n,
        "n_synapses": n_syn,
        "n_synapses_thalamic": n_th,
        "threads": args.threads,
        "seed": args.seed,
        "dt_ms": pd.RESOLUTION,
        "warmup_ms": args.warmup_ms,
        "sim_ms": args.sim_ms,
        "build_s": build_s,
        "warmup_s": warmup_s,
        "simulate_s": simulate_s,
        "spikes": res["spikes"],
        "mean_rate_hz": res["mean_rate_hz"],
        "mean_cv_isi": res["mean_cv_isi"],
        "peak_rss_mb": max(me, ch),
        "total_s": time.perf_counter() - T_START,
        "rates": res["rates"],
        "cv_isi": res["cv_isi"],
        **pd.model_fields(args, d),
    }, args.json)


if __name__ == "__main__":
    main()
