#!/usr/bin/env python3
"""vami's benchmarks: each figure printed beside its written target (issue "Bulk work that never
loses a paid number"). Not a test: it asserts nothing, it measures.

    tests/bench/run.py [--vami build/cli/vami] [--only NAME ...]

The binary is --vami, else VAMI_BIN, else build/cli/vami. Everything runs against
`vami sandbox serve` on 127.0.0.1 or a local database in a temporary folder; nothing touches the
internet. Figures depend on the machine (and on whatever else it runs): the header says which.
The *-postgres benches run the same loads with the state on a throw-away PostgreSQL cluster of
their own (tests/postgres_cluster.sh, as the tests start it), and say so and skip when
PostgreSQL's server binaries are missing.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pool_data import fill_postgres, fill_sqlite  # noqa: E402
from postgres_server import PostgresServer, Unavailable  # noqa: E402

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


def bench_bulk_buy(vami, folder, home, area_codes=("212",), db=None, factor=1.15):
    """1,000 numbers, --latency-ms 50 --max-concurrent 25, --concurrency 25: wall time vs
    `factor` x the provider's floor (1000 / 25 x 50 ms = 2.0 s), failures, peak RSS vs 30 MB.
    With `area_codes` empty the buy names only the country, so planning searches all of it.
    `db`: the state database (a PostgreSQL URI), a SQLite file in `folder` when None."""
    env = clean_environment(home)
    served = Served(vami, folder, env, "--latency-ms", "50", "--max-concurrent", "25")
    try:
        live = {**env, **served.exports}
        where = ["--area-code", ",".join(area_codes)] if area_codes else ["--country", "US"]
        command = [vami, "--db", db or str(folder / "vami.db"), "numbers", "buy", "--count",
                   "1000", *where, "--concurrency", "25", "--yes", "--json", "--progress", "never"]
        wall, rss, code, stdout, stderr = peak_rss_of(command, live)
        counted = served.stats()
    finally:
        served.stop()
    report = json.loads(stdout) if stdout.strip() else {}
    floor = 1000 / 25 * 0.050
    failed = report.get("failed", "?")
    uncertain = report.get("uncertain", "?")
    print("1,000 numbers " + (f"in area code {','.join(area_codes)}" if area_codes
                              else "anywhere in the US (no area code)")
          + ", serve --latency-ms 50 --max-concurrent 25, --concurrency 25"
          + (", state on PostgreSQL" if db else ""))
    row("wall time", f"{wall:.2f} s",
        f"<= {factor * floor:.2f} s ({factor} x {floor:.1f} s floor)", wall <= factor * floor,
        f"{wall / floor:.2f} x floor")
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


def bench_list(vami, folder, home, runs=21, db=None, target_ms=100):
    """`numbers list --status available --area-code 212 --json` over 100,000 numbers vs
    `target_ms`; `db`: a PostgreSQL URI, a SQLite file in `folder` when None."""
    env = clean_environment(home)
    db = db or str(folder / "vami.db")
    init = subprocess.run([vami, "--db", db, "init"], env=env, capture_output=True, text=True)
    if init.returncode != 0:
        print("vami init failed: " + init.stderr)
        return
    on_postgres = db.startswith("postgresql://")
    expected = (fill_postgres if on_postgres else fill_sqlite)(db, 100_000)
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
    print(f"numbers list --status available --area-code 212 --json, 100,000 numbers ({runs} runs)"
          + (", state on PostgreSQL" if on_postgres else ""))
    row("median wall time", f"{median * 1000:.1f} ms", f"<= {target_ms} ms",
        median <= target_ms / 1000,
        f"{listed} numbers listed (expected {expected}), min {min(times) * 1000:.1f} ms")


def _load_process(port, requests, expect, deadline, connections, out):
    """One process of `hammer`: `connections` keep-alive sockets driven by one epoll loop, each
    sending the next prepared request as soon as the previous answer is complete."""
    import selectors
    import socket

    selector = selectors.DefaultSelector()
    count = errors = 0
    latencies = []
    sent = [0]

    def connect():
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def send(sock, state):
        state[0] = bytearray()
        state[1] = time.perf_counter()
        sock.sendall(requests[sent[0] % len(requests)])
        sent[0] += 1

    states = {}
    for _ in range(connections):
        sock = connect()
        states[sock] = [bytearray(), 0.0]
        selector.register(sock, selectors.EVENT_READ)
        send(sock, states[sock])
    while time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            state = states[sock]
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                state[0] += chunk
                head_end = state[0].find(b"\r\n\r\n")
                if head_end < 0:
                    continue
                head = bytes(state[0][:head_end]).lower()
                length = 0
                at = head.find(b"\r\ncontent-length:")
                if at >= 0:
                    line_end = head.find(b"\r\n", at + 2)
                    length = int(head[at + 17:line_end if line_end >= 0 else len(head)])
                if len(state[0]) < head_end + 4 + length:
                    continue
                answered = head.startswith(b"http/1.1 200") and expect in state[0][head_end + 4:]
                latencies.append(time.perf_counter() - state[1])
                count += 1
                errors += 0 if answered else 1
                closing = b"\r\nconnection: close" in head
            else:
                errors += 1  # the server closed a connection with a request unanswered
                closing = True
            if closing:
                selector.unregister(sock)
                sock.close()
                del states[sock]
                sock = connect()
                states[sock] = state
                selector.register(sock, selectors.EVENT_READ)
            if time.monotonic() < deadline:
                send(sock, state)
    for sock in states:
        sock.close()
    out.send((count, errors, latencies))
    out.close()


def hammer(port, requests, expect, duration, connections=32, processes=2):
    """Closed-loop HTTP/1.1 load on 127.0.0.1:`port` for `duration` seconds: `processes` forked
    processes, `connections` keep-alive sockets in all, sending the prepared raw `requests` in
    turn. An answer counts when it is 200 with `expect` in its body, else as an error.
    Returns (answers, errors, wall seconds, latencies in seconds).

    The requests are built (and signed) before the clock starts and parsed by hand, so the
    client spends a few microseconds per request: the threaded http.client loop this replaces
    topped out near 2,500 requests/s on two cores while the router it measured sat at half a
    core, i.e. it measured the client."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    deadline = time.monotonic() + duration
    pipes, workers = [], []
    began = time.monotonic()
    for index in range(processes):
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(target=_load_process, args=(
            port, requests[index::processes] or requests, expect.encode(), deadline,
            max(1, connections // processes), send))
        worker.start()
        send.close()
        pipes.append(receive)
        workers.append(worker)
    count = errors = 0
    latencies = []
    for receive in pipes:
        answered, failed, measured = receive.recv()
        count, errors = count + answered, errors + failed
        latencies.extend(measured)
    for worker in workers:
        worker.join()
    return count, errors, time.monotonic() - began, latencies


def signed_voice_requests(port, token, account, url, targets, count=2000):
    """`count` raw voice-webhook requests to `targets` in turn (distinct CallSids), each signed
    with `token` as Twilio signs them for `url`."""
    import base64
    import hashlib
    import hmac
    import urllib.parse

    requests = []
    for n in range(count):
        params = {"AccountSid": account, "CallSid": f"CA{n:032x}", "From": "+14155550123",
                  "To": targets[n % len(targets)], "Direction": "inbound",
                  "CallStatus": "ringing"}
        signed = url + "".join(k + v for k, v in sorted(params.items()))
        signature = base64.b64encode(hmac.new(token.encode(), signed.encode(),
                                              hashlib.sha1).digest()).decode()
        body = urllib.parse.urlencode(params)
        requests.append((f"POST {urllib.parse.urlsplit(url).path} HTTP/1.1\r\n"
                         f"Host: 127.0.0.1:{port}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         f"X-Twilio-Signature: {signature}\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    return requests


def cpu_seconds(pid):
    """User + system CPU time a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flask_python():
    """A Python that imports Flask (this one, else Debian's), or None."""
    for python in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if Path(python).exists() and subprocess.run(
                [python, "-c", "import flask"], capture_output=True).returncode == 0:
            return python
    return None


def flask_rejects(folder, db, token, account, targets, seconds=5):
    """tests/bench/flask_router.py on the state database `db` under the reject load of the vami
    router: (answers, errors, wall seconds, its CPU seconds), or why it was not measured."""
    import socket

    python = flask_python()
    if python is None:
        return "Flask is not installed (Debian: apt-get install python3-flask)"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    public = f"http://127.0.0.1:{port}"
    with open(folder / "flask.log", "w") as log:
        process = subprocess.Popen(
            [python, str(Path(__file__).with_name("flask_router.py")), "--db", db, "--port",
             str(port), "--public-url", public, "--account", account, "--token", token],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        if "listening" not in process.stdout.readline():
            return "flask_router.py did not start: " + (folder / "flask.log").read_text()[-500:]
        requests = signed_voice_requests(port, token, account, public + "/twilio/voice", targets)
        forged = signed_voice_requests(port, "f" * 32, account, public + "/twilio/voice", targets,
                                       count=1)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as check:
            check.sendall(forged[0])
            if not check.recv(4096).startswith(b"HTTP/1.1 403"):
                return "flask_router.py did not refuse a request signed with another token"
        cpu_before = cpu_seconds(process.pid)
        count, errors, wall, _ = hammer(port, requests, "<Reject", seconds)
        return count, errors, wall, cpu_seconds(process.pid) - cpu_before
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_router(vami, folder, home, seconds=30, connections=120, db=None):
    """Call setups through `vami router serve`, the sandbox's ElevenLabs answering register-call
    in 200 ms: calls per second sustained for `seconds` with `connections` keep-alive clients,
    errors, p99 answer time, the router's own share (answer minus provider time, from its access
    log), peak RSS; then rejects of unknown numbers per second (32 connections) with the router's
    CPU per request. Both loads come from `hammer`. 120 clients: the served sandbox
    answers with 128 workers, each held by one keep-alive connection, so more clients than that
    would measure the sandbox's queue (5 s keep-alive stalls), not the router. `db`: the state
    database (a PostgreSQL URI: the router looks numbers up there; no Flask comparison, whose
    router reads SQLite), a SQLite file in `folder` when None."""
    import socket

    env = clean_environment(home)
    served = Served(vami, folder, env, "--latency-ms", "200")
    router = None
    try:
        live = {**env, **served.exports, "VAMI_ELEVENLABS_WEBHOOK_SECRET": "bench-secret"}
        db = db or str(folder / "vami.db")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        public = f"http://127.0.0.1:{port}"
        run = lambda *args: subprocess.run([vami, "--db", db, *args], env=live, check=True,
                                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        run("tenants", "create", "acme", "--name", "Acme")
        run("agents", "create", "--tenant", "acme", "--name", "Desk")
        report = json.loads(run("numbers", "buy", "--count", "10", "--area-code", "212", "--yes",
                                "--json").stdout)
        numbers = [item["e164"] for item in report["items"]]
        run("--router-url", public + "/twilio/voice", "numbers", "assign", *numbers,
            "--agent", "desk", "--mode", "webhook")
        log = folder / "router.log"
        router = subprocess.Popen(
            [vami, "--db", db, "router", "serve", "--listen", f"127.0.0.1:{port}",
             "--public-url", public, "--log", str(log)], env=live, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while "router listening" not in router.stderr.readline():
            if router.poll() is not None:
                raise RuntimeError("router serve exited")
        token, account = served.exports["TWILIO_AUTH_TOKEN"], served.exports["TWILIO_ACCOUNT_SID"]
        url = public + "/twilio/voice"

        def p(values, q):
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

        calls = signed_voice_requests(port, token, account, url, numbers, count=24_000)
        answered, errors, wall, latencies = hammer(port, calls, "<Connect>", seconds,
                                                   connections=connections)
        rate = answered / wall
        lines = [json.loads(l) for l in log.read_text().splitlines() if '"connected"' in l]
        own = [l["duration_ms"] - l.get("provider_ms", 0) for l in lines if "duration_ms" in l]
        unknown = signed_voice_requests(port, token, account, url,
                                        ["+12125550000", "+13125550000"])
        cpu_before = cpu_seconds(router.pid)
        reject_count, reject_errors, reject_wall, _ = hammer(port, unknown, "<Reject", 5)
        reject_cpu = cpu_seconds(router.pid) - cpu_before
        rss = 0
        for line in Path(f"/proc/{router.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) * 1024
        flask = ("the Flask router reads SQLite only" if db.startswith("postgresql://") else
                 flask_rejects(folder, db, token, account, ["+12125550000", "+13125550000"]))
    finally:
        if router is not None and router.poll() is None:
            router.send_signal(signal.SIGTERM)
            router.wait(timeout=30)
        served.stop()
    print(f"router: {connections} keep-alive clients, register-call at 200 ms (sandbox), {seconds} s"
          + (", state on PostgreSQL" if db.startswith("postgresql://") else ""))
    row("call setups per second", f"{rate:.0f} /s", ">= 500 /s", rate >= 500,
        f"{len(latencies)} calls")
    row("errors", f"{errors}", "0", errors == 0)
    p99 = p(latencies, 0.99) * 1000
    row("p99 answer time (client)", f"{p99:.0f} ms", "<= 260 ms", p99 <= 260,
        f"p50 {p(latencies, 0.5) * 1000:.0f} ms")
    own99 = p(own, 0.99)
    row("router's own share, p99", f"{own99:.1f} ms", "<= 10 ms", own99 <= 10,
        "answer - provider time, access log")
    row("peak memory (RSS, VmHWM)", f"{rss / 1e6:.1f} MB", "<= 64 MB", rss <= 64e6)
    reject_rate = reject_count / reject_wall
    row("rejects of unknown numbers", f"{reject_rate:.0f} /s", ">= 5000 /s",
        reject_rate >= 5000, f"{reject_errors} errors; router CPU "
        f"{reject_cpu / max(reject_count, 1) * 1e6:.0f} us/request "
        f"({reject_cpu / reject_wall * 100:.0f} % of a core)")
    if isinstance(flask, str):
        print(f"      Flask comparison skipped: {flask}")
    else:
        flask_count, flask_errors, flask_wall, flask_cpu = flask
        flask_rate = flask_count / flask_wall
        print(f"      minimal Flask router, same signature check and lookup, same database and "
              f"load: {flask_rate:.0f} rejects/s, {flask_errors} errors, "
              f"{flask_cpu / max(flask_count, 1) * 1e6:.0f} us CPU/request")
        print(f"      vami / Flask: {reject_rate / flask_rate:.1f} x the rejects per second, "
              f"{(flask_cpu / max(flask_count, 1)) / (reject_cpu / max(reject_count, 1)):.1f} x "
              f"less CPU per request")
    print(f"      router exit code {router.returncode} after SIGTERM")


def bench_calls_test(vami, folder, home, runs=21):
    """`vami calls test` of a natively routed number on the in-process sandbox vs 50 ms: the
    whole run is vami's own time (the sandbox answers in the same process, no socket)."""
    env = clean_environment(home)
    db = str(folder / "vami.db")

    def vami_run(*args):
        result = subprocess.run([vami, "--db", db, *args], env=env, capture_output=True,
                                text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"vami {' '.join(args)}: {result.stderr}")
        return result.stdout

    vami_run("tenants", "create", "acme", "--name", "Acme Dental")
    vami_run("agents", "create", "--tenant", "acme", "--name", "Front Desk", "--first-message",
             "Hello, Acme Dental, how can I help you today?")
    bought = json.loads(vami_run("numbers", "buy", "--count", "1", "--area-code", "212", "--yes",
                                 "--json"))
    number = bought["items"][0]["e164"]
    vami_run("numbers", "assign", number, "--agent", "front-desk")
    command = [vami, "--db", db, "calls", "test", number]
    times = []
    for _ in range(runs):
        seconds, code, _, stderr = run_measured(command, env)
        if code != 0:
            print("vami calls test failed: " + stderr)
            return
        times.append(seconds)
    median = statistics.median(times)
    print(f"vami calls test, a native number on the in-process sandbox ({runs} runs)")
    row("median wall time (vami's own)", f"{median * 1000:.1f} ms", "<= 50 ms", median <= 0.050,
        f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


BENCHES = ["bulk-buy", "bulk-buy-country", "rate-limit", "version", "list", "router",
           "calls-test", "bulk-buy-postgres", "list-postgres", "router-postgres"]

# The same loads with the state on PostgreSQL (issue 13): a throw-away server of the bench's own.
POSTGRES_TARGETS = {"bulk-buy-postgres": "1.3 x the provider floor",
                    "list-postgres": "150 ms", "router-postgres": "the router's targets"}


def on_postgres(server, name, bench):
    """Runs `bench(uri)` on a fresh schema of the bench's server, or says why it cannot."""
    try:
        uri = server.schema()
    except Unavailable as why:
        print(f"{name}: skipped, no PostgreSQL server can run here ({why}); install Debian's "
              f"postgresql to measure it against {POSTGRES_TARGETS[name]}")
        return
    bench(uri)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vami", default=os.environ.get("VAMI_BIN")
                        or str(ROOT / "build" / "cli" / "vami"))
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=BENCHES)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each benchmark this many times (figures vary with the load)")
    options = parser.parse_args()
    vami = str(Path(options.vami).resolve())
    if not os.access(vami, os.X_OK):
        sys.exit(f"no vami binary at {vami}: build it first, or pass --vami")
    version = subprocess.run([vami, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"vami: {vami} ({version})")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="vami-bench-") as scratch:
        scratch = Path(scratch)
        server = PostgresServer(scratch / "postgres")
        try:
            run_benches(vami, scratch, server, options)
        finally:
            server.stop()


def run_benches(vami, scratch, server, options):
    """Runs the benchmarks `options` names, each in a folder of its own under `scratch`."""
    for run, name in enumerate(n for n in options.only for _ in range(options.repeat)):
        folder = scratch / f"{name}-{run}"
        home = folder / "home"
        home.mkdir(parents=True)
        {"bulk-buy": lambda: bench_bulk_buy(vami, folder, home),
         "bulk-buy-country": lambda: bench_bulk_buy(vami, folder, home, area_codes=()),
         "rate-limit": lambda: bench_rate_limit(vami, folder, home),
         "version": lambda: bench_version(vami, home),
         "list": lambda: bench_list(vami, folder, home),
         "router": lambda: bench_router(vami, folder, home),
         "calls-test": lambda: bench_calls_test(vami, folder, home),
         "bulk-buy-postgres": lambda: on_postgres(
             server, name, lambda uri: bench_bulk_buy(vami, folder, home, db=uri, factor=1.3)),
         "list-postgres": lambda: on_postgres(
             server, name, lambda uri: bench_list(vami, folder, home, db=uri, target_ms=150)),
         "router-postgres": lambda: on_postgres(
             server, name, lambda uri: bench_router(vami, folder, home, db=uri)),
         }[name]()


if __name__ == "__main__":
    main()
