"""Engines for the conformance suite: a throw-away PostgreSQL server and one Spark session.

In CI (CI=true) a missing engine fails the suite; elsewhere it is skipped with the reason, so
a developer without Java or PostgreSQL can still run the rest.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI (see .ci/run)")
    pytest.skip(f"{what} is not installed here")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server on a free loopback port with a temporary data folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        _missing("PostgreSQL (apt-get install postgresql)")
    assert initdb is not None
    bin_dir = Path(initdb).parent
    home = Path(tempfile.mkdtemp(prefix="lifecycle-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(home, user="postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = home / "data"
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "lifecycle",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(home / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        url = f"postgres://lifecycle@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def spark() -> str:
    """Confirms PySpark and Java are here; the session itself is shared by the product."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _missing("PySpark (pip install '.[spark]')")
    if shutil.which("java") is None:
        _missing("Java (a JRE 17 for Spark)")
    os.environ.setdefault("LIFECYCLE_SPARK_PARTITIONS", "2")
    return "local[2]"
