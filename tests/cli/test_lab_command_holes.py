"""``manage.py lab run``: no tracebacks, no silent drops, and an exit code that says so."""

import json

import pytest

from tests.commands import json_lines

from .test_lab_command import ROOT, STARTER, lab

pytestmark = pytest.mark.timeout(60)
STARTERS = ROOT / "labs" / "starters"


def _script(tmp_path, *lines):
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    return str(path)


def _refused(result, *expected):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr
    assert result.stdout == ""


def test_a_template_that_is_not_utf8_exits_2_saying_so(tmp_path):
    template = tmp_path / "latin1.yaml"
    template.write_bytes(STARTER.read_bytes() + "# caf\xe9\n".encode("latin-1"))
    _refused(lab(str(template)), f"{template}: not UTF-8 text (byte 0xe9 at offset")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--duration", "nan", "argument --duration: 'nan' is not a finite number"),
        ("--duration", "-1", "--duration must be more than 0 and at most 3600 seconds"),
        ("--rps", "inf", "argument --rps: 'inf' is not a finite number"),
        ("--clock", "soon", "argument --clock: 'soon' is not a number"),
    ],
)
def test_a_bad_number_option_exits_2_naming_it(option, value, message):
    _refused(lab(str(STARTER), option, value), message)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"url": "http://a.example.com/", "wait": "soon"}, '"wait" must be a number'),
        ({"url": "http://a.example.com/", "wait": -1}, '"wait" must be from 0 to 3600'),
        ({"url": "http://a.example.com:99999/"}, "Port out of range 0-65535"),
        ({"url": "http://a.example.com:http/"}, "'http://a.example.com:http/'"),
        ({"url": "ftp://a.example.com/"}, "must start with http:// or https://"),
        ({"url": "http://a.example.com/", "client_ip": "::1"}, "\"client_ip\" '::1' must be"),
        ({"url": "http://a.example.com/", "headers": {"X-Name": "김"}}, "not Latin-1 text"),
        ({"url": "http://a.example.com/", "headers": {"X Name": "a"}}, "not a valid HTTP token"),
        ({"url": "http://a.example.com/", "headers": {"X-A": "a\r\nX-B: b"}}, "a line break"),
        ({"url": "http://a.example.com/", "method": "GE T"}, "is not an HTTP method"),
        ({"url": "http://a.example.com/", "body": {"a": 1}}, '"body" must be a string'),
        # JSON can spell a lone surrogate; UTF-8 cannot encode it (only \udc80-\udcff
        # stand for raw bytes 0x80-0xff).
        ({"url": "http://a.example.com/", "body": "\ud800"}, "\"body\" holds '\\ud800'"),
    ],
)
def test_a_bad_requests_line_exits_2_naming_the_line_and_the_problem(tmp_path, line, message):
    script = _script(tmp_path, {"url": "http://a.example.com/"}, line)
    _refused(lab(str(STARTER), "--requests", script), f"{script}:2: ", message)


def test_a_requests_file_that_is_not_utf8_exits_2(tmp_path):
    script = tmp_path / "requests.jsonl"
    script.write_bytes(b'{"url": "http://a.example.com/\xff"}\n')
    _refused(lab(str(STARTER), "--requests", str(script)), "not UTF-8 text (byte 0xff")


def test_a_topology_the_runtime_cannot_run_yet_exits_2_in_one_line(tmp_path):
    # A Classic LB whose listeners use two instance ports is not simulated yet.
    document = (STARTERS / "classic-lb.yaml").read_text(encoding="utf-8")
    ports = tmp_path / "classic-two-instance-ports.yaml"
    listener = '        - LoadBalancerPort: "80"\n          InstancePort: "80"\n'
    assert listener in document
    second = listener.replace('"80"', '"8080"') + "          Protocol: HTTP\n"
    ports.write_text(document.replace(listener, second + listener, 1))
    result = lab(str(ports), "--json")
    _refused(result, "cannot run this topology yet", "different instance ports")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_classic_load_balancer_starter_runs_with_2xx_answers():
    result = lab(str(STARTERS / "classic-lb.yaml"), "--duration", "3", "--json")
    assert result.returncode == 0, result.stderr
    requests = [e for e in json_lines(result) if e["type"] == "request"]
    assert requests
    assert {e["elb_status_code"] for e in requests} == {200}
    assert {e["reason"] for e in requests} == {"least_outstanding_requests"}


def test_a_request_without_an_answer_is_reported_and_exits_1(tmp_path):
    script = _script(
        tmp_path,
        {"url": "http://a.example.com/one"},
        {"url": "http://a.example.com:8080/two"},  # no listener there
        {"url": "http://a.example.com/three"},
    )
    result = lab(str(STARTER), "--requests", script, "--json", "--clock", "30")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "request 2 (http://a.example.com:8080/two): no listener on port 8080" in result.stderr
    assert "1 of 3 requests were not answered" in result.stderr
    finished = json_lines(result)[-1]
    assert finished["reason"] == "requests-failed"
    assert finished["summary"]["script"] == {
        "requests": 3,
        "answered": 2,
        "errors": [
            {
                "request": 2,
                "url": "http://a.example.com:8080/two",
                "error": "no listener on port 8080",
            }
        ],
    }


def test_requests_the_run_had_no_time_for_are_reported_and_exit_1(tmp_path):
    script = _script(
        tmp_path, {"url": "http://a.example.com/"}, {"url": "http://a.example.com/", "wait": 3000}
    )
    result = lab(str(STARTER), "--requests", script, "--duration", "2", "--clock", "30")
    assert result.returncode == 1, result.stderr
    assert "request 2 (http://a.example.com/): not sent: the run ended first" in result.stderr


def test_every_request_answered_exits_0(tmp_path):
    script = _script(
        tmp_path,
        {"url": "http://a.example.com/", "client": "a"},
        {"url": "http://a.example.com/", "client": "a", "wait": 70},  # past the idle timeout
        {
            "url": "http://a.example.com/up",
            "method": "PUT",
            "body": "x",
            "client": "a",
            "headers": {"Expect": "100-continue"},
        },
    )
    result = lab(str(STARTER), "--requests", script, "--json", "--clock", "30")
    assert result.returncode == 0, result.stderr
    finished = json_lines(result)[-1]
    assert finished["summary"]["script"] == {"requests": 3, "answered": 3, "errors": []}


def test_the_help_documents_the_exit_codes():
    result = lab("--help")
    assert result.returncode == 0
    assert "exit codes:" in result.stdout
    assert "  1  with --requests, some requests were not sent or got no answer" in result.stdout
