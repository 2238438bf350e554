"""A throwaway MariaDB server for tests: its own data folder, 127.0.0.1 on a free port, removed after.

    server = MariaDBServer(database="arcface_mlmd", user="tfx", password="...")
    server.start()   # mariadb-install-db, then mariadbd with that user
    ...              # server.settings is the `metadata.mysql` config section
    server.stop()
"""

import getpass
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MariaDBServer:
    """One mariadbd process listening on 127.0.0.1 only, with one user who may do anything there."""

    def __init__(self, database: str, user: str, password: str):
        self.settings = dict(host="127.0.0.1", port=None, database=database, user=user, password=password)
        self.process = None
        self.folder = None

    def _log_tail(self) -> str:
        log = self.folder / "error.log"
        return log.read_text()[-3000:] if log.exists() else "(no error log)"

    def start(self, timeout_s: float = 120) -> None:
        # A short folder: the server's unix socket path must fit in 108 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="mariadb-"))
        me = getpass.getuser()  # mariadbd refuses to run as root unless told to
        installed = subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={self.folder / 'data'}", f"--user={me}",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, text=True, timeout=timeout_s,
        )
        if installed.returncode != 0:
            failure = installed.stderr[-3000:]
            raise RuntimeError(f"mariadb-install-db failed ({installed.returncode}):\n{failure}")
        s = self.settings
        (self.folder / "init.sql").write_text(
            f"CREATE USER '{s['user']}'@'127.0.0.1' IDENTIFIED BY '{s['password']}';\n"
            # Every database, so that a store the user may create but must not is a real test.
            f"GRANT ALL ON *.* TO '{s['user']}'@'127.0.0.1';\n"
        )
        s["port"] = _free_port()
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.folder / 'data'}", f"--user={me}",
             "--bind-address=127.0.0.1", f"--port={s['port']}", f"--socket={self.folder / 'mysqld.sock'}",
             f"--pid-file={self.folder / 'mysqld.pid'}", f"--init-file={self.folder / 'init.sql'}",
             f"--log-error={self.folder / 'error.log'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {self.process.returncode}:\n{self._log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mariadbd did not answer within {timeout_s:.0f} s:\n{self._log_tail()}")
            time.sleep(0.2)

    def _client(self, program, *args) -> subprocess.CompletedProcess:
        s = self.settings
        return subprocess.run(
            [program, "--no-defaults", "--protocol=tcp", f"--host={s['host']}", f"--port={s['port']}",
             f"--user={s['user']}", f"--password={s['password']}", "--connect-timeout=2", *args],
            capture_output=True, text=True, timeout=60,
        )

    def _answers(self) -> bool:
        """True once the server accepts the test user over TCP (the init file has run)."""
        return self._client("mariadb-admin", "ping").returncode == 0

    def databases(self) -> list:
        """The names of the server's databases."""
        listed = self._client("mariadb", "--batch", "--skip-column-names", "--execute=SHOW DATABASES")
        if listed.returncode != 0:
            raise RuntimeError(f"SHOW DATABASES failed: {listed.stderr}")
        return listed.stdout.split()

    def stop(self) -> None:
        """Shuts the server down (killing it if it hangs) and removes its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
