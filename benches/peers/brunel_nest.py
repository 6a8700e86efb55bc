#!/usr/bin/env python3
"""Brunel (2000) network in NEST 3.10, after pynest/examples/brunel_delta_nest.py.

NE = 10000 exc + NI = 2500 inh iaf_psc_delta neurons (--scale 4: 40000 +
10000), fixed in-degree CE = 1000 exc and CI = 250 inh inputs per neuron
(allow_multapses True; allow_autapses False unless --autapses),
J = 0.1 mV, g = 5 (inhibitory weight -0.5 mV), delay 1.5 ms,
tau_m = 20 ms, theta = 20 mV, V_reset = E_L = 0 mV, C_m = 250 pF (irrelevant
for delta synapses), t_ref = 2 ms, resolution 0.1 ms, V(0) = 0 mV.
External input: one poisson_generator at eta*nu_th*CE = 20 kHz (eta = 2,
nu_th = theta/(J*CE*tau_m)) connected all-to-all with weight J and delay
1.5 ms, i.e. an independent 20 kHz Poisson train for every neuron.
All neurons are recorded (the NEST example records only 50 per population).

Prints one JSON object on stdout.  Usage:
  .tools/peers-venv/bin/python benches/peers/brunel_nest.py [--scale 4] [--threads N]
"""

import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

from peers_common import (base_parser, emit, import_nest,  # noqa: E402
                          nest_warmup_and_simulate, rss_mb, spike_stats,
                          stdout_to_stderr)

RESOLUTION = 0.1  # ms
DELAY = 1.5  # ms
J = 0.1  # mV
G = 5.0
ETA = 2.0
TAU_M = 20.0
THETA = 20.0
CE, CI = 1000, 250


def main():
    p = base_parser(__doc__.splitlines()[1], measured_ms=1000.0)
    p.add_argument("--scale", type=int, default=1,
                   help="multiply NE, NI (not the in-degrees); 4 -> 50k")
    p.add_argument("--autapses", action="store_true",
                   help="allow autapses (NEST's default, which the NEST "
                        "example leaves in place)")
    args = p.parse_args()
    ne, ni = 10000 * args.scale, 2500 * args.scale
    n = ne + ni
    nu_th = THETA / (J * CE * TAU_M)  # 1/ms
    p_rate = 1000.0 * ETA * nu_th * CE  # Hz, = 20000

    with stdout_to_stderr():
        nest = import_nest()

        t0 = time.perf_counter()
        nest.ResetKernel()
        nest.resolution = RESOLUTION
        nest.local_num_threads = args.threads
        nest.rng_seed = args.seed
        nest.print_time = False

        params = {"C_m": 250.0, "tau_m": TAU_M, "t_ref": 2.0, "E_L": 0.0,
                  "V_reset": 0.0, "V_m": 0.0, "V_th": THETA, "I_e": 0.0}
        nodes_ex = nest.Create("iaf_psc_delta", ne, params=params)
        nodes_in = nest.Create("iaf_psc_delta", ni, params=params)
        nodes = nodes_ex + nodes_in
        noise = nest.Create("poisson_generator", params={"rate": p_rate})
        rec = nest.Create("spike_recorder",
                          params={"start": args.warmup_ms,
                                  "record_to": "memory"})

        nest.CopyModel("static_synapse", "excitatory",
                       {"weight": J, "delay": DELAY})
        nest.CopyModel("static_synapse", "inhibitory",
                       {"weight": -G * J, "delay": DELAY})
        nest.CopyModel("static_synapse", "external",
                       {"weight": J, "delay": DELAY})
        nest.Connect(noise, nodes, syn_spec="external")
        nest.Connect(nodes, rec)
        auto = bool(args.autapses)
        nest.Connect(nodes_ex, nodes,
                     {"rule": "fixed_indegree", "indegree": CE,
                      "allow_autapses": auto, "allow_multapses": True},
                     "excitatory")
        nest.Connect(nodes_in, nodes,
                     {"rule": "fixed_indegree", "indegree": CI,
                      "allow_autapses": auto, "allow_multapses": True},
                     "inhibitory")
        build_s = time.perf_counter() - t0

        warmup_s, simulate_s, senders, times = nest_warmup_and_simulate(
            nest, rec, nodes[0].global_id, args.warmup_ms, args.sim_ms)
        n_syn = (nest.GetDefaults("excitatory")["num_connections"]
                 + nest.GetDefaults("inhibitory")["num_connections"])
        version = nest.__version__

    n_spikes, rate, cv = spike_stats(senders, times, n, args.sim_ms)
    me, ch = rss_mb()
    emit({
        "simulator": "nest",
        "version": version,
        "model": "brunel" if args.scale == 1 else f"brunel_x{args.scale}",
        "variant": "grid",
        "neuron_model": "iaf_psc_delta",
        "n_neurons": n,
        "n_synapses": int(n_syn),
        "autapses": auto,
        "threads": args.threads,
        "dt_ms": RESOLUTION,
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
