#!/usr/bin/env python3
"""A minimal Flask call router, for tests/bench/run.py to measure beside `vami router serve`
(issue 11: "a minimal Flask router doing the same lookup on the same database").

    flask_router.py --db STATE.db --port PORT --public-url URL --account SID --token TOKEN

`POST /twilio/voice` does what vami's router does before it would call the agent provider:
the form is parsed, `X-Twilio-Signature` is checked as Twilio's SDKs check it (HMAC-SHA1 of
the URL and the sorted parameters, with the account's Auth Token, the URL as given, without its
port and with the default port, each compared in constant time), and only then is `To` looked up
in the pool of the same state database, opened read-only. A number that no active agent takes
in webhook mode gets `<Reject/>`, as vami answers it. A routable number gets 501: this router
does not call ElevenLabs' register-call, so the comparison is made on rejects only.

Flask's own server (Werkzeug, a thread per connection, HTTP/1.1 keep-alive) serves it: Debian's
python3-flask, nothing else. Prints "listening" once it accepts connections.
"""
import argparse
import base64
import hashlib
import hmac
import sqlite3
import threading
import urllib.parse

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

REJECT = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="rejected"/></Response>'
LOOKUP = ("SELECT n.status, n.routing_mode, a.status, a.provider_agent_id, t.slug "
          "FROM numbers n LEFT JOIN agents a ON a.id = n.agent_id "
          "LEFT JOIN tenants t ON t.id = n.tenant_id WHERE n.e164 = ?")


def url_variants(url):
    """The URL as given, without its port, and with the scheme's default port."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    default = "443" if parts.scheme == "https" else "80"
    without = parts._replace(netloc=host).geturl()
    with_port = parts if parts.port else parts._replace(netloc=f"{host}:{default}")
    return [url, without, with_port.geturl()]


def signature_of(token, url, form):
    signed = url + "".join(name + value for name in sorted(form)
                           for value in form.getlist(name))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest())


def create_app(db, public_url, tokens):
    app = Flask(__name__)
    local = threading.local()

    def connection():
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        return local.db

    @app.post("/twilio/voice")
    def voice():
        if not request.mimetype == "application/x-www-form-urlencoded":
            return Response('{"error":"not_a_form"}', 415, mimetype="application/json")
        form = request.form
        token = tokens.get(form.get("AccountSid", ""))
        given = request.headers.get("X-Twilio-Signature", "").encode()
        query = request.query_string.decode()
        url = public_url + request.path + ("?" + query if query else "")
        valid = False
        if token and given:
            for candidate in url_variants(url):
                valid = hmac.compare_digest(signature_of(token, candidate, form), given) or valid
        if not valid:
            return Response('{"error":"bad_signature"}', 403, mimetype="application/json")
        row = connection().execute(LOOKUP, (form.get("To", ""),)).fetchone()
        routable = (row is not None and row[0] == "assigned" and row[1] == "webhook"
                    and row[2] == "active" and row[3])
        if not routable:
            return Response(REJECT, 200, mimetype="text/xml")
        return Response('{"error":"register_call_not_implemented"}', 501,
                        mimetype="application/json")

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--public-url", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--token", required=True)
    options = parser.parse_args()
    WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, as vami's router
    app = create_app(options.db, options.public_url.rstrip("/"), {options.account: options.token})
    server = make_server("127.0.0.1", options.port, app, threaded=True)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
