#!/usr/bin/env python3
"""Runs a Google Benchmark binary and writes its figures to results/ as one JSON object with
the machine, the commit and the settings, so every published number says where it came from.

usage: record-bench.py BENCH_BINARY OUT.json [--filter REGEX] [--min-time S] [--repetitions N]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys


def machine():
    info = {"kernel": platform.release(), "arch": platform.machine(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["memory_kib"] = int(line.split()[1])
                    break
    except OSError:
        pass
    return info


def git(*args):
    try:
        return subprocess.check_output(["git", *args], text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--filter", default=".")
    ap.add_argument("--min-time", default="0.5")
    ap.add_argument("--repetitions", type=int, default=3)
    a = ap.parse_args()
    cmd = [a.binary, "--benchmark_format=json", f"--benchmark_filter={a.filter}",
           f"--benchmark_min_time={a.min_time}", f"--benchmark_repetitions={a.repetitions}",
           "--benchmark_report_aggregates_only=true"]
    raw = json.loads(subprocess.check_output(cmd, text=True))
    result = {
        "schema": "kdcperf.bench/1",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "machine": machine(),
        "settings": {"command": cmd, "build_type": raw.get("context", {}).get("library_build_type")},
        "context": raw.get("context", {}),
        "benchmarks": [
            {k: b[k] for k in ("name", "aggregate_name", "real_time", "cpu_time", "time_unit",
                               "items_per_second", "bytes_per_second") if k in b}
            for b in raw.get("benchmarks", [])
        ],
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {a.out}: {len(result['benchmarks'])} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
