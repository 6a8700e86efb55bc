#!/usr/bin/env python3
"""Brunel (2000) network in Brian2 (cpp_standalone), equivalent to brunel_nest.py.

NE = 10000 exc + NI = 2500 inh neurons (--scale 4: 40000 + 10000),
  dv/dt = -v/taum : volt (unless refractory), taum = 20 ms,
  threshold v >= theta = 20 mV (as NEST's V_m >= V_th), reset v = 0 mV,
  refractory 2 ms, dt = 0.1 ms, v(0) = 0 mV.
Recurrent input: fixed in-degree CE = 1000 exc (+J = 0.1 mV) and
CI = 250 inh (-g*J = -0.5 mV) per neuron, delay 1.5 ms.  The connectivity is
drawn in numpy exactly like NEST's fixed_indegree rule (for every target,
sources uniformly with replacement = multapses allowed, autapses excluded
unless --autapses) and handed to Synapses.connect(i=..., j=...).
External input: PoissonInput with N = CE sources at eta*nu_th = 20 Hz each
(20 kHz per neuron), weight J.
Input arriving while the target is refractory is discarded, as in NEST's
iaf_psc_delta (refractory_input = False); --keep-refractory-input adds it.

Prints one JSON object on stdout.  Usage:
  .tools/peers-venv/bin/python benches/peers/brunel_brian2.py [--scale 4] [--threads N]
"""

import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

import brian2_common as b2c  # noqa: E402
from peers_common import (base_parser, emit, rss_mb, spike_stats,  # noqa: E402
                          stdout_to_stderr)

DT_MS = 0.1
DELAY_MS = 1.5
J_MV = 0.1
G = 5.0
ETA = 2.0
TAU_M_MS = 20.0
THETA_MV = 20.0
CE, CI = 1000, 250


def fixed_indegree(rng, n_src, n_tgt, indegree, src_offset, autapses):
    """Sources (relative to their group) and targets, NEST-style.

    For every target j, `indegree` sources drawn uniformly with replacement
    from the n_src sources; when autapses are excluded, the source whose
    absolute index (src_offset + i) equals j is skipped.
    """
    tgt = np.repeat(np.arange(n_tgt, dtype=np.int32), indegree)
    if autapses:
        src = rng.integers(0, n_src, size=tgt.size, dtype=np.int32)
        return src, tgt
    rel = tgt.astype(np.int64) - src_offset  # target's index among sources
    inside = (rel >= 0) & (rel < n_src)
    hi = np.where(inside, n_src - 1, n_src)
    src = rng.integers(0, hi).astype(np.int64)
    src[inside & (src >= rel)] += 1
    return src.astype(np.int32), tgt


def main():
    p = base_parser(__doc__.splitlines()[1], measured_ms=1000.0)
    p.add_argument("--scale", type=int, default=1,
                   help="multiply NE, NI (not the in-degrees); 4 -> 50k")
    p.add_argument("--autapses", action="store_true",
                   help="allow autapses (NEST's default)")
    p.add_argument("--keep-refractory-input", action="store_true",
                   help="apply synaptic jumps during refractoriness")
    p.add_argument("--keep-dir", default=None,
                   help="build in this directory and keep it")
    args = p.parse_args()
    ne, ni = 10000 * args.scale, 2500 * args.scale
    n = ne + ni
    nu_th = THETA_MV / (J_MV * CE * TAU_M_MS)  # 1/ms
    nu_ex_hz = ETA * nu_th * 1000.0  # per external source, = 20 Hz

    with stdout_to_stderr():
        import brian2
        from brian2 import (Hz, NeuronGroup, PoissonInput, SpikeMonitor,
                            Synapses, defaultclock, mV, ms, run, seed)
        brian2.prefs.logging.console_log_level = "WARNING"

        t0 = time.perf_counter()
        directory = b2c.setup_device(args.threads, args.keep_dir)
        timing_file = b2c.timing_path(directory)
        b2c.mark_start(timing_file)
        seed(args.seed)
        defaultclock.dt = DT_MS * ms

        ns = {"taum": TAU_M_MS * ms, "theta": THETA_MV * mV, "Vr": 0 * mV,
              "J": J_MV * mV, "Ji": -G * J_MV * mV}
        P = NeuronGroup(n, "dv/dt = -v/taum : volt (unless refractory)",
                        threshold="v >= theta", reset="v = Vr",
                        refractory=2 * ms, method="exact", namespace=ns,
                        name="brunel")
        P.v = 0 * mV
        gate = "" if args.keep_refractory_input else "*int(not_refractory_post)"
        Se = Synapses(P[:ne], P, on_pre=f"v_post += J{gate}",
                      delay=DELAY_MS * ms, namespace=ns, name="brunel_exc")
        Si = Synapses(P[ne:], P, on_pre=f"v_post += Ji{gate}",
                      delay=DELAY_MS * ms, namespace=ns, name="brunel_inh")
        rng = np.random.default_rng(args.seed)
        src, tgt = fixed_indegree(rng, ne, n, CE, 0, args.autapses)
        Se.connect(i=src, j=tgt)
        src, tgt = fixed_indegree(rng, ni, n, CI, ne, args.autapses)
        Si.connect(i=src, j=tgt)
        del src, tgt
        ext_w = "J" if args.keep_refractory_input else "J*int(not_refractory)"
        # J in the weight expression comes from run(namespace=ns); keep a
        # reference so that run() collects the object.
        ext = PoissonInput(P, "v", N=CE, rate=nu_ex_hz * Hz, weight=ext_w)
        M = SpikeMonitor(P)
        py_build_s = time.perf_counter() - t0

        timing, marks = b2c.run_measured(
            run, args.warmup_ms * ms, args.sim_ms * ms, directory, timing_file, namespace=ns)

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
        "model": "brunel" if args.scale == 1 else f"brunel_x{args.scale}",
        "variant": "cpp_standalone" + ("_openmp" if args.threads > 1 else ""),
        "n_neurons": n,
        "n_synapses": int(n_syn),
        "autapses": bool(args.autapses),
        "threads": args.threads,
        "dt_ms": DT_MS,
        "warmup_ms": args.warmup_ms,
        "sim_ms": args.sim_ms,
        "spikes": n_spikes,
        "mean_rate_hz": rate,
        "mean_cv_isi": cv,
        **b2c.timing_fields(py_build_s, marks, timing, me, ch, T_START),
    })


if __name__ == "__main__":
    main()
