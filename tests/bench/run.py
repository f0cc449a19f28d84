#!/usr/bin/env python3
"""vami's benchmarks: each figure printed beside its written target (issue "Bulk work that never
loses a paid number"). Not a test: it asserts nothing, it measures.

    tests/bench/run.py [--vami build/cli/vami] [--only NAME ...]

The binary is --vami, else VAMI_BIN, else build/cli/vami. Everything runs against
`vami sandbox serve` on 127.0.0.1 or a local database in a temporary folder; nothing touches the
internet. Figures depend on the machine (and on whatever else it runs): the header says which.
"""
import argparse
import json
import os
import platform
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Variables that would point vami at a real account or another sandbox.
PROVIDER_VARIABLES = [
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
    "VAMI_TWILIO_BASE_URL", "VAMI_TWILIO_PRICING_BASE_URL", "VAMI_ELEVENLABS_BASE_URL",
    "ELEVENLABS_API_KEY", "VAMI_DB", "VAMI_SANDBOX_DB", "VAMI_PROFILE",
]


def clean_environment(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_VARIABLES}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), NO_COLOR="1")
    return env


class Served:
    """`vami sandbox serve` on 127.0.0.1 with the given fault flags; reads its exports."""

    def __init__(self, vami, folder: Path, env: dict, *flags):
        self.process = subprocess.Popen(
            [vami, "sandbox", "serve", "--port", "0", "--state", str(folder / "sandbox.db"),
             *[str(f) for f in flags]], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.exports = {}
        while "ELEVENLABS_API_KEY" not in self.exports:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("sandbox serve exited: " + self.process.stderr.read())
            if line.startswith("export "):
                name, _, value = line.strip().removeprefix("export ").partition("=")
                self.exports[name] = value

    def stats(self):
        url = self.exports["VAMI_TWILIO_BASE_URL"] + "/__sandbox/stats"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_measured(command, env):
    """Runs a command; (wall seconds, exit code, stdout, stderr)."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True)
    return time.perf_counter() - started, result.returncode, result.stdout, result.stderr


def peak_rss_of(command, env):
    """(wall seconds, peak RSS in bytes, exit code, stdout, stderr) of one child, from wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_maxrss * 1024, process.returncode, out.read(), err.read()


def row(name, measured, target, met, note=""):
    mark = "ok  " if met else "MISS"
    print(f"  [{mark}] {name:<44} {measured:>22}   target {target}{('   ' + note) if note else ''}",
          flush=True)


def machine():
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {memory} RAM, "
            f"{platform.system()} {platform.release()}; load average {load}")


def bench_bulk_buy(vami, folder, home):
    """1,000 numbers, --latency-ms 50 --max-concurrent 25, --concurrency 25: wall time vs
    1.25 x the provider's floor (1000 / 25 x 50 ms = 2.0 s), failures, peak RSS vs 30 MB."""
    env = clean_environment(home)
    served = Served(vami, folder, env, "--latency-ms", "50", "--max-concurrent", "25")
    try:
        live = {**env, **served.exports}
        command = [vami, "--db", str(folder / "vami.db"), "numbers", "buy", "--count", "1000",
                   "--area-code", "212", "--concurrency", "25", "--yes",
                   "--json", "--progress", "never"]
        wall, rss, code, stdout, stderr = peak_rss_of(command, live)
        counted = served.stats()
    finally:
        served.stop()
    report = json.loads(stdout) if stdout.strip() else {}
    floor = 1000 / 25 * 0.050
    failed = report.get("failed", "?")
    uncertain = report.get("uncertain", "?")
    print("1,000 numbers, serve --latency-ms 50 --max-concurrent 25, --concurrency 25")
    row("wall time", f"{wall:.2f} s", f"<= {1.25 * floor:.2f} s (1.25 x {floor:.1f} s floor)",
        wall <= 1.25 * floor, f"{wall / floor:.2f} x floor")
    row("items failed / uncertain", f"{failed} / {uncertain}", "0", failed == 0 and uncertain == 0,
        f"exit {code}, {report.get('succeeded', '?')} bought")
    row("peak memory (RSS, wait4)", f"{rss / 1e6:.1f} MB", "<= 30 MB", rss <= 30e6)
    print(f"      sandbox: {counted['requests']} requests, peak concurrency "
          f"{counted['peak_concurrency']}, 429s from the concurrency cap "
          f"{counted['injected']['rate_limited']}, by status {counted['by_status']}")
    if code != 0:
        print("      stderr: " + stderr.strip()[-2000:])


def bench_rate_limit(vami, folder, home):
    """200 numbers against --rate-limit 20: the rate achieved vs 90 % of 20/s, failures."""
    env = clean_environment(home)
    served = Served(vami, folder, env, "--rate-limit", "20")
    try:
        live = {**env, **served.exports}
        before = served.stats()["requests"]
        command = [vami, "--db", str(folder / "vami.db"), "numbers", "buy", "--count", "200",
                   "--area-code", "212", "--yes", "--json", "--progress", "never"]
        wall, code, stdout, stderr = run_measured(command, live)
        counted = served.stats()
    finally:
        served.stop()
    report = json.loads(stdout) if stdout.strip() else {}
    rejected = counted["injected"]["rate_limited"]
    admitted = counted["requests"] - before - rejected
    rate = admitted / wall
    failed = report.get("failed", "?")
    uncertain = report.get("uncertain", "?")
    print("200 numbers, serve --rate-limit 20 (default --concurrency)")
    row("requests admitted per second", f"{rate:.1f} /s", ">= 18.0 /s (90 % of 20)", rate >= 18.0,
        f"{admitted} admitted, {rejected} answered 429, in {wall:.2f} s")
    row("items failed / uncertain", f"{failed} / {uncertain}", "0", failed == 0 and uncertain == 0,
        f"exit {code}, {report.get('succeeded', '?')} bought")
    if code != 0:
        print("      stderr: " + stderr.strip()[-2000:])


