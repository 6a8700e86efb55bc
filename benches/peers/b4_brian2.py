#!/usr/bin/env python3
"""Brette et al. (2007) benchmark 4 in Brian2 (cpp_standalone).

4000 LIF neurons (3200 exc, 800 inh) with voltage-jump synapses, pairwise
Bernoulli connectivity p = 0.02 without autapses.
  dv/dt = (El - v)/taum : volt (unless refractory)
  taum = 20 ms, El = -49 mV, threshold v > Vt = -50 mV, reset v = Vr = -60 mV,
  refractory 5 ms, we = +0.25 mV, wi = -2.25 mV, delay 0.125 ms,
  dt = 0.125 ms (same as the NEST resolution), v(0) ~ U[-60, -50] mV.
Input arriving while the target is refractory is discarded, as in NEST's
iaf_psc_delta(_ps) (refractory_input = False); --keep-refractory-input
adds it instead (Brian2's usual `v_post += w`).

Prints one JSON object on stdout.  Usage:
  .tools/peers-venv/bin/python benches/peers/b4_brian2.py [--threads N]
"""

import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

import brian2_common as b2c  # noqa: E402
from peers_common import (base_parser, emit, rss_mb, spike_stats,  # noqa: E402
                          stdout_to_stderr)

NE, NI = 3200, 800
P_CONN = 0.02
DT_MS = 0.125
DELAY_MS = 0.125  # Brian2 rounds delays to whole time steps


def main():
    p = base_parser(__doc__.splitlines()[1], measured_ms=10000.0)
    p.add_argument("--dt-ms", type=float, default=DT_MS,
                   help=f"time step (default {DT_MS} ms; with 0.1 the "
                        f"{DELAY_MS} ms delay is rounded to 0.1 ms)")
    p.add_argument("--keep-refractory-input", action="store_true",
                   help="apply synaptic jumps during refractoriness")
    p.add_argument("--keep-dir", default=None,
                   help="build in this directory and keep it")
    args = p.parse_args()
    n = NE + NI

    with stdout_to_stderr():
        import brian2
        from brian2 import (NeuronGroup, SpikeMonitor, Synapses, defaultclock,
                            mV, ms, run, seed)
        brian2.prefs.logging.console_log_level = "WARNING"

        t0 = time.perf_counter()
        directory = b2c.setup_device(args.threads, args.keep_dir)
        timing_file = b2c.timing_path(directory)
        b2c.mark_start(timing_file)
        seed(args.seed)
        defaultclock.dt = args.dt_ms * ms

        ns = {"taum": 20 * ms, "El": -49 * mV, "Vt": -50 * mV,
              "Vr": -60 * mV, "we": 0.25 * mV, "wi": -2.25 * mV}
        P = NeuronGroup(n, "dv/dt = (El - v)/taum : volt (unless refractory)",
                        threshold="v > Vt", reset="v = Vr",
                        refractory=5 * ms, method="exact", namespace=ns,
                        name="b4")
        P.v = "Vr + rand()*(Vt - Vr)"
        gate = "" if args.keep_refractory_input else "*int(not_refractory_post)"
        Se = Synapses(P[:NE], P, on_pre=f"v_post += we{gate}",
                      delay=DELAY_MS * ms, namespace=ns, name="b4_exc")
        Si = Synapses(P[NE:], P, on_pre=f"v_post += wi{gate}",
                      delay=DELAY_MS * ms, namespace=ns, name="b4_inh")
        # i is the index within the source subgroup, j within P.
        Se.connect(condition="i != j", p=P_CONN)
        Si.connect(condition=f"i + {NE} != j", p=P_CONN)
        M = SpikeMonitor(P)
        py_build_s = time.perf_counter() - t0

        timing, marks = b2c.run_measured(run, args.warmup_ms * ms, args.sim_ms * ms, directory, timing_file)

        i = np.asarray(M.i[:])
        t = np.asarray(M.t[:] / ms)
        sel = t >= args.warmup_ms
        n_syn = len(Se) + len(Si)
        version = brian2.__version__
        b2c.cleanup(directory, args.keep_dir is not None)

    n_spikes, rate, cv = spike_stats(i[sel], t[sel], n, args.sim_ms)
    me, ch = rss_mb()
    emit({
        "simulator": "brian2",
        "version": version,
        "model": "b4",
        "variant": "cpp_standalone" + ("_openmp" if args.threads > 1 else ""),
        "n_neurons": n,
        "n_synapses": int(n_syn),
        "threads": args.threads,
        "dt_ms": args.dt_ms,
        "delay_ms": DELAY_MS,
        "warmup_ms": args.warmup_ms,
        "sim_ms": args.sim_ms,
        "spikes": n_spikes,
        "mean_rate_hz": rate,
        "mean_cv_isi": cv,
        **b2c.timing_fields(py_build_s, marks, timing, me, ch, T_START),
    })


if __name__ == "__main__":
    main()
