#!/usr/bin/env python3
"""A small, honest fake of AWS STS's query protocol for assume-role's tests.

moto's STS accepts any MFA code; this fake accepts exactly one (--good-code)
and answers like AWS otherwise. It speaks the real wire format: form-encoded
POST bodies in, XML out.

Usage: fake_sts.py --good-code CODE [--no-mfa] [--external-id ID] [--lifetime SECONDS]
--no-mfa: AssumeRole needs no MFA (a code, if sent, must still be good).
--external-id: AssumeRole is denied, as AWS denies it, unless ExternalId is ID.
--lifetime: credentials expire SECONDS from now, whatever was asked (as AWS
caps a chained role's session at one hour).
Prints PORT=NNNN on stdout once listening on 127.0.0.1.
GET /_count returns {"Action": requests_received, ...} as JSON.
Standard library only.
"""

import argparse
import base64
import json
import re
import secrets
import string
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
CALLER_ACCOUNT = "123456789012"
CALLER_ARN = f"arn:aws:iam::{CALLER_ACCOUNT}:user/fake-sts-user"
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
UPPER_ALNUM = string.ascii_uppercase + string.digits
BASE64_CHARS = string.ascii_letters + string.digits + "+/"


def random_id(prefix, length):
    return prefix + "".join(secrets.choice(UPPER_ALNUM) for _ in range(length))


class StsError(Exception):
    def __init__(self, status, code, message, kind="Sender"):
        super().__init__(message)
        self.status, self.code, self.message, self.kind = status, code, message, kind


def validation_error(message):
    return StsError(400, "ValidationError", message)


def assume_role(params, server):
    good_code = server.good_code
    role_arn = params.get("RoleArn", "")
    session = params.get("RoleSessionName", "")
    if not role_arn or not session:
        missing = "roleArn" if not role_arn else "roleSessionName"
        raise validation_error(
            f"1 validation error detected: Value null at '{missing}' "
            "failed to satisfy constraint: Member must not be null"
        )
    if not SESSION_NAME.match(session):
        raise validation_error(
            f"1 validation error detected: Value '{session}' at 'roleSessionName' "
            r"failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    duration = params.get("DurationSeconds", "3600")
    if not duration.isdigit() or not 900 <= int(duration) <= 43200:
        raise validation_error(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' "
            "failed to satisfy constraint: Member must have value between 900 and 43200"
        )
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise validation_error("Request ARN is invalid")
    account, role_name = match.groups()

    denied = f"User: {CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    if server.external_id is not None and params.get("ExternalId") != server.external_id:
        raise StsError(403, "AccessDenied", denied)
    code = params.get("TokenCode")
    if code is not None and code != good_code:
        raise StsError(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
    if not server.no_mfa and (code is None or not params.get("SerialNumber")):
        raise StsError(
            403,
            "AccessDenied",
            f"User: {CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        )

    lifetime = server.lifetime if server.lifetime is not None else int(duration)
    expiration = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
    secret = "".join(secrets.choice(BASE64_CHARS) for _ in range(40))
    token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(300)).decode()
    return (
        "<AssumeRoleResult>"
        "<Credentials>"
        f"<AccessKeyId>{random_id('ASIA', 16)}</AccessKeyId>"
        f"<SecretAccessKey>{secret}</SecretAccessKey>"
        f"<SessionToken>{token}</SessionToken>"
        f"<Expiration>{expiration.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration>"
        "</Credentials>"
        "<AssumedRoleUser>"
        f"<AssumedRoleId>{random_id('AROA', 17)}:{escape(session)}</AssumedRoleId>"
        f"<Arn>arn:aws:sts::{account}:assumed-role/{escape(role_name)}/{escape(session)}</Arn>"
        "</AssumedRoleUser>"
        "</AssumeRoleResult>"
    )


def get_caller_identity(_params, _server):
    return (
        "<GetCallerIdentityResult>"
        f"<Arn>{CALLER_ARN}</Arn>"
        f"<UserId>{random_id('AIDA', 17)}</UserId>"
        f"<Account>{CALLER_ACCOUNT}</Account>"
        "</GetCallerIdentityResult>"
    )


ACTIONS = {"AssumeRole": assume_role, "GetCallerIdentity": get_caller_identity}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-sts"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if urlsplit(self.path).path == "/_count":
            with self.server.lock:
                body = json.dumps(self.server.counts)
            self.reply(200, "application/json", body)
        else:
            self.handle_sts(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.handle_sts(self.rfile.read(length))

    def handle_sts(self, body):
        query = urlsplit(self.path).query + "&" + body.decode("utf-8", "replace")
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        action = params.get("Action", "")
        with self.server.lock:
            self.server.counts[action] = self.server.counts.get(action, 0) + 1

        request_id = str(uuid.uuid4())
        try:
            if "Authorization" not in self.headers and "X-Amz-Signature" not in params:
                raise StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
            if action not in ACTIONS:
                raise StsError(400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15")
            result = ACTIONS[action](params, self.server)
        except StsError as e:
            self.reply(
                e.status,
                "text/xml",
                f'<ErrorResponse xmlns="{NS}">'
                f"<Error><Type>{e.kind}</Type><Code>{e.code}</Code><Message>{escape(e.message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId>"
                "</ErrorResponse>",
                request_id,
            )
            return
        self.reply(
            200,
            "text/xml",
            f'<{action}Response xmlns="{NS}">{result}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</{action}Response>",
            request_id,
        )

    def reply(self, status, content_type, body, request_id=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good-code", required=True, help="the only MFA code AssumeRole accepts")
    parser.add_argument("--no-mfa", action="store_true", help="AssumeRole needs no MFA")
    parser.add_argument("--external-id", help="the only ExternalId AssumeRole accepts")
    parser.add_argument("--lifetime", type=int, help="seconds until issued credentials expire")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.good_code = args.good_code
    server.no_mfa = args.no_mfa
    server.external_id = args.external_id
    server.lifetime = args.lifetime
    server.counts = {}
    server.lock = threading.Lock()
    print(f"PORT={server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