def bench_version(vami, home, runs=60):
    """`vami --version`: median wall time of many runs vs 10 ms."""
    env = clean_environment(home)
    subprocess.run([vami, "--version"], env=env, capture_output=True, check=True)  # warm cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([vami, "--version"], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"vami --version ({runs} runs)")
    row("median wall time", f"{median * 1000:.1f} ms", "<= 10 ms", median <= 0.010,
        f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


AREA_CODES = ["212", "646", "332", "917", "718", "347", "929", "516", "631", "914", "201", "973",
              "862", "908", "732", "609", "215", "267", "610", "484", "617", "857", "781", "508",
              "413"]
REGIONS = {"2": "NY", "3": "NY", "5": "NY", "6": "NJ", "7": "NJ", "8": "NJ", "9": "NY"}


def fill_database(path: Path, count: int, seed=20240601):
    """`count` pool numbers inserted straight into a state database made by `vami init`, with
    the schema's rules (unique E.164 and provider ids, statuses, money in micros). Most are
    available, some assigned to agents, suspended or released."""
    rng = random.Random(seed)
    now = "2026-01-01T00:00:00Z"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("INSERT INTO tenants (slug, name, created_at, updated_at) "
                   "VALUES ('bench', 'Bench', ?, ?)", (now, now))
        tenant = db.execute("SELECT id FROM tenants WHERE slug = 'bench'").fetchone()[0]
        agents = []
        for index in range(20):
            db.execute("INSERT INTO agents (tenant_id, slug, name, provider_agent_id, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (tenant, f"bench-agent-{index}", f"Bench agent {index}",
                        f"agent_bench{index:020d}", now, now))
            agents.append(db.execute("SELECT last_insert_rowid()").fetchone()[0])
        rows = []
        used = set()
        while len(rows) < count:
            area = rng.choice(AREA_CODES)
            e164 = f"+1{area}{rng.randrange(200, 1000):03d}{rng.randrange(0, 10000):04d}"
            if e164 in used:
                continue
            used.add(e164)
            draw = rng.random()
            status = ("available" if draw < 0.80 else "assigned" if draw < 0.95
                      else "suspended" if draw < 0.98 else "released")
            agent = rng.choice(agents) if status == "assigned" else None
            rows.append((e164, "twilio", f"PN{rng.getrandbits(128):032x}", "US", "local",
                         "New York", REGIONS.get(area[0], "NY"), status,
                         tenant if agent else None, agent, "native" if agent else None,
                         "vami:default:op-bench", 1_150_000, "USD", now, now,
                         now if status == "released" else None))
        db.executemany(
            "INSERT INTO numbers (e164, provider, provider_sid, country, number_type, locality, "
            "region, status, tenant_id, agent_id, routing_mode, friendly_name, "
            "monthly_price_micros, currency, created_at, updated_at, released_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("ANALYZE")
    return sum(1 for r in rows if r[7] == "available" and r[0].startswith("+1212"))


def bench_list(vami, folder, home, runs=21):
    """`numbers list --status available --area-code 212 --json` over 100,000 numbers vs 100 ms."""
    env = clean_environment(home)
    db = folder / "vami.db"
    init = subprocess.run([vami, "--db", str(db), "init"], env=env, capture_output=True,
                          text=True)
    if init.returncode != 0:
        print("vami init failed: " + init.stderr)
        return
    expected = fill_database(db, 100_000)
    command = [vami, "--db", str(db), "numbers", "list", "--status", "available", "--area-code",
               "212", "--json"]
    first = subprocess.run(command, env=env, capture_output=True, text=True)
    listed = len(json.loads(first.stdout)) if first.returncode == 0 else "?"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"numbers list --status available --area-code 212 --json, 100,000 numbers ({runs} runs)")
    row("median wall time", f"{median * 1000:.1f} ms", "<= 100 ms", median <= 0.100,
        f"{listed} numbers listed (expected {expected}), min {min(times) * 1000:.1f} ms")


BENCHES = ["bulk-buy", "rate-limit", "version", "list"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vami", default=os.environ.get("VAMI_BIN")
                        or str(ROOT / "build" / "cli" / "vami"))
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=BENCHES)
    options = parser.parse_args()
    vami = str(Path(options.vami).resolve())
    if not os.access(vami, os.X_OK):
        sys.exit(f"no vami binary at {vami}: build it first, or pass --vami")
    version = subprocess.run([vami, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"vami: {vami} ({version})")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="vami-bench-") as scratch:
        scratch = Path(scratch)
        for name in options.only:
            folder = scratch / name
            home = folder / "home"
            home.mkdir(parents=True)
            {"bulk-buy": lambda: bench_bulk_buy(vami, folder, home),
             "rate-limit": lambda: bench_rate_limit(vami, folder, home),
             "version": lambda: bench_version(vami, home),
             "list": lambda: bench_list(vami, folder, home)}[name]()


if __name__ == "__main__":
    main()
