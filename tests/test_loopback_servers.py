"""The test harness's servers: a server that cannot report its port is started again on another port when
the one picked is taken, and a refused port refuses."""

from __future__ import annotations

import socket
import subprocess
from typing import IO

import httpx
import pytest
from servers import HOST, free_port, oxigraph_binary, port_of, start_retrying, stop_process


def test_a_server_is_started_again_on_another_port_when_its_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        ports = [port_of(taken), free_port()]
        tried: list[int] = []

        def launch(output: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
            port = ports[len(tried)]
            tried.append(port)
            process = subprocess.Popen([oxigraph_binary(), "serve", "--bind", f"{HOST}:{port}"], stdout=output,
                                       stderr=subprocess.STDOUT)
            return process, f"http://{HOST}:{port}/query?query=ASK%7B%7D"

        process = start_retrying(launch, retry=True)
        try:
            assert tried == ports
            answer = httpx.get(f"http://{HOST}:{ports[1]}/query", params={"query": "ASK {}"},
                               headers={"Accept": "application/sparql-results+json"})
            assert answer.json() == {"head": {}, "boolean": True}
        finally:
            stop_process(process, 10)


def test_a_taken_port_is_not_retried_when_the_port_was_fixed() -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()

        def launch(output: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
            port = port_of(taken)
            process = subprocess.Popen([oxigraph_binary(), "serve", "--bind", f"{HOST}:{port}"], stdout=output,
                                       stderr=subprocess.STDOUT)
            return process, f"http://{HOST}:{port}/query?query=ASK%7B%7D"

        with pytest.raises(RuntimeError, match="Address already in use"):
            start_retrying(launch, retry=False)


def test_a_refusing_port_refuses(refusing_port: int) -> None:
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, refusing_port), timeout=5):
        pass
