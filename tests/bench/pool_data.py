"""The pool the `list` benchmarks read: `count` numbers with the state schema's rules (unique
E.164 and provider ids, statuses, money in micros), most available, some assigned to agents,
suspended or released, inserted straight into a state database that `vami init` made, SQLite
or PostgreSQL alike (the same rows, the same ids)."""
import csv
import io
import random
import sqlite3
import subprocess
from pathlib import Path

AREA_CODES = ["212", "646", "332", "917", "718", "347", "929", "516", "631", "914", "201", "973",
              "862", "908", "732", "609", "215", "267", "610", "484", "617", "857", "781", "508",
              "413"]
REGIONS = {"2": "NY", "3": "NY", "5": "NY", "6": "NJ", "7": "NJ", "8": "NJ", "9": "NY"}
NOW = "2026-01-01T00:00:00Z"
AGENTS = 20
NUMBER_COLUMNS = ("e164, provider, provider_sid, country, number_type, locality, region, status, "
                  "tenant_id, agent_id, routing_mode, friendly_name, monthly_price_micros, "
                  "currency, created_at, updated_at, released_at")


def number_rows(count: int, seed=20240601):
    """The rows of `numbers` (NUMBER_COLUMNS order), tenant 1 and agents 1 to AGENTS."""
    rng = random.Random(seed)
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
        agent = rng.randrange(1, AGENTS + 1) if status == "assigned" else None
        rows.append((e164, "twilio", f"PN{rng.getrandbits(128):032x}", "US", "local",
                     "New York", REGIONS.get(area[0], "NY"), status, 1 if agent else None, agent,
                     "native" if agent else None, "vami:default:op-bench", 1_150_000, "USD", NOW,
                     NOW, NOW if status == "released" else None))
    return rows


def expected_listed(rows):
    """How many `numbers list --status available --area-code 212` lists."""
    return sum(1 for r in rows if r[7] == "available" and r[0].startswith("+1212"))


def agent_rows():
    return [(index + 1, 1, f"bench-agent-{index}", f"Bench agent {index}",
             f"agent_bench{index:020d}", NOW, NOW) for index in range(AGENTS)]


def fill_sqlite(path: Path, count: int):
    """Fills the SQLite state database at `path`; returns `expected_listed`."""
    rows = number_rows(count)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("INSERT INTO tenants (id, slug, name, created_at, updated_at) "
                   "VALUES (1, 'bench', 'Bench', ?, ?)", (NOW, NOW))
        db.executemany("INSERT INTO agents (id, tenant_id, slug, name, provider_agent_id, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", agent_rows())
        db.executemany(f"INSERT INTO numbers ({NUMBER_COLUMNS}) VALUES "
                       f"({', '.join('?' * 17)})", rows)
        db.execute("ANALYZE")
    return expected_listed(rows)


def fill_postgres(uri: str, count: int):
    """Fills the PostgreSQL state schema `uri` names, with psql and COPY; returns
    `expected_listed`."""
    rows = number_rows(count)
    text = io.StringIO()
    writer = csv.writer(text)
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    agents = ", ".join(
        "(" + ", ".join(str(v) if isinstance(v, int) else f"'{v}'" for v in a) + ")"
        for a in agent_rows())
    script = (
        f"INSERT INTO tenants (id, slug, name, created_at, updated_at) "
        f"VALUES (1, 'bench', 'Bench', '{NOW}', '{NOW}');\n"
        f"INSERT INTO agents (id, tenant_id, slug, name, provider_agent_id, created_at, "
        f"updated_at) VALUES {agents};\n"
        f"\\copy numbers ({NUMBER_COLUMNS}) FROM pstdin WITH (FORMAT csv)\n"
        "SELECT setval(pg_get_serial_sequence('tenants', 'id'), 1);\n"
        f"SELECT setval(pg_get_serial_sequence('agents', 'id'), {AGENTS});\n"
        "ANALYZE;\n")
    script_file = Path("/tmp") / f"vami-bench-fill-{random.getrandbits(32):08x}.sql"
    script_file.write_text(script)
    try:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", uri, "-f", str(script_file)],
                       input=text.getvalue(), text=True, check=True, capture_output=True)
    finally:
        script_file.unlink()
    return expected_listed(rows)
