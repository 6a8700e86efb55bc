#!/usr/bin/env python3
"""Brette et al. (2007) benchmark 4 in NEST 3.10.

4000 LIF neurons (3200 exc, 800 inh) with voltage-jump (delta) synapses,
pairwise Bernoulli connectivity p = 0.02 without autapses.
  dV/dt = (E_L - V)/tau_m, tau_m = 20 ms, E_L = -49 mV, V_th = -50 mV,
  V_reset = -60 mV, t_ref = 5 ms, J_exc = +0.25 mV, J_inh = -2.25 mV,
  delay = resolution = 0.125 ms, V(0) ~ U[-60, -50] mV.
Neuron model: iaf_psc_delta_ps (precise spike times, exact integration);
with --grid: iaf_psc_delta (spikes on the 0.125 ms grid).

Prints one JSON object on stdout.  Usage:
  .tools/peers-venv/bin/python benches/peers/b4_nest.py [--grid] [--threads N]
"""

import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

from peers_common import (base_parser, emit, import_nest,  # noqa: E402
                          nest_warmup_and_simulate, rss_mb, spike_stats,
                          stdout_to_stderr)

NE, NI = 3200, 800
P_CONN = 0.02
RESOLUTION = 0.125  # ms
DELAY = 0.125  # ms
J_EXC, J_INH = 0.25, -2.25  # mV
NEURON = {
    "tau_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0,
    "t_ref": 5.0, "C_m": 250.0, "I_e": 0.0,
}


def main():
    p = base_parser(__doc__.splitlines()[1], measured_ms=10000.0)
    p.add_argument("--grid", action="store_true",
                   help="use iaf_psc_delta (grid-constrained) instead of "
                        "iaf_psc_delta_ps")
    p.add_argument("--delay-ms", type=float, default=DELAY,
                   help=f"synaptic delay (default {DELAY} ms)")
    args = p.parse_args()
    model = "iaf_psc_delta" if args.grid else "iaf_psc_delta_ps"
    n = NE + NI

    with stdout_to_stderr():
        nest = import_nest()

        t0 = time.perf_counter()
        nest.ResetKernel()
        nest.resolution = RESOLUTION
        nest.local_num_threads = args.threads
        nest.rng_seed = args.seed
        nest.print_time = False

        rng = np.random.default_rng(args.seed)
        neurons = nest.Create(model, n, params=NEURON)
        neurons.V_m = rng.uniform(-60.0, -50.0, n)
        exc, inh = neurons[:NE], neurons[NE:]

        nest.CopyModel("static_synapse", "b4_exc",
                       {"weight": J_EXC, "delay": args.delay_ms})
        nest.CopyModel("static_synapse", "b4_inh",
                       {"weight": J_INH, "delay": args.delay_ms})
        conn = {"rule": "pairwise_bernoulli", "p": P_CONN,
                "allow_autapses": False}
        nest.Connect(exc, neurons, conn, "b4_exc")
        nest.Connect(inh, neurons, conn, "b4_inh")

        rec = nest.Create("spike_recorder",
                          params={"start": args.warmup_ms,
                                  "record_to": "memory"})
        nest.Connect(neurons, rec)
        build_s = time.perf_counter() - t0

        warmup_s, simulate_s, senders, times = nest_warmup_and_simulate(
            nest, rec, neurons[0].global_id, args.warmup_ms, args.sim_ms)
        n_syn = (nest.GetDefaults("b4_exc")["num_connections"]
                 + nest.GetDefaults("b4_inh")["num_connections"])
        version = nest.__version__

    n_spikes, rate, cv = spike_stats(senders, times, n, args.sim_ms)
    me, ch = rss_mb()
    emit({
        "simulator": "nest",
        "version": version,
        "model": "b4",
        "variant": "grid" if args.grid else "ps",
        "neuron_model": model,
        "n_neurons": n,
        "n_synapses": int(n_syn),
        "threads": args.threads,
        "dt_ms": RESOLUTION,
        "delay_ms": args.delay_ms,
        "warmup_ms": args.warmup_ms,
        "sim_ms": args.sim_ms,
        "build_s": build_s,
        "warmup_s": warmup_s,
        "simulate_s": simulate_s,
        "spikes": n_spikes,
        "mean_rate_hz": rate,
        "mean_cv_isi": cv,
        "peak_rss_mb": max(me, ch),
        "total_s": time.perf_counter() - T_START,
    })


if __name__ == "__main__":
    main()
