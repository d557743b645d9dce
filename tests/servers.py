"""Real servers on loopback for tests: ``provgraph serve`` on a port the system chooses, an Oxigraph SPARQL
server (the binary the ``oxigraph`` package ships), Debian's Virtuoso (``virtuoso-opensource``) when
installed, and a small gatekeeping HTTP proxy that checks credentials and can fail requests on purpose."""

from __future__ import annotations

import contextlib
import http.client
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on at this instant; another process may take it before it is used. Only for
    servers that cannot bind port 0 and report their port, and then with a retry (:func:`start_retrying`)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def refused_port() -> Iterator[socket.socket]:
    """A loopback socket bound to a port the system chose, not listening: connecting to the port is refused for
    as long as it is held, nobody else can take the port, and a server may later listen on the socket itself."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary installed next to this Python (or on the PATH)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the oxigraph server binary is missing: pip install oxigraph")
    return found


def wait_until_ready(url: str, deadline_s: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers with any HTTP status."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {deadline_s} s")



def stop_process(process: subprocess.Popen[bytes] | None, grace_s: float) -> None:
    """Terminate a server process, killing it if it has not exited after ``grace_s`` seconds."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


#: What a server says when its port is taken: "Address already in use" (oxigraph, Virtuoso's SQL port, uvicorn),
#: "Failed HTTP listen at" (Virtuoso's HTTP port).
PORT_TAKEN = re.compile(rb"address already in use|failed http listen", re.IGNORECASE)


def start_retrying(launch: Callable[[IO[bytes]], tuple[subprocess.Popen[bytes], str]], retry: bool,
                   deadline_s: float = 30.0, attempts: int = 5) -> subprocess.Popen[bytes]:
    """Start a server that cannot bind port 0 and report its port (the ``oxigraph`` binary, Virtuoso).

    ``launch(output)`` picks its port(s) with :func:`free_port`, starts the server writing to ``output`` and
    returns the process and a URL that answers once it is ready. A picked port may be taken by another process
    before the server binds it, so when the server exits saying an address is in use, it is launched again on
    new ports (``retry``: at most ``attempts`` times; a server restarted on its old port is not retried).
    """
    for _ in range(attempts if retry else 1):
        with tempfile.TemporaryFile() as output:
            process, url = launch(output)
            try:
                wait_until_ready(url, deadline_s, process)
                return process
            except RuntimeError as exc:
                stop_process(process, 10)
                output.seek(0)
                said = output.read()
                if not PORT_TAKEN.search(said) or not retry:
                    raise RuntimeError(f"{exc}: {said[-2000:].decode(errors='replace')}") from exc
    raise RuntimeError(f"every port tried was in use ({attempts} attempts)")


LISTENING = re.compile(r"listening on (http://\S+?)[\s/]")


def writer_tokens(path: Path, secrets: Mapping[str, str]) -> Path:
    """A ``--tokens`` file at ``path`` giving each agent of ``secrets`` (agent -> token) the writer role, as
    software; returns ``path``."""
    path.write_text("".join(f'[[tokens]]\nagent = "{agent}"\nrole = "writer"\nkind = "software"\ntoken = "{secret}"\n'
                            for agent, secret in secrets.items()))
    return path


