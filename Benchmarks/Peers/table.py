#!/usr/bin/python3
"""Prints the recorded results as a Markdown table for Docs/performance.md.

    table.py [RESULTS_JSONL]

One row per JSON line of Benchmarks/.out/results.jsonl (or the file given), in run order.
"""

import json
import sys

import benchlib


def number(value):
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else benchlib.RESULTS
    print("| load | suite | case | unit | ours | peer | peer's | ratio | per pair |")
    print("|---|---|---|---|---|---|---|---|---|")
    with open(path) as file:
        for text in file:
            line = json.loads(text)
            pairs = " ".join(f"{r:.2f}" for r in line.get("pair_ratios", []))
            print(f"| {line.get('load', '')} | {line['suite']} | {line['case']} | {line['unit']} | "
                  f"{number(line['ours'])} | {line['peer']} | {number(line['peer_value'])} | "
                  f"{line['ratio']:.2f} | {pairs} |")


if __name__ == "__main__":
    main()
