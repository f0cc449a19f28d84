"""A throw-away PostgreSQL server for the benchmarks that run vami on PostgreSQL: the cluster
the tests use (tests/postgres_cluster.sh: initdb + pg_ctl on a Unix socket in a temporary
folder, fsync off), started on first use and stopped at the end, one schema per benchmark."""
import secrets
import subprocess
from pathlib import Path

CLUSTER = Path(__file__).resolve().parents[1] / "postgres_cluster.sh"


class Unavailable(Exception):
    """No PostgreSQL server can run here (no server binaries): the reason."""


class PostgresServer:
    """Starts the cluster in `folder` on first `schema()`; `stop()` removes it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.uri = None
        self.reason = None

    def _start(self):
        if self.uri or self.reason:
            return
        result = subprocess.run([str(CLUSTER), "start", str(self.folder)], capture_output=True,
                                text=True)
        written = (self.folder / "uri").read_text().strip() if (self.folder / "uri").exists() \
            else ""
        if result.returncode != 0 or not written.startswith("postgresql://"):
            self.reason = written or (result.stdout + result.stderr).strip()[-500:]
        else:
            self.uri = written

    def schema(self) -> str:
        """A fresh schema: the URI that names it. @raises Unavailable saying why there is none."""
        self._start()
        if self.reason:
            raise Unavailable(self.reason)
        name = "vami_bench_" + secrets.token_hex(4)
        psql(self.uri, f"CREATE SCHEMA {name}")
        return f"{self.uri}&options=-csearch_path%3D{name}"

    def stop(self):
        if self.uri or self.reason:
            subprocess.run([str(CLUSTER), "stop", str(self.folder)], capture_output=True)


def psql(uri, sql):
    """Runs `sql` with psql; its output."""
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", uri, "-c", sql],
                          capture_output=True, text=True, check=True).stdout
