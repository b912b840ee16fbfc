import gzip

import pytest

from labs.engine import recording
from labs.engine.recording import Recorder


def _request(t):
    return {"type": "request", "t": t, "trace_id": f"r-{t}", "path": "/한글"}


def _metrics(t):
    return {"type": "metrics", "t": t, "load_balancers": {"Web": {"RequestCount": 3}}}


def test_a_recording_reads_back_its_events_in_order():
    recorder = Recorder(limit=100)
    first = [_request(0.5), _metrics(1.0)]
    second = [{"type": "health", "t": 1.2, "state": "healthy"}, _request(1.5)]
    recorder.add(first)
    recorder.add([])
    recorder.add(second)
    data = recorder.data()
    assert gzip.decompress(data).count(b"\n") == 4  # one JSON line per event: a real gzip
    assert recording.read(data) == first + second
    assert recorder.events == 4
    assert not recorder.omitted


def test_past_the_limit_requests_and_flows_are_counted_not_kept():
    recorder = Recorder(limit=2)
    recorder.add([_request(0.1), _request(0.2), _request(0.3)])
    recorder.add([_metrics(1.0), {"type": "flow", "t": 1.1}, {"type": "fault", "t": 1.2}])
    kept = recording.read(recorder.data())
    assert [event["type"] for event in kept] == ["request", "request", "metrics", "fault"]
    assert recorder.omitted == {"request": 1, "flow": 1}
    assert recorder.events == 4


def test_a_closed_recording_takes_no_more_and_reads_the_same():
    recorder = Recorder(limit=5)
    recorder.add([_request(0.1)])
    data = recorder.data()
    assert recorder.data() == data
    with pytest.raises(RuntimeError):
        recorder.add([_request(0.2)])


def test_an_empty_recording_reads_as_no_events():
    assert recording.read(Recorder(limit=0).data()) == []


def test_what_is_recorded_so_far_reads_back_and_the_recording_goes_on():
    recorder = Recorder(limit=10)
    recorder.add([_request(0.1), _metrics(1.0)])
    assert recording.read(recorder.so_far()) == [_request(0.1), _metrics(1.0)]
    recorder.add([_request(1.5)])
    assert recording.read(recorder.so_far()) == [_request(0.1), _metrics(1.0), _request(1.5)]
    recorder.add([_request(2.0)])
    final = recording.read(recorder.data())
    assert final == [_request(0.1), _metrics(1.0), _request(1.5), _request(2.0)]
    assert recording.read(recorder.so_far()) == final
