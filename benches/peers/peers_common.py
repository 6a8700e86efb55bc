"""Shared helpers for the peer benchmark scripts in benches/peers/.

Every script prints exactly one JSON object on stdout; everything the
simulators print themselves (NEST banner, compiler output, progress) is
sent to stderr by `stdout_to_stderr`.
"""

import argparse
import contextlib
import json
import os
import resource
import sys
import time

import numpy as np

WARMUP_MS = 100.0


def base_parser(description, measured_ms):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=1,
                   help="worker threads (default 1)")
    p.add_argument("--seed", type=int, default=12345,
                   help="random seed (default 12345)")
    p.add_argument("--warmup-ms", type=float, default=WARMUP_MS,
                   help=f"unmeasured warm-up (default {WARMUP_MS:g} ms)")
    p.add_argument("--sim-ms", type=float, default=measured_ms,
                   help=f"measured simulated time (default {measured_ms:g} ms)")
    return p


@contextlib.contextmanager
def stdout_to_stderr():
    """Route file descriptor 1 to stderr (C/C++ output included)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def import_nest():
    """Imports NEST (call inside `stdout_to_stderr`, which takes its banner) with warnings
    only."""
    import nest
    try:
        nest.verbosity = nest.VerbosityLevel.WARNING
    except AttributeError:
        nest.set_verbosity("M_WARNING")
    return nest


def nest_warmup_and_simulate(nest, recorder, first_id, warmup_ms, sim_ms):
    """Runs NEST for the warm-up, then for the measured time, timing each; returns
    (warmup_s, simulate_s, senders, times) with senders counted from `first_id`."""
    t1 = time.perf_counter()
    nest.Simulate(warmup_ms)
    warmup_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    nest.Simulate(sim_ms)
    simulate_s = time.perf_counter() - t2
    ev = recorder.get("events")
    senders = np.asarray(ev["senders"]) - first_id
    times = np.asarray(ev["times"], dtype=float)
    return warmup_s, simulate_s, senders, times


def rss_mb():
    """Peak RSS (MB) of this process and of its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    ch = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return me, ch


def spike_stats(senders, times, n_neurons, duration_ms):
    """Spike count, mean rate and mean CV of the ISIs.

    senders: 0-based neuron indices; times in ms, already restricted to the
    measured window.  The CV is averaged over neurons with >= 2 spikes
    (a neuron with exactly 2 spikes has one ISI and CV 0).
    """
    senders = np.asarray(senders, dtype=np.int64)
    times = np.asarray(times, dtype=np.float64)
    n_spikes = int(senders.size)
    rate = n_spikes / n_neurons / (duration_ms / 1000.0)
    cv = float("nan")
    if n_spikes > 1:
        order = np.lexsort((times, senders))
        s = senders[order]
        t = times[order]
        same = s[1:] == s[:-1]
        isi = np.diff(t)[same]
        who = s[1:][same]
        cnt = np.bincount(who, minlength=n_neurons)
        ok = cnt > 0
        if ok.any():
            sm = np.bincount(who, weights=isi, minlength=n_neurons)
            sq = np.bincount(who, weights=isi * isi, minlength=n_neurons)
            mean = sm[ok] / cnt[ok]
            var = np.maximum(sq[ok] / cnt[ok] - mean * mean, 0.0)
            cv = float(np.mean(np.sqrt(var) / mean))
    return n_spikes, rate, cv


def emit(result):
    """Print the single JSON result line on the real stdout."""
    def fix(v):
        if isinstance(v, float):
            if v != v:
                return None
            return round(v, 6)
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating,)):
            return fix(float(v))
        return v
    result = dict(result)
    try:
        result.setdefault("loadavg_1m_at_end", os.getloadavg()[0])
    except OSError:
        pass
    out = {k: fix(v) for k, v in result.items()}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
