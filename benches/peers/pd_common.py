"""Potjans & Diesmann (2014) cortical microcircuit: parameters and derived quantities
shared by pd_nest.py and pd_brian2.py (spec: shared/specs/microcircuit.md; values as in
NEST's pynest/examples/Potjans_2014 example).

Everything here is plain numpy, so that both scripts build the same network from the same
numbers: population sizes, synapse totals per projection, mean weights, DC compensation,
thalamic synapse totals, and the random weight / delay draws used by the Brian2 script.
"""

import numpy as np

from peers_common import base_parser, emit, spike_stats

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# Connection probabilities, row = target, column = source (order of POPS).
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
FULL_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])  # Hz
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])  # mV
V0_SD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])  # mV
EXC = np.array([True, False] * 4)  # source population is excitatory

# iaf_psc_exp (NEST names); mV, pF, ms
NEURON = {"E_L": -65.0, "V_reset": -65.0, "V_th": -50.0, "C_m": 250.0,
          "tau_m": 10.0, "tau_syn": 0.5, "t_ref": 2.0}
RESOLUTION = 0.1  # ms
PSP_E = 0.15  # mV, mean excitatory PSP
G = -4.0  # inhibitory / excitatory
W_REL_SD = 0.1
DELAY_E, DELAY_I, DELAY_REL_SD = 1.5, 0.75, 0.5  # ms
DELAY_POISSON = 1.5  # ms
BG_RATE = 8.0  # Hz per external input
# Thalamic stimulus (off unless --thalamic)
N_TH = 902
TH_RATE, TH_START, TH_DUR = 120.0, 700.0, 10.0  # Hz, ms, ms
CONN_TH = np.array([0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196])
TH_DELAY, TH_DELAY_REL_SD = 1.5, 0.5


