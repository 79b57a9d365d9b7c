#!/usr/bin/env python3
"""A small, honest fake of the AWS federation sign-in endpoint for assume-role's tests.

moto has no sign-in endpoint. This fake speaks its wire format: GET
/federation?Action=getSigninToken&Session=<JSON> answers {"SigninToken": ...}
as JSON; GET /federation?Action=login&Issuer=...&Destination=...&SigninToken=...
redirects (302) to Destination when the token is one it issued, unused, and
less than 15 minutes old, as the real endpoint does.

The session JSON must be an object of exactly sessionId, sessionKey and
sessionToken (temporary credentials: all three non-empty), or the answer is
400. SessionDuration is refused (400): for credentials from AssumeRole the
real endpoint refuses it too.

Usage: fake_signin.py [--refuse]   (--refuse: every getSigninToken gets 400)
Prints PORT=NNNN on stdout once listening on 127.0.0.1.
GET /_log returns, as JSON, every request received: method, action, the
parameter names in order, and the parsed session (so that the tests can
compare the keys with the ones moto issued).
Standard library only.
"""

import argparse
import json
import secrets
import sys
import time
from urllib.parse import parse_qsl, urlsplit

from fakehttp import QuietHandler, serve

SESSION_KEYS = ["sessionId", "sessionKey", "sessionToken"]
TOKEN_LIFETIME = 15 * 60


class Refused(Exception):
    pass


class Handler(QuietHandler):
    server_version = "fake-signin"

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/_log":
            with self.server.lock:
                body = json.dumps(self.server.log)
            self.reply(200, "application/json", body)
            return
        pairs = parse_qsl(url.query, keep_blank_values=True)
        params = dict(pairs)
        entry = {
            "method": "GET",
            "path": url.path,
            "action": params.get("Action"),
            "params": [name for name, _ in pairs],
            "user_agent": self.headers.get("User-Agent"),
        }
        try:
            if url.path != "/federation":
                raise Refused("no such page")
            if params.get("Action") == "getSigninToken":
                entry["session"] = self.session(params)
                if self.server.refuse:
                    raise Refused("refused")
                token = secrets.token_urlsafe(48)
                with self.server.lock:
                    self.server.tokens[token] = (time.time(), entry["session"]["sessionId"])
                self.reply(200, "application/json", json.dumps({"SigninToken": token}))
            elif params.get("Action") == "login":
                destination = params.get("Destination", "")
                with self.server.lock:
                    issued = self.server.tokens.pop(params.get("SigninToken", ""), None)
                if issued is None or time.time() - issued[0] > TOKEN_LIFETIME:
                    raise Refused("unknown, used or expired sign-in token")
                if not destination.startswith("https://"):
                    raise Refused("bad destination")
                entry["signed_in_as"] = issued[1]
                self.send_response(302)
                self.send_header("Location", destination)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                raise Refused("unknown action")
        except Refused as e:
            entry["refused"] = str(e)
            # The real endpoint answers a bad request with a short HTML page.
            self.reply(400, "text/html", "<html><body>Bad Request</body></html>")
        finally:
            with self.server.lock:
                self.server.log.append(entry)

    def session(self, params):
        if "SessionDuration" in params:
            raise Refused("SessionDuration is not allowed with role credentials")
        try:
            session = json.loads(params.get("Session", ""))
        except ValueError:
            raise Refused("Session is not JSON")
        if not isinstance(session, dict) or sorted(session) != sorted(SESSION_KEYS):
            raise Refused("Session must hold exactly " + ", ".join(SESSION_KEYS))
        if not all(isinstance(session[k], str) and session[k] for k in SESSION_KEYS):
            raise Refused("Session values must be non-empty strings")
        return session


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refuse", action="store_true", help="answer every getSigninToken with 400")
    args = parser.parse_args()

    return serve(Handler, refuse=args.refuse, log=[], tokens={})


if __name__ == "__main__":
    sys.exit(main())
