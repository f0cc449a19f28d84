"""Every Twilio operation vami uses, checked against the official documents (zero violations).

The mocks are stateless and answer with the documents' examples, so these tests check what
vami sends and that it parses what Twilio documents, not behaviour."""
import json
import re


def served_requests(log_text):
    return re.findall(r"\[HTTP SERVER\] (get|post|delete|patch|put) (\S+)", log_text)


def test_twilio_operations_follow_the_official_contract(contract):
    run, violations, log = contract

    search = run("numbers", "search", "--area-code", "212", "--contains", "42$", "--json")
    assert search.returncode == 0, search.stderr
    found = json.loads(search.stdout)
    assert found and found[0]["e164"].startswith("+1")  # the document's example number
    assert found[0]["monthly_price"] is not None       # Pricing v1 example parsed

    for kind in ("toll-free",):
        result = run("numbers", "search", "--type", kind, "--json")
        assert result.returncode == 0, result.stderr

    bought = run("numbers", "buy", "--count", "1", "--area-code", "212", "--yes", "--json")
    assert bought.returncode == 0, bought.stderr
    report = json.loads(bought.stdout)
    assert report["succeeded"] == 1
    e164 = report["items"][0]["e164"]

    listed = run("numbers", "list", "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1
    assert run("numbers", "show", e164).returncode == 0

    # Update and read back: the mock answers with its example number, so the read-back cannot
    # match; what matters here is that both requests are valid.
    run("webhooks", "set", e164, "--voice-url", "https://router.example.com/voice",
        "--voice-method", "POST", "--status-callback", "https://router.example.com/status")
    # Without --status-callback, no StatusCallback at all (an empty one is not a uri).
    run("webhooks", "set", e164, "--voice-url", "https://router.example.com/voice")
    run("webhooks", "show", e164)

    released = run("numbers", "release", e164, "--yes")
    assert released.returncode == 0, released.stderr

    # Prism logs each request it serves as "[HTTP SERVER] <method> <path> ..." (its start-up
    # listing of the document's example paths uses other lines, so only served requests count).
    served = served_requests(log("twilio")) + served_requests(log("twilio-pricing"))
    account = "/2010-04-01/Accounts/AC" + "a" * 32
    for method, path in [
        ("get", account + "/AvailablePhoneNumbers/US/Local.json"),
        ("get", account + "/AvailablePhoneNumbers/US/TollFree.json"),
        ("post", account + "/IncomingPhoneNumbers.json"),
        ("get", account + "/IncomingPhoneNumbers.json"),
        ("post", account + "/IncomingPhoneNumbers/PN"),
        ("delete", account + "/IncomingPhoneNumbers/PN"),
        ("get", "/v1/PhoneNumbers/Countries/US"),
    ]:
        assert any(m == method and p.startswith(path) for m, p in served), \
            f"no {method.upper()} {path} reached the mocks"

    code, report_text = violations()
    assert code == 0, "contract violations:\n" + report_text