class ProvgraphServer:
    """``provgraph serve --port 0`` in a process over the project ``folder`` (extra ``args`` follow ``serve``).

    The server binds a port the system chooses and prints its address; ``url`` is read from that line.
    Everything it writes (stdout and stderr) is kept in ``output``.
    """

    def __init__(self, folder: Path, *args: str, env: Mapping[str, str] | None = None,
                 deadline_s: float = 60.0) -> None:
        self.command = [sys.executable, "-m", "provgraph", "-C", str(folder), "serve", "--port", "0", *args]
        self.env = env
        self.deadline_s = deadline_s
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._lines: list[bytes] = []
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def output(self) -> bytes:
        return b"".join(self._lines)

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._lines.append(line)
            found = LISTENING.search(line.decode(errors="replace"))
            if found and not self._listening.is_set():
                self.url = found.group(1)
                self._listening.set()

    def start(self) -> ProvgraphServer:
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()
        end = time.monotonic() + self.deadline_s
        while not self._listening.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"provgraph serve did not say where it listens: {self.output[-2000:]!r}")
        return self

    def stop(self) -> None:
        stop_process(self.process, grace_s=20)
        self.process = None
        if self._reader is not None:
            self._reader.join(timeout=10)

    def __enter__(self) -> ProvgraphServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class OxigraphServer:
    """``oxigraph serve`` on a loopback port; in memory, or persisted in ``location`` so it can be
    stopped and started again with its data."""

    def __init__(self, location: Path | None = None, union: bool = True) -> None:
        self.location = location
        self.union = union
        self.port: int | None = None  # chosen at the first start, kept by later ones (the data and the URL stay)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        assert self.port is not None, "start the server first"
        return f"http://{HOST}:{self.port}"

    @property
    def store_uri(self) -> str:
        return "sparql+" + self.url

    def start(self) -> OxigraphServer:
        fixed = self.port

        def launch(output: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
            self.port = fixed or free_port()
            command = [oxigraph_binary(), "serve", "--bind", f"{HOST}:{self.port}"]
            if self.location is not None:
                command += ["--location", str(self.location)]
            if self.union:
                command.append("--union-default-graph")
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
            return process, f"{self.url}/query?query=ASK%7B%7D"

        self.process = start_retrying(launch, retry=fixed is None)
        return self

    def stop(self) -> None:
        stop_process(self.process, grace_s=10)
        self.process = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = {host}:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = {dir}
ServerThreads = 4
MaxClientConnections = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
"""


class VirtuosoServer:
    """Debian's Virtuoso 7 (``apt-get install virtuoso-opensource``) with a fresh database in
    ``folder``, its SPARQL endpoint on a loopback port and SPARQL updates granted to anonymous users."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.http_port = self.sql_port = 0  # chosen when started
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.http_port}/sparql"

    @property
    def store_uri(self) -> str:
        """Query and update at ``/sparql``; no Graph Store Protocol; only provgraph's test graphs."""
        return (f"sparql+http://{HOST}:{self.http_port}?query=/sparql&update=/sparql&store=none"
                "&scope=http://example.org/")

    def start(self) -> VirtuosoServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"

        def launch(output: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
            self.http_port, self.sql_port = free_port(), free_port()
            ini.write_text(VIRTUOSO_INI.format(dir=self.folder, host=HOST, sql_port=self.sql_port,
                                               http_port=self.http_port))
            process = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=self.folder,
                                       stdout=output, stderr=subprocess.STDOUT)
            return process, f"{self.url}?query=ASK%7B%7D"

        self.process = start_retrying(launch, retry=True, deadline_s=120)
        subprocess.run(["isql-vt", f"{HOST}:{self.sql_port}", "dba", "dba",
                        'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                       check=True, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        stop_process(self.process, grace_s=30)
        self.process = None


class GateProxy:
    """A real HTTP/1.1 proxy on loopback in front of ``target``: it refuses requests whose
    ``Authorization`` header is not ``expect_auth`` (HTTP 401), answers the first ``fail_first``
    requests with ``fail_status``, forwards the rest, and records every request it saw (and, in
    ``peers``, the client port each came from). With ``lose_answers``, that many requests are
    forwarded (so the server carries them out) and then answered with ``fail_status`` anyway, as when
    a connection breaks after the server committed. With ``drop_first``, that many requests get no
    answer at all: their connection is closed. With ``hang_s``, every request is held that long and
    then its connection closed unanswered, as by a server that hangs."""

    def __init__(self, target: str, expect_auth: str | None = None, fail_first: int = 0,
                 fail_status: int = 503, lose_answers: int = 0, drop_first: int = 0, hang_s: float = 0.0) -> None:
        self.target = target.removeprefix("http://")
        self.expect_auth = expect_auth
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.lose_answers = lose_answers
        self.drop_first = drop_first
        self.hang_s = hang_s
        self.seen: list[tuple[str, str, str | None]] = []
        self.peers: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())
        self._server.daemon_threads = True  # kept-alive connections must not hold up the shutdown
        self._connections: list[socket.socket] = []  # closed on exit: the proxy is then really gone
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def store_uri(self) -> str:
        return f"sparql+http://{HOST}:{self.port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._connections.append(self.connection)

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization")
                with proxy._lock:
                    proxy.seen.append((self.command, self.path, auth))
                    proxy.peers.append(self.client_address[1])
                    dropping = proxy.drop_first > 0
                    proxy.drop_first -= 1 if dropping else 0
                    failing = not dropping and proxy.fail_first > 0
                    proxy.fail_first -= 1 if failing else 0
                    losing = not dropping and not failing and proxy.lose_answers > 0
                    proxy.lose_answers -= 1 if losing else 0
                if dropping or proxy.hang_s:
                    time.sleep(proxy.hang_s)
                    self.close_connection = True
                elif proxy.expect_auth is not None and auth != proxy.expect_auth:
                    self._answer(401, b"bad credentials")
                elif failing:
                    self._answer(proxy.fail_status, b"try again later")
                else:
                    conn = http.client.HTTPConnection(proxy.target, timeout=60)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    conn.close()
                    if losing:
                        self._answer(proxy.fail_status, b"the answer was lost")
                        return
                    self.send_response(answer.status)
                    for key, value in answer.getheaders():
                        if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def _answer(self, status: int, text: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            do_GET = do_POST = do_PUT = do_DELETE = _relay

        return Handler

    def __enter__(self) -> GateProxy:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
