#!/usr/bin/env python3
"""Writes models/potjans_diesmann.toml: the cortical microcircuit of Potjans & Diesmann (2014,
Cereb. Cortex 24:785) with the parameters of the PyNEST microcircuit example, as given in
specs/microcircuit.md. Run from the repository root: python3 scripts/potjans_diesmann.py
"""
import math

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
SIZES = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# Connection probabilities, row = target, column = source.
P = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
TH_SIZE, TH_P = 902, {"L4E": 0.0983, "L4I": 0.0619, "L6E": 0.0512, "L6I": 0.0196}

C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5


def psc_per_psp(c_m, tau_m, tau_syn):
    """Peak PSP (mV) → PSC amplitude (pA) of iaf_psc_exp: the inverse of the PSP's maximum."""
    t_peak = tau_m * tau_syn / (tau_m - tau_syn) * math.log(tau_m / tau_syn)
    psp = tau_m * tau_syn / (c_m * (tau_m - tau_syn)) * (
        math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))
    return 1.0 / psp


W_E = 0.15 * psc_per_psp(C_M, TAU_M, TAU_SYN)
G = -4.0


def weight(mean):
    bound = "min = 0.0" if mean > 0 else "max = 0.0"
    return f"{{ normal = {{ mean = {mean:.6f}, std = {abs(mean) * 0.1:.6f}, {bound} }} }}"


def delay(exc):
    mean, std = (1.5, 0.75) if exc else (0.75, 0.375)
    return f"{{ normal = {{ mean = {mean}, std = {std}, min = 0.05 }} }}"


out = []
w = out.append
w(f"""# The cortical microcircuit of Potjans & Diesmann (2014, Cereb. Cortex 24:785), with the
# parameters of NEST's PyNEST microcircuit example (specs/microcircuit.md). Written by
# scripts/potjans_diesmann.py; edit that and re-run it rather than this file.
#
# 77,169 lif_exp neurons in 8 populations (L2/3, L4, L5, L6 × excitatory, inhibitory) and
# ~0.3e9 synapses at full scale. The default here is the scale NEST's example runs on a
# laptop, N = K = 0.1 (7,717 neurons, 3.0e6 synapses); full scale: --set scaling.N=1
# --set scaling.K=1. With K < 1 weights grow by 1/sqrt(K) and a constant current per
# population restores the mean input (see [scaling]).
# Connections: fixed_total_number from each pair's probability p with the full-scale sizes,
# autapses and multapses allowed. Weights: 0.15 mV PSPs as currents ({W_E:.4f} pA), inhibitory
# x(-4), L4E -> L23E doubled, normal with 10 % s.d. redrawn to keep the sign. Delays: normal,
# excitatory 1.5 +- 0.75 ms, inhibitory 0.75 +- 0.375 ms, redrawn below 0.05 ms and rounded
# to the 0.1 ms grid (as NEST does). Background: Poisson at 8 Hz x K_ext per neuron.
# Thalamic input (902 neurons, 120 Hz from 700 ms for 10 ms) is off: --set population.TC.rate=120
# switches it on.
# Full-scale reference rates (Hz): {", ".join(f"{p} {r}" for p, r in zip(POPS, RATES))}.

[simulation]
duration = 1000.0   # ms recorded
warmup = 500.0      # ms (NEST's example: t_presim)
seed = 55
resolution = 0.1

[scaling]
N = 0.1
K = 0.1
reference_rates = {{ {", ".join(f"{p} = {r}" for p, r in zip(POPS, RATES))}, TC = 0.0 }}
unscaled = ["TC"]
""")
for k, p in enumerate(POPS):
    w(f"""[[population]]
name = "{p}"
size = {SIZES[k]}
model = "lif_exp"
update = "grid"
tau_m = {TAU_M}
C_m = {C_M}
E_L = -65.0
V_th = -50.0
V_reset = -65.0
t_ref = 2.0
tau_syn_ex = {TAU_SYN}
tau_syn_in = {TAU_SYN}
V_m = {{ normal = {{ mean = {V0_MEAN[k]}, std = {V0_STD[k]} }} }}
""")
w(f"""[[population]]
name = "TC"          # thalamic input, off unless rate > 0
size = {TH_SIZE}
model = "spike_source"
rate = 0.0           # Hz; 120 switches it on
start = 700.0
stop = 710.0
""")
def projection(source, target, p, mean, exc):
    w(f"""[[projection]]
source = "{source}"
target = "{target}"
rule = {{ fixed_total_number = {{ p = {p} }} }}
allow_autapses = true   # as NEST: autapses and multapses
weight = {weight(mean)}
delay = {delay(exc)}
""")


for t, pt in enumerate(POPS):
    for s, ps in enumerate(POPS):
        if P[t][s] != 0.0:
            exc = ps.endswith("E")
            mean = W_E * (2.0 if (ps, pt) == ("L4E", "L23E") else 1.0) * (1.0 if exc else G)
            projection(ps, pt, P[t][s], mean, exc)
for pt, p in TH_P.items():
    projection("TC", pt, p, W_E, True)
for k, p in enumerate(POPS):
    w(f"""[[stimulus]]
type = "poisson"
target = "{p}"
rate = {8.0 * K_EXT[k]}   # 8 Hz x K_ext = {K_EXT[k]}
weight = {W_E:.6f}
""")
w("""[record]
spikes = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
""")
open("models/potjans_diesmann.toml", "w").write("\n".join(out))
