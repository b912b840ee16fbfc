"""Socket calls the loop does slower than we can."""

from __future__ import annotations

import asyncio
import errno
import os
import socket


async def connect_socket(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, address: tuple[str, int]
) -> None:
    """``loop.sock_connect`` for a numeric address: uvloop's resolves it first on its thread
    pool (futexes and a thread hop per connection, most of a short flow's cost)."""
    error = sock.connect_ex(address)
    if error in (errno.EINPROGRESS, errno.EAGAIN):
        await wait_connected(loop, sock)
    elif error:
        raise OSError(error, os.strerror(error))


async def wait_connected(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Until a non-blocking connect() under way ends; OSError if it failed."""
    writable = loop.create_future()

    def ready() -> None:
        if not writable.done():
            writable.set_result(None)

    loop.add_writer(sock.fileno(), ready)
    try:
        await writable
    finally:
        loop.remove_writer(sock.fileno())
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise OSError(error, os.strerror(error))
