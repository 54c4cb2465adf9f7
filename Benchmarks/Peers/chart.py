#!/usr/bin/python3
"""Draws throughput against concurrency for the pool suite as an SVG, from the latest results.

    chart.py [RESULTS_JSONL] [OUTPUT_SVG]

Defaults: Benchmarks/.out/results.jsonl and Docs/pool-throughput.svg. Reads the newest
`pool-peers` lines of the `select1-N-workers` cases and draws one line per contender: ours
(the median of every pairing it ran in), HikariCP and pgbench.
"""

import json
import math
import os
import re
import sys

import benchlib

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 80, 150, 40, 60
SERIES = [("ours", "TetherPool + TetherODBC", "#d9480f"), ("hikaricp", "HikariCP + JDBC", "#1864ab"),
          ("pgbench", "pgbench (ceiling)", "#2b8a3e")]


def latest_points(path):
    """contender -> {workers: qps}, the newest line of each case and peer winning; and the
    load averages beside the lines drawn."""
    points = {name: {} for name, _, _ in SERIES}
    loads = {}
    with open(path) as file:
        for text in file:
            line = json.loads(text)
            match = re.fullmatch(r"select1-(\d+)-workers", line.get("case", ""))
            if line.get("suite") != "pool-peers" or not match:
                continue
            workers = int(match.group(1))
            if line["peer"] in points:
                points[line["peer"]][workers] = line["peer_value"]
                points["ours"][workers] = line["ours"]
                loads[(workers, line["peer"])] = line["load"]
    return points, list(loads.values())


def nice_step(maximum):
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that reaches `maximum` in six steps."""
    magnitude = 10 ** math.floor(math.log10(maximum / 6))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude * 6 >= maximum)


def svg(points, load_note):
    workers = sorted({w for series in points.values() for w in series})
    if not workers:
        benchlib.fail("no pool-peers select1 results to draw; run make bench-pool-peers first")
    highest = max(v for series in points.values() for v in series.values()) * 1.05
    step = nice_step(highest)
    ticks = math.ceil(highest / step)
    top = step * ticks
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index):
        return LEFT + (plot_w * index / max(1, len(workers) - 1))

    def y(value):
        return TOP + plot_h - plot_h * value / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<text x="{LEFT}" y="22" font-size="14">SELECT 1 throughput against concurrent workers</text>']
    for tick in range(ticks + 1):
        value = step * tick
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value / 1000:g} k</text>')
    for index, count in enumerate(workers):
        parts.append(f'<text x="{x(index):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{count}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 20}" text-anchor="middle">workers '
                 f'({load_note})</text>')
    parts.append(f'<text x="18" y="{TOP + plot_h / 2}" transform="rotate(-90 18 {TOP + plot_h / 2})" '
                 f'text-anchor="middle">queries per second (median)</text>')
    for row, (name, label, colour) in enumerate(SERIES):
        coordinates = [(x(i), y(points[name][w])) for i, w in enumerate(workers) if w in points[name]]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in coordinates]
        legend_y = TOP + 10 + row * 20
        parts.append(f'<line x1="{WIDTH - RIGHT + 15}" x2="{WIDTH - RIGHT + 35}" y1="{legend_y}" y2="{legend_y}" '
                     f'stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 40}" y="{legend_y + 4}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else benchlib.RESULTS
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(benchlib.ROOT, "Docs", "pool-throughput.svg")
    points, loads = latest_points(results)
    note = f"load average {min(loads):.1f} to {max(loads):.1f}" if loads else "no results"
    with open(output, "w") as file:
        file.write(svg(points, note))
    print(f"chart.py: wrote {output}")


if __name__ == "__main__":
    main()
