"""`vami sandbox serve` with injected faults: 429s, 5xx, lost responses, held connections, and
the counters tests assert on (GET /__sandbox/stats, and one stderr line on exit)."""
import base64
import http.client
import json
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import VAMI, Sandbox, clean_environment

STATS_PREFIX = "vami: sandbox stats: "


@pytest.fixture
def serve(tmp_path, home):
    """Starts `vami sandbox serve` with extra flags; every server started is stopped after."""
    started = []

    def start(*args, state="faults-sandbox.db", latency_ms=0):
        server = Sandbox(tmp_path / state, clean_environment(home), latency_ms=latency_ms,
                         extra_args=args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def numbers_path(sandbox):
    return f"/2010-04-01/Accounts/{sandbox.account_sid}/IncomingPhoneNumbers.json"


def send(sandbox, method, path, form=None, timeout=30):
    """One request with the sandbox's Twilio credentials: (status, headers, body as JSON)."""
    credentials = f"{sandbox.account_sid}:{sandbox.auth_token}".encode()
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(sandbox.base_url + path, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return response.status, response.headers, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, error.headers, json.loads(body) if body else None


def no_response(sandbox, method, path, form=None, timeout=30):
    """True when the connection ends without any response (not even a 5xx)."""
    try:
        status, _, _ = send(sandbox, method, path, form, timeout)
    except (ConnectionError, http.client.HTTPException, urllib.error.URLError):
        return True
    pytest.fail(f"{method} {path} got a response: {status}")


def stats(sandbox):
    with urllib.request.urlopen(sandbox.base_url + "/__sandbox/stats", timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def wait_until(condition):
    """Polls `condition` (a synchronisation, not a timing assertion); gives up after a minute."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the sandbox never got there"
        time.sleep(0.02)


def stop_and_read_stats(sandbox):
    sandbox.stop()
    lines = [line for line in sandbox.process.stderr.read().splitlines()
             if line.startswith(STATS_PREFIX)]
    assert len(lines) == 1, lines
    return json.loads(lines[0].removeprefix(STATS_PREFIX))


def test_exports_include_the_elevenlabs_base_url_and_key(serve):
    sandbox = serve()
    assert sandbox.exports["VAMI_ELEVENLABS_BASE_URL"] == sandbox.base_url
    assert "ELEVENLABS_API_KEY" in sandbox.exports
    assert sandbox.exports["VAMI_TWILIO_PRICING_BASE_URL"] == sandbox.base_url
    assert sandbox.api_key["TWILIO_API_KEY"].startswith("SK")


def test_requests_and_statuses_are_counted_and_printed_on_exit(serve):
    sandbox = serve("--seed", "11")
    assert send(sandbox, "GET", numbers_path(sandbox))[0] == 200
    assert send(sandbox, "GET", numbers_path(sandbox))[0] == 200
    assert sandbox.request("GET", numbers_path(sandbox), token="f" * 32)[0] == 401
    counted = stats(sandbox)
    assert counted["requests"] == 3
    assert counted["by_status"] == {"200": 2, "401": 1}
    assert counted["injected"] == {"rate_limited": 0, "failed": 0, "dropped": 0, "nth": 0}
    assert counted["peak_concurrency"] >= 1
    assert counted["in_flight"] == 0
    assert counted["seed"] == 11
    # Reading the stats is not a request of the emulated APIs.
    assert stats(sandbox)["requests"] == 3
    assert stop_and_read_stats(sandbox) == counted


def test_over_the_rate_limit_twilio_answers_20429_and_elevenlabs_a_detail(serve):
    # One request per 100 s: the first passes, every other one in this test is over the limit.
    sandbox = serve("--rate-limit", "0.01")
    assert send(sandbox, "GET", numbers_path(sandbox))[0] == 200
    status, headers, body = send(sandbox, "GET", numbers_path(sandbox))
    assert status == 429
    assert body == {"code": 20429, "message": "Too Many Requests",
                    "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}
    assert int(headers["Retry-After"]) >= 1
    assert headers["Twilio-Request-Id"].startswith("RQ")

    status, headers, body = send(sandbox, "GET", "/v1/voices")
    assert status == 429
    assert body["detail"]["status"] == "too_many_concurrent_requests"
    assert body["detail"]["message"]
    assert int(headers["Retry-After"]) >= 1

    # A 429 is never processed: a purchase over the limit buys nothing.
    status, _, _ = send(sandbox, "POST", numbers_path(sandbox), {"AreaCode": "212"})
    assert status == 429
    counted = stop_and_read_stats(sandbox)
    assert counted["requests"] == 4
    assert counted["by_status"] == {"200": 1, "429": 3}
    assert counted["injected"]["rate_limited"] == 3
    assert serve(state="faults-sandbox.db").owned() == []


def test_requests_beyond_max_concurrent_get_429_and_the_peak_is_counted(serve):
    # The long latency holds the first request in flight while the second arrives.
    sandbox = serve("--max-concurrent", "1", latency_ms=3000)
    first = {}
    worker = threading.Thread(
        target=lambda: first.update(status=send(sandbox, "GET", numbers_path(sandbox))[0]))
    worker.start()
    wait_until(lambda: stats(sandbox)["in_flight"] == 1)
    status, headers, body = send(sandbox, "GET", numbers_path(sandbox))
    worker.join()
    assert status == 429 and body["code"] == 20429
    assert headers["Retry-After"] == "1"
    assert first["status"] == 200
    counted = stats(sandbox)
    assert counted["peak_concurrency"] == 1
    assert counted["in_flight"] == 0
    assert counted["injected"]["rate_limited"] == 1
    assert counted["by_status"] == {"200": 1, "429": 1}


def test_a_fail_rate_of_one_answers_5xx_without_acting(serve):
    sandbox = serve("--fail-rate", "1", "--seed", "3")
    statuses = set()
    for _ in range(12):
        status, _, body = send(sandbox, "POST", numbers_path(sandbox), {"AreaCode": "212"})
        assert status in (500, 503)
        assert body["code"] == {500: 20500, 503: 20503}[status]
        assert body["status"] == status
        statuses.add(status)
    assert statuses == {500, 503}  # seed 3 draws both
    assert stats(sandbox)["injected"]["failed"] == 12
    sandbox.stop()
    assert serve(state="faults-sandbox.db").owned() == []


def test_the_same_seed_gives_the_same_faults(serve):
    def statuses(sandbox):
        return [send(sandbox, "GET", numbers_path(sandbox))[0] for _ in range(20)]

    first = statuses(serve("--fail-rate", "0.5", "--seed", "1234", state="a.db"))
    again = statuses(serve("--fail-rate", "0.5", "--seed", "1234", state="b.db"))
    assert first == again
    assert 200 in first and any(status >= 500 for status in first)


def test_a_dropped_response_is_a_cut_connection_after_the_purchase_happened(serve):
    sandbox = serve("--drop-rate", "1")
    assert no_response(sandbox, "POST", numbers_path(sandbox),
                       {"AreaCode": "212", "FriendlyName": "lost answer"})
    counted = stop_and_read_stats(sandbox)
    assert counted["requests"] == 1
    assert counted["injected"]["dropped"] == 1
    assert counted["by_status"] == {}
    owned = serve(state="faults-sandbox.db").owned()
    assert [number["friendly_name"] for number in owned] == ["lost answer"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_sees_an_empty_reply_not_an_error_status(serve):
    sandbox = serve("--fail-nth", "1:drop")
    result = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u",
         f"{sandbox.account_sid}:{sandbox.auth_token}", sandbox.base_url + numbers_path(sandbox)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 52, result  # CURLE_GOT_NOTHING: "Empty reply from server"
    assert result.stdout == "000"


def test_fail_nth_hits_the_numbered_requests_with_their_kind(serve):
    sandbox = serve("--fail-nth", "2", "--fail-nth", "3:429", "--fail-nth", "4:refuse",
                    "--fail-nth", "5:timeout", "--timeout-ms", "500", "--fail-nth", "6:drop")
    path = numbers_path(sandbox)
    assert send(sandbox, "GET", path)[0] == 200
    status, _, body = send(sandbox, "GET", path)
    assert (status, body["code"]) == (500, 20500)
    status, headers, body = send(sandbox, "GET", path)
    assert (status, body["code"]) == (429, 20429) and headers["Retry-After"]
    assert no_response(sandbox, "POST", path, {"AreaCode": "212", "FriendlyName": "refused"})
    assert no_response(sandbox, "POST", path, {"AreaCode": "212", "FriendlyName": "held"})
    assert no_response(sandbox, "POST", path, {"AreaCode": "212", "FriendlyName": "dropped"})
    assert send(sandbox, "GET", path)[0] == 200
    counted = stop_and_read_stats(sandbox)
    assert counted["requests"] == 7
    assert counted["injected"]["nth"] == 5
    assert counted["by_status"] == {"200": 2, "500": 1, "429": 1}
    # refuse never acts; timeout and drop act and lose the answer.
    owned = serve(state="faults-sandbox.db").owned()
    assert sorted(number["friendly_name"] for number in owned) == ["dropped", "held"]


def test_stopping_does_not_wait_for_a_held_connection(serve):
    sandbox = serve("--fail-nth", "1:timeout", "--timeout-ms", "600000")
    worker = threading.Thread(target=no_response, args=(sandbox, "GET", numbers_path(sandbox)),
                              kwargs={"timeout": 120})
    worker.start()
    wait_until(lambda: stats(sandbox)["requests"] == 1)
    sandbox.process.send_signal(signal.SIGINT)
    assert sandbox.process.wait(timeout=30) == 0
    worker.join()
    lines = [line for line in sandbox.process.stderr.read().splitlines()
             if line.startswith(STATS_PREFIX)]
    assert json.loads(lines[0].removeprefix(STATS_PREFIX))["injected"]["nth"] == 1


@pytest.mark.parametrize("flags, named", [
    (["--fail-rate", "1.5"], "--fail-rate"),
    (["--drop-rate", "-0.1"], "--drop-rate"),
    (["--rate-limit", "0"], "--rate-limit"),
    (["--max-concurrent", "0"], "--max-concurrent"),
    (["--fail-nth", "0"], "--fail-nth"),
    (["--fail-nth", "3:boom"], "--fail-nth"),
    (["--fail-nth", "x:500"], "--fail-nth"),
    (["--jitter-ms", "-1"], "--jitter-ms"),
    (["--timeout-ms", "0"], "--timeout-ms"),
])
def test_flag_values_out_of_range_are_usage_errors(tmp_path, home, flags, named):
    result = subprocess.run(
        [VAMI, "sandbox", "serve", "--port", "0", "--state", str(tmp_path / "s.db"), *flags],
        env=clean_environment(home), capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert named in result.stderr
    assert not (tmp_path / "s.db").exists()
