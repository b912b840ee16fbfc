"""Only our own pages open a run's socket: the Origin's scheme, host and port must be ours."""

import pytest
from channels.testing import WebsocketCommunicator

from playground.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _connects(run, ws_headers, origin, host=None):
    headers = [h for h in ws_headers if h[0] != b"origin"] + [(b"origin", origin)]
    if host is not None:
        headers.append((b"host", host))
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await ws.connect()
    await ws.disconnect()
    return connected


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (b"http://127.0.0.1:8000", b"127.0.0.1:8000"),
        (b"https://localhost", b"localhost"),
        (b"http://[::1]:8000", b"[::1]:8000"),
        (b"http://testserver", None),
    ],
)
async def test_our_own_page_connects(ws_headers, learners_run, origin, host):
    assert await _connects(learners_run, ws_headers, origin, host)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        (b"http://127.0.0.1:1", b"127.0.0.1:8000"),  # another program on the same machine
        (b"http://127.0.0.1:1", None),
        (b"http://testserver:8080", None),
        (b"http://localhost:8080", b"localhost"),
        (b"http://localhost", b"127.0.0.1"),  # an allowed host, but not the one we were asked
        (b"http://evil.example", b"evil.example"),  # a Host header not in ALLOWED_HOSTS
        (b"null", b"testserver"),
        (b"http://testserver:notaport", None),
    ],
)
async def test_another_origin_is_refused(ws_headers, learners_run, origin, host):
    assert not await _connects(learners_run, ws_headers, origin, host)


async def test_a_trusted_origin_connects(ws_headers, learners_run, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://labs.example.com"]
    assert await _connects(learners_run, ws_headers, b"https://labs.example.com", b"testserver")
