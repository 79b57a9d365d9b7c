#!/usr/bin/env python3
"""A small, honest fake of AWS STS whose credentials really expire.

moto never expires the keys it issues; this fake does. AssumeRole (signed
with any key) returns credentials that expire --ttl seconds later, whatever
DurationSeconds asked for. GetCallerIdentity checks the request's SigV4
signature against the secret it issued, and the session token, and refuses
with ExpiredToken once the credentials have expired, as AWS does; it answers
with the assumed-role ARN. A key it did not issue is the base user's.

With --mfa-code CODE, AssumeRole also wants that TokenCode (and a
SerialNumber), unless signed with session credentials from GetSessionToken,
which wants the code too; those expire after --ttl as well.

Usage: expiring_sts.py [--ttl SECONDS] [--mfa-code CODE]
Prints PORT=NNNN on stdout once listening on 127.0.0.1.
GET /_calls returns every STS request as JSON: [{"action", "key", "status"}].
GET /_deny makes every later AssumeRole an AccessDenied.
Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import string
import sys
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

from fakehttp import QuietHandler, serve

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ACCOUNT = "123456789012"
BASE_ARN = f"arn:aws:iam::{ACCOUNT}:user/base-user"
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")
AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
    r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$"
)
UPPER_ALNUM = string.ascii_uppercase + string.digits
BASE64_CHARS = string.ascii_letters + string.digits + "+/"


def random_id(prefix, length):
    return prefix + "".join(secrets.choice(UPPER_ALNUM) for _ in range(length))


class StsError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(handler, body, secret, date, region, service, signed_headers):
    """SigV4 as AWS computes it, for the request as received."""
    url = urlsplit(handler.path)
    query = "&".join(
        sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in parse_qsl(url.query, keep_blank_values=True))
    )
    names = signed_headers.split(";")
    headers = "".join(f"{n}:{' '.join((handler.headers.get(n) or '').split())}\n" for n in names)
    payload = handler.headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join([handler.command, quote(url.path or "/", safe="/-_.~"), query, headers, signed_headers, payload])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", handler.headers.get("x-amz-date", ""), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = sign(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        key = sign(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class Handler(QuietHandler):
    server_version = "expiring-sts"

    def do_GET(self):
        if urlsplit(self.path).path == "/_calls":
            with self.server.lock:
                body = json.dumps(self.server.calls)
            self.reply(200, "application/json", body)
        elif urlsplit(self.path).path == "/_deny":
            with self.server.lock:
                self.server.deny = True
            self.reply(200, "text/plain", "denying")
        else:
            self.reply(404, "text/plain", "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = params.get("Action", "")
        request_id = str(uuid.uuid4())
        key = ""
        try:
            match = AUTH.match(self.headers.get("Authorization", ""))
            if not match:
                raise StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
            key, date, region, service, signed_headers, signature = match.groups()
            self.check_issued(key, body, date, region, service, signed_headers, signature)
            if action == "AssumeRole":
                self.check_mfa(params, key)
                result = self.assume_role(params)
            elif action == "GetSessionToken":
                self.check_mfa(params, None)
                result = self.get_session_token()
            elif action == "GetCallerIdentity":
                result = self.get_caller_identity(key)
            else:
                raise StsError(400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15")
        except StsError as e:
            self.record(action, key, e.status)
            self.reply(
                e.status,
                "text/xml",
                f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{e.code}</Code>'
                f"<Message>{escape(e.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                request_id,
            )
            return
        self.record(action, key, 200)
        self.reply(
            200,
            "text/xml",
            f'<{action}Response xmlns="{NS}">{result}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>",
            request_id,
        )

    def check_issued(self, key, body, date, region, service, signed_headers, signature):
        """Keys this fake issued: signature, session token and expiry checked."""
        with self.server.lock:
            issued = self.server.issued.get(key)
        if issued is None:
            return  # the base user's key: not ours to check
        want = expected_signature(self, body, issued["secret"], date, region, service, signed_headers)
        if not hmac.compare_digest(want, signature):
            raise StsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
        if self.headers.get("X-Amz-Security-Token") != issued["token"]:
            raise StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        if time.time() >= issued["expires"]:
            raise StsError(400, "ExpiredToken", "The security token included in the request is expired")

    def check_mfa(self, params, key):
        code = self.server.mfa_code
        if code is None:
            return
        with self.server.lock:
            session = self.server.issued.get(key, {}).get("session", False)
        if session:
            return
        if params.get("TokenCode") != code or not params.get("SerialNumber"):
            raise StsError(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")

    def issue(self, arn, session=False):
        key = random_id("ASIA", 16)
        secret = "".join(secrets.choice(BASE64_CHARS) for _ in range(40))
        token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(200)).decode()
        expires = int(time.time()) + self.server.ttl
        with self.server.lock:
            self.server.issued[key] = {"secret": secret, "token": token, "expires": expires, "arn": arn, "session": session}
        stamp = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{stamp}</Expiration></Credentials>"
        )

    def get_session_token(self):
        return f"<GetSessionTokenResult>{self.issue(BASE_ARN, session=True)}</GetSessionTokenResult>"

    def assume_role(self, params):
        role_arn = params.get("RoleArn", "")
        session = params.get("RoleSessionName", "")
        match = ROLE_ARN.match(role_arn)
        if not match or not session:
            raise StsError(400, "ValidationError", "Request ARN is invalid")
        account, role_name = match.groups()
        with self.server.lock:
            deny = self.server.deny
        if deny:
            raise StsError(
                403, "AccessDenied", f"User: {BASE_ARN} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )
        key = random_id("ASIA", 16)
        secret = "".join(secrets.choice(BASE64_CHARS) for _ in range(40))
        token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(200)).decode()
        # Whole seconds, as AWS gives them, so the client's idea of the
        # expiry is never later than ours.
        expires = int(time.time()) + self.server.ttl
        arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}"
        with self.server.lock:
            self.server.issued[key] = {"secret": secret, "token": token, "expires": expires, "arn": arn}
        stamp = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            "<AssumeRoleResult><Credentials>"
            f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{stamp}</Expiration>"
            "</Credentials><AssumedRoleUser>"
            f"<AssumedRoleId>{random_id('AROA', 17)}:{escape(session)}</AssumedRoleId><Arn>{escape(arn)}</Arn>"
            "</AssumedRoleUser></AssumeRoleResult>"
        )

    def get_caller_identity(self, key):
        with self.server.lock:
            issued = self.server.issued.get(key)
        arn = issued["arn"] if issued else BASE_ARN
        return (
            f"<GetCallerIdentityResult><Arn>{escape(arn)}</Arn>"
            f"<UserId>{random_id('AIDA', 17)}</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult>"
        )

    def record(self, action, key, status):
        with self.server.lock:
            self.server.calls.append({"action": action, "key": key, "status": status})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttl", type=int, default=25, help="seconds every issued credential lives")
    parser.add_argument("--mfa-code", help="the only MFA code accepted, when MFA is wanted")
    args = parser.parse_args()
    return serve(Handler, ttl=args.ttl, issued={}, calls=[], deny=False, mfa_code=args.mfa_code)


if __name__ == "__main__":
    sys.exit(main())
