"""Brian2 cpp_standalone helpers: build, run and time a standalone project.

Timing is taken inside the compiled binary with clock_gettime(MONOTONIC)
(wall time), at four points written into main():
  t0  start of main(), before brian_start() (array allocation, static data)
  t1  just before the warm-up run (after connect + initialisation)
  t2  between the warm-up and the measured run
  t3  after the measured run
so that build (binary part) = t1 - t0, warm-up = t2 - t1 and
simulate = t3 - t2.  The binary also reports its own peak RSS (VmHWM from
/proc/self/status; getrusage(RUSAGE_SELF) in a child process on Linux also
counts the parent's memory inherited across fork, so it is not used).
Brian2's own Network::_last_run_time (device._last_run_time) is reported as
a cross-check; without OpenMP Brian2 measures it with std::clock(), i.e.
CPU time rather than wall time.
"""

import os
import shutil
import tempfile
import time

MARK_HEADERS = ["<sys/resource.h>", "<time.h>", "<cstdio>"]


def setup_device(threads, keep_dir=None):
    """Select cpp_standalone (build_on_run=False) and set the thread count.

    Returns the project directory.
    """
    from brian2 import prefs, set_device

    directory = keep_dir or tempfile.mkdtemp(prefix="peers-brian2-")
    set_device("cpp_standalone", directory=directory, build_on_run=False)
    # 0 = no OpenMP at all (plain single-threaded code).
    prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    prefs.codegen.cpp.headers = list(prefs.codegen.cpp.headers) + MARK_HEADERS
    return directory


def mark_start(timing_file):
    from brian2 import device

    device.insert_code(
        "before_start",
        "auto __peer_now = [](){ struct timespec ts; "
        "clock_gettime(CLOCK_MONOTONIC, &ts); "
        "return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec; };\n"
        "double __peer_t0 = __peer_now(), __peer_t1 = 0.0, "
        "__peer_t2 = 0.0, __peer_t3 = 0.0;")
    device.insert_code(
        "before_end",
        # VmHWM is the peak RSS of this executable image; ru_maxrss would
        # also include the parent's RSS inherited across fork/exec.
        "{ long __hwm = -1; char __line[256];\n"
        "  FILE *__s = fopen(\"/proc/self/status\", \"r\");\n"
        "  if (__s) { while (fgets(__line, sizeof __line, __s))\n"
        "    if (sscanf(__line, \"VmHWM: %ld\", &__hwm) == 1) break;\n"
        "    fclose(__s); }\n"
        "  if (__hwm < 0) { struct rusage __ru; getrusage(RUSAGE_SELF, &__ru);"
        " __hwm = (long)__ru.ru_maxrss; }\n"
        f"  FILE *__f = fopen(\"{timing_file}\", \"w\");\n"
        "  if (__f) { fprintf(__f, \"%.9f %.9f %.9f %.9f %ld\\n\", "
        "__peer_t0, __peer_t1, __peer_t2, __peer_t3, __hwm);"
        " fclose(__f); } }")


def mark(name):
    """name: 't1', 't2' or 't3' (inserted at this point of main())."""
    from brian2 import device

    device.insert_code("main", f"__peer_{name} = __peer_now();")


def build_and_run(directory):
    """Generate code, compile, run the binary; return a timing dict."""
    from brian2 import device

    t0 = time.perf_counter()
    device.build(directory=directory, compile=True, run=False,
                 with_output=False)
    compile_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    device.run(directory=directory, with_output=False)
    binary_s = time.perf_counter() - t1
    return {"compile_s": compile_s, "binary_total_s": binary_s,
            "brian2_last_run_time_s": float(device._last_run_time)}


def read_marks(timing_file):
    with open(timing_file) as f:
        t0, t1, t2, t3, rss_kb = f.read().split()
    t0, t1, t2, t3 = map(float, (t0, t1, t2, t3))
    return {"binary_build_s": t1 - t0, "warmup_s": t2 - t1,
            "simulate_s": t3 - t2, "binary_peak_rss_mb": int(rss_kb) / 1024.0}


def cleanup(directory, keep):
    if not keep:
        shutil.rmtree(directory, ignore_errors=True)


def timing_path(directory):
    return os.path.join(os.path.abspath(directory), "peer_timing.txt")


def timing_fields(py_build_s, marks, timing, me, ch, t_start):
    """The timing and memory keys every Brian2 script reports (see README, "measured")."""
    return {
        "build_s": py_build_s + marks["binary_build_s"],
        "python_build_s": py_build_s,
        "binary_build_s": marks["binary_build_s"],
        "compile_s": timing["compile_s"],
        "warmup_s": marks["warmup_s"],
        "simulate_s": marks["simulate_s"],
        "brian2_last_run_time_s": timing["brian2_last_run_time_s"],
        "binary_total_s": timing["binary_total_s"],
        "peak_rss_mb": max(me, marks["binary_peak_rss_mb"]),
        "python_peak_rss_mb": me,
        "binary_peak_rss_mb": marks["binary_peak_rss_mb"],
        "children_peak_rss_mb": ch,
        "total_s": time.perf_counter() - t_start,
    }


def run_measured(run, warmup, duration, directory, timing_file, **run_kwargs):
    """Warm-up run, then the measured run, each between wall-clock marks; builds and runs the
    standalone project and returns (timing, marks)."""
    # Brian2's run() collects the network from the calling frame: level=1 points it at our
    # caller's objects, not this function's.
    mark("t1")
    run(warmup, level=1, **run_kwargs)
    mark("t2")
    run(duration, level=1, **run_kwargs)
    mark("t3")
    timing = build_and_run(directory)
    return timing, read_marks(timing_file)
