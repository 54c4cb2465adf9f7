"""Shared pieces of the peer benchmarks: alternating runs, medians and the JSON lines.

Every suite runs ours and each peer in turn (A B A B ...), throws away a warm-up pair, and
prints one JSON line per case and peer:

    {"suite":..., "case":..., "unit":..., "ours":N, "peer":..., "peer_value":M, "ratio":R, ...}

`ours` and `peer_value` are medians; `ratio` is the median of the per-pair ratios, oriented so
that above 1 means we are better (the peer's figure over ours for latencies). Each line also
carries the per-pair ratios and the load average at the time, and is appended to
Benchmarks/.out/results.jsonl for the documentation table and the charts.
"""

import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Benchmarks", ".out")
RESULTS = os.path.join(OUT, "results.jsonl")

PAIRS = int(os.environ.get("BENCH_PAIRS", "5"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1"))


def load_average():
    """The one-minute load average, to print beside each figure."""
    with open("/proc/loadavg") as file:
        return float(file.read().split()[0])


def run_fields(command, env=None, timeout=600):
    """Runs `command` and returns the key=value fields of the last line it prints."""
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    lines = [line for line in completed.stdout.splitlines() if "=" in line]
    if not lines:
        raise RuntimeError(f"{command[0]} printed no key=value line: {completed.stdout[-500:]}")
    return {key: float(value) for key, value in re.findall(r"(\w+)=([-0-9.e+]+)", lines[-1])}


def alternate(contenders, pairs=PAIRS, warmup=WARMUP):
    """Runs each contender once per round, in the given order, warm-up rounds first.

    `contenders` maps a name to a function returning a dict of figures for one run. Returns
    the name -> list of figure dicts of the measured rounds (warm-up rounds dropped).
    """
    measured = {name: [] for name in contenders}
    for round_number in range(warmup + pairs):
        for name, run in contenders.items():
            figures = run()
            if round_number >= warmup:
                measured[name].append(figures)
    return measured


def report(suite, case, unit, ours, peer, peer_values, lower_is_better=False, **extra):
    """Prints and records one JSON line comparing the per-round figures `ours` and `peer_values`."""
    if lower_is_better:
        pair_ratios = [p / o if o else 0.0 for o, p in zip(ours, peer_values)]
    else:
        pair_ratios = [o / p if p else 0.0 for o, p in zip(ours, peer_values)]
    line = {
        "suite": suite,
        "case": case,
        "unit": unit,
        "ours": round(statistics.median(ours), 1),
        "peer": peer,
        "peer_value": round(statistics.median(peer_values), 1),
        "ratio": round(statistics.median(pair_ratios), 3),
        "pair_ratios": [round(r, 3) for r in pair_ratios],
        "load": load_average(),
    }
    line.update(extra)
    text = json.dumps(line, separators=(",", ":"))
    print(text, flush=True)
    os.makedirs(OUT, exist_ok=True)
    with open(RESULTS, "a") as file:
        file.write(text + "\n")
    return line


def column(runs, key):
    """The figure `key` of every run."""
    return [figures[key] for figures in runs]


def fail(message):
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(1)
