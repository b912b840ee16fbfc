"""A malformed frame gets an error frame naming the problem; the socket stays open."""

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import translation

from playground.asgi import application
from tests.factories import make_run

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
DEEP = "[" * 30_000 + "]" * 30_000  # under the size limit, past Python's recursion limit


@pytest.fixture
def quizzed_run(learner):
    return make_run(owner=learner, state="running", control_channel="specific.x!y")


async def _reply_to(run, headers, **frame):
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await ws.connect()
    assert connected
    await ws.receive_json_from(TIMEOUT)  # the run's status
    await ws.send_to(**frame)
    reply = await ws.receive_json_from(TIMEOUT)
    # Still open and still answering: a second bad frame gets its own error frame.
    await ws.send_to(text_data="[]")
    assert "error" in await ws.receive_json_from(TIMEOUT)
    await ws.disconnect()
    return reply


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            {"text_data": '{"action": "quiz.answer", "question": 1e999, "choices": [1]}'},
            "The number 1e999 is out of range.",
        ),
        (
            {"text_data": '{"action": "quiz.answer", "question": 99999999999999999999}'},
            "The number 99999999999999999999 is out of range.",
        ),
        ({"text_data": '{"action": NaN}'}, "The number NaN is out of range."),
        ({"text_data": DEEP}, "The message is nested more than 32 levels deep."),
        (
            {"text_data": "[" * 100_000 + "]" * 100_000},
            "The message is 200000 bytes long; at most 65536 bytes are accepted.",
        ),
        ({"bytes_data": b'{"action": "st\xffop"}'}, "The message is not valid UTF-8 text."),
        (
            {"text_data": '{"action": "control", "command": {"action": "\\ud800"}}'},
            "The message contains text that is not valid Unicode.",
        ),
        ({"text_data": '{"action": "stop"'}, "The message is not valid JSON (line 1, column 18)."),
        ({"text_data": '"stop"'}, 'Send a JSON object, such as {"action": "stop"}.'),
        ({"text_data": "[1, 2]"}, 'Send a JSON object, such as {"action": "stop"}.'),
        ({"text_data": '{"type": "run.events"}'}, 'Unknown action. Use "stop" or "control".'),
        ({"text_data": '{"action": ["stop"]}'}, 'Unknown action. Use "stop" or "control".'),
        (
            {"text_data": '{"k": "' + "x" * 70_000 + '"}'},
            "The message is 70009 bytes long; at most 65536 bytes are accepted.",
        ),
    ],
)
async def test_a_malformed_frame_gets_an_error_naming_the_problem(
    ws_headers, quizzed_run, frame, message
):
    reply = await _reply_to(quizzed_run, ws_headers, **frame)
    assert reply == {"error": "ValidationError", "message": message}


async def test_a_binary_frame_of_utf8_json_is_read_like_text(ws_headers, quizzed_run):
    reply = await _reply_to(quizzed_run, ws_headers, bytes_data=b'{"action": "explode"}')
    assert reply["message"] == 'Unknown action. Use "stop" or "control".'


@pytest.fixture
def korean_headers(client, learner):
    client.force_login(learner)
    cookie = f"sessionid={client.cookies['sessionid'].value}; django_language=ko".encode()
    return [(b"origin", b"http://testserver"), (b"cookie", cookie)]


async def test_the_error_speaks_the_viewers_language(korean_headers, quizzed_run):
    reply = await _reply_to(quizzed_run, korean_headers, text_data='{"question": 1e999}')
    with translation.override("ko"):
        korean = translation.gettext("The number %(number)s is out of range.")
    assert korean != "The number %(number)s is out of range."
    assert reply["message"] == korean % {"number": "1e999"}


@pytest.mark.parametrize(
    "frame",
    [
        '{"action": "quiz.answer", "question": 1, "choices": [{"id": 1}]}',
        '{"action": "quiz.answer", "question": {"id": 1}, "choices": 5}',
        '{"action": "control", "command": {"action": "fault", "target": [], "mode": {}}}',
        '{"action": "control", "command": {"action": "traffic", "rps": 1e308}}',
    ],
)
async def test_odd_shapes_get_an_error_frame_not_a_closed_socket(ws_headers, quizzed_run, frame):
    reply = await _reply_to(quizzed_run, ws_headers, text_data=frame)
    assert reply["error"] == "ValidationError"
    assert reply["message"]