def psc_over_psp(c_m, tau_m, tau_syn):
    """pA per mV: the PSC amplitude whose PSP (of iaf_psc_exp) peaks at 1 mV."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def k_full(p, n_pre, n_post):
    """Synapse total with which a pair is connected at least once with probability p."""
    prod = np.asarray(n_post, float) * np.asarray(n_pre, float)
    return np.log(1.0 - p) / np.log((prod - 1.0) / prod)


def derive(n_scaling, k_scaling):
    """All scaled quantities of the network, as a dict (see the keys below)."""
    sizes = np.round(N_FULL * n_scaling).astype(int)
    syn_full = k_full(CONN_PROBS, N_FULL[np.newaxis, :], N_FULL[:, np.newaxis])
    n_syn = np.round(syn_full * n_scaling * k_scaling).astype(int)  # [target, source]
    k_ext = np.round(K_EXT * k_scaling).astype(int)
    w_e = PSP_E * psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn"])
    w_full = np.where(EXC[np.newaxis, :], w_e, G * w_e) * np.ones((8, 8))
    w_full[0, 2] *= 2.0  # L4E -> L23E doubled
    # In-degree compensation (van Albada et al. 2015): weights x 1/sqrt(K), and a DC
    # current restores the mean input lost with the in-degrees (full-scale reference rates).
    dc = np.zeros(8)
    if k_scaling != 1:
        indeg_full = syn_full / N_FULL[:, np.newaxis]
        rec = np.sum(w_full * indeg_full * FULL_RATES[np.newaxis, :], axis=1)
        ext = w_e * K_EXT * BG_RATE
        dc = 0.001 * NEURON["tau_syn"] * (1.0 - np.sqrt(k_scaling)) * (rec + ext)
    d_mean = np.where(EXC[np.newaxis, :], DELAY_E, DELAY_I) * np.ones((8, 8))
    # Thalamic synapse totals from full sizes, scaled by N and K like the recurrent ones
    # (NEST's example scales them by K only).
    n_th = np.round(k_full(CONN_TH, N_TH, N_FULL) * n_scaling * k_scaling).astype(int)
    return {"sizes": sizes, "n_syn": n_syn, "k_ext": k_ext, "w_e_full": w_e,
            "w_mean": w_full / np.sqrt(k_scaling), "w_ext": w_e / np.sqrt(k_scaling),
            "dc": dc, "d_mean": d_mean, "n_th": n_th, "w_th": w_e / np.sqrt(k_scaling)}


def redraw_normal(rng, mean, sd, n, lo=-np.inf, hi=np.inf):
    """n normal draws, each value outside [lo, hi] drawn again (NEST's nest.math.redraw)."""
    x = rng.normal(mean, sd, n)
    bad = np.flatnonzero((x < lo) | (x > hi))
    while bad.size:
        x[bad] = rng.normal(mean, sd, bad.size)
        bad = bad[(x[bad] < lo) | (x[bad] > hi)]
    return x


def draw_weights(rng, mean, n):
    """Normal weights with 10 % relative s.d., redrawn until they keep the sign of mean."""
    lo, hi = (0.0, np.inf) if mean > 0 else (-np.inf, 0.0)
    return redraw_normal(rng, mean, abs(mean) * W_REL_SD, n, lo, hi)


def draw_delays(rng, mean, n, dt=RESOLUTION):
    """Normal delays (s.d. mean/2) redrawn below dt/2, rounded to whole steps as NEST does."""
    d = redraw_normal(rng, mean, mean * DELAY_REL_SD, n, lo=0.5 * dt)
    return np.floor(d / dt + 0.5) * dt


def pd_parser(description):
    """The common options (base_parser) plus the microcircuit's own; --presim-ms is the
    warm-up of the other scripts (spikes before it are not counted)."""
    p = base_parser(description, measured_ms=1000.0)
    p.add_argument("--presim-ms", dest="warmup_ms", type=float,
                   help="unmeasured pre-simulation (default 500 ms; same as --warmup-ms)")
    p.set_defaults(warmup_ms=500.0)
    p.add_argument("--n-scaling", type=float, default=0.1,
                   help="factor of population sizes (default 0.1)")
    p.add_argument("--k-scaling", type=float, default=0.1,
                   help="factor of in-degrees (default 0.1)")
    p.add_argument("--thalamic", action="store_true",
                   help="902 thalamic Poisson neurons at 120 Hz, 700-710 ms")
    p.add_argument("--json", default=None, help="also write the JSON result to this file")
    return p


def model_label(args):
    lab = f"pd_n{args.n_scaling:g}_k{args.k_scaling:g}"
    return lab + ("_th" if args.thalamic else "")


def pop_results(senders, times, sizes, duration_ms):
    """Per-population rate (Hz, silent neurons included) and mean CV of the ISIs, and the
    totals. senders: 0-based indices over all populations in POPS order."""
    senders = np.asarray(senders, dtype=np.int64)
    times = np.asarray(times, dtype=float)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    rates, cvs = {}, {}
    for k, name in enumerate(POPS):
        sel = (senders >= starts[k]) & (senders < starts[k + 1])
        _, rates[name], cvs[name] = spike_stats(senders[sel] - starts[k], times[sel],
                                                int(sizes[k]), duration_ms)
        cvs[name] = None if cvs[name] != cvs[name] else cvs[name]  # NaN -> null
    n_spikes, rate, cv = spike_stats(senders, times, int(starts[-1]), duration_ms)
    return {"spikes": n_spikes, "mean_rate_hz": rate, "mean_cv_isi": cv,
            "rates": {k: round(v, 4) for k, v in rates.items()},
            "cv_isi": {k: (None if v is None else round(v, 4)) for k, v in cvs.items()}}


def model_fields(args, d):
    """The network's description for the JSON result."""
    return {"n_scaling": args.n_scaling, "k_scaling": args.k_scaling,
            "thalamic": bool(args.thalamic),
            "sizes": {k: int(v) for k, v in zip(POPS, d["sizes"])},
            "k_ext": {k: int(v) for k, v in zip(POPS, d["k_ext"])},
            "dc_pa": {k: round(float(v), 4) for k, v in zip(POPS, d["dc"])},
            "w_ext_pa": round(float(d["w_ext"]), 4),
            "n_synapses_matrix": d["n_syn"].tolist()}  # [target][source], POPS order


def emit_json(result, path=None):
    """emit() on stdout, and the same line into path when given (--json)."""
    import io
    import sys
    buf, real = io.StringIO(), sys.stdout
    sys.stdout = buf
    try:
        emit(result)
    finally:
        sys.stdout = real
    sys.stdout.write(buf.getvalue())
    sys.stdout.flush()
    if path:
        with open(path, "w") as f:
            f.write(buf.getvalue())
