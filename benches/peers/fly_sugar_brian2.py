"""The whole-fly-brain model (Shiu et al. 2024), sugar experiment, in Brian2 (cpp_standalone).

The authors' model (philshiu/Drosophila_brain_model, model.py; specs/fly_whole_brain.md) on a
hebb connectome file (the imported FlyWire release, or the synthetic FlyWire-scale one):
  dv/dt = (v_0 - v + g) / t_mbr : volt (unless refractory)
  dg/dt = -g / tau              : volt (unless refractory)
  threshold v > -45 mV, reset v = -52 mV, g = 0; refractory 2.2 ms (0 for stimulated neurons)
  synapses on_pre g += w, w = sign(transmitter) x count x 0.275 mV, delay 1.8 ms
  stimulated neurons: PoissonInput(target_var='v', N=1, rate, weight = 68.75 mV) each.
One trial of --sim-ms (default 1000 ms); the authors' experiment is 30 such trials with new
seeds, so a 30-trial experiment costs 30 x the simulate time printed here (plus one build).

Prints one JSON object on stdout.  Usage:
  .tools/peers-venv/bin/python benches/peers/fly_sugar_brian2.py CONNECTOME.h5 IDS.txt \
      [--rate 150] [--threads N]
"""

import json
import time

T_START = time.perf_counter()

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import brian2_common as b2c  # noqa: E402
from peers_common import base_parser, emit, rss_mb, stdout_to_stderr  # noqa: E402

INHIBITORY = {"gaba", "glutamate", "histamine"}


def load(path):
    with h5py.File(path, "r") as f:
        ids = f["neurons/id"][:]
        syn = f["synapses"]
        if "pre_idx" in syn:
            pre = syn["pre_idx"][:].astype(np.int64)
            post = syn["post_idx"][:].astype(np.int64)
        else:
            order = np.argsort(ids)
            pre = order[np.searchsorted(ids, syn["pre"][:], sorter=order)]
            post = order[np.searchsorted(ids, syn["post"][:], sorter=order)]
        count = syn["count"][:].astype(np.int64)
        nt_ds = syn["nt"] if "nt" in syn else syn["nt_type"]
        nt = nt_ds[:]
        if "labels" in nt_ds.attrs:
            labels = json.loads(nt_ds.attrs["labels"])
        elif "meta/nt_labels" in f:
            labels = [s.decode() if isinstance(s, bytes) else s for s in f["meta/nt_labels"][:]]
        else:
            labels = ["unknown", "acetylcholine", "gaba", "glutamate", "dopamine",
                      "serotonin", "octopamine", "histamine", "other"]
    table = np.array([-1 if str(l).lower() in INHIBITORY else 1 for l in labels], dtype=np.int64)
    return ids, pre, post, table[nt] * count


def main():
    p = base_parser(__doc__.splitlines()[0], measured_ms=1000.0)
    p.add_argument("connectome")
    p.add_argument("ids", help="text file of stimulated neuron ids, one per line (# comments)")
    p.add_argument("--rate", type=float, default=150.0, help="Poisson rate (Hz)")
    p.set_defaults(warmup_ms=0.0)
    args = p.parse_args()
    t0 = time.perf_counter()
    ids, pre, post, signed = load(args.connectome)
    want = [int(l.split("#")[0]) for l in open(args.ids) if l.split("#")[0].strip()]
    row = {int(x): k for k, x in enumerate(ids)}
    stim = [row[i] for i in want]
    load_s = time.perf_counter() - t0

    with stdout_to_stderr():
        import brian2
        from brian2 import (Network, NeuronGroup, PoissonInput, SpikeMonitor, Synapses,
                            defaultclock, Hz, mV, ms, seed)
        brian2.prefs.logging.console_log_level = "WARNING"
        t1 = time.perf_counter()
        directory = b2c.setup_device(args.threads)
        timing_file = b2c.timing_path(directory)
        b2c.mark_start(timing_file)
        seed(args.seed)
        defaultclock.dt = 0.1 * ms
        ns = {"v_0": -52 * mV, "v_rst": -52 * mV, "v_th": -45 * mV, "t_mbr": 20 * ms,
              "tau": 5 * ms, "w_syn": 0.275 * mV}
        eqs = """
        dv/dt = (v_0 - v + g) / t_mbr : volt (unless refractory)
        dg/dt = -g / tau              : volt (unless refractory)
        rfc                           : second
        """
        neu = NeuronGroup(len(ids), eqs, method="linear", threshold="v > v_th",
                          reset="v = v_rst; g = 0 * mV", refractory="rfc", namespace=ns,
                          name="fly")
        neu.v = -52 * mV
        neu.g = 0 * mV
        neu.rfc = 2.2 * ms
        syn = Synapses(neu, neu, "w : volt", on_pre="g += w", delay=1.8 * ms, name="fly_syn")
        syn.connect(i=pre, j=post)
        syn.w = signed * 0.275 * mV
        inputs = []
        for r in stim:
            neu[r].rfc = 0 * ms
            inputs.append(PoissonInput(target=neu[r], target_var="v", N=1, rate=args.rate * Hz,
                                       weight=68.75 * mV))
        M = SpikeMonitor(neu)
        # An explicit network: the magic one does not look into the list of inputs.
        net = Network(neu, syn, M, *inputs)
        py_build_s = time.perf_counter() - t1
        timing, marks = b2c.run_measured(net.run, args.warmup_ms * ms, args.sim_ms * ms, directory,
                                         timing_file)
        i = np.asarray(M.i[:])
        version = brian2.__version__
        b2c.cleanup(directory, False)

    me, ch = rss_mb()
    counts = np.bincount(i, minlength=len(ids))
    emit({
        "simulator": "brian2",
        "version": version,
        "model": "fly_sugar",
        "variant": "cpp_standalone" + ("_openmp" if args.threads > 1 else ""),
        "n_neurons": int(len(ids)),
        "n_synapses": int(len(pre)),
        "threads": args.threads,
        "rate_hz": args.rate,
        "sim_ms": args.sim_ms,
        "spikes": int(len(i)),
        "active_neurons": int((counts > 0).sum()),
        "load_s": load_s,
        **b2c.timing_fields(py_build_s, marks, timing, me, ch, T_START),
    })


if __name__ == "__main__":
    main()
