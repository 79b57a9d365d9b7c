#!/usr/bin/env python3
"""A small, honest fake of AWS STS's query protocol for assume-role's tests.

moto's STS accepts any MFA code; this fake accepts exactly one (--good-code)
and answers like AWS otherwise. It speaks the real wire format: form-encoded
POST bodies in, XML out.

GetSessionToken with the good code opens an MFA session. AssumeRole succeeds
when the request is signed with an MFA session's keys (the access key id in
the SigV4 Authorization header's Credential=, with that session's token in
X-Amz-Security-Token), or carries SerialNumber and the good TokenCode.
Session keys cannot call GetSessionToken (as on AWS). A session past its
expiry gets ExpiredToken.

Usage: fake_sts.py --good-code CODE [--no-mfa] [--external-id ID] [--lifetime SECONDS]
                   [--max-mfa-age ROLE=SECONDS]... [--deny-role ROLE]...
--no-mfa: AssumeRole needs no MFA (a code, if sent, must still be good).
--external-id: AssumeRole is denied, as AWS denies it, unless ExternalId is ID.
--lifetime: credentials expire SECONDS from now, whatever was asked (as AWS
caps a chained role's session at one hour); each a second later than the
one before at least, so that two issued within one second still differ in
expiry, as a refresh must show.
--max-mfa-age: ROLE (its name) is denied to an MFA session authenticated
more than SECONDS ago, like a policy on aws:MultiFactorAuthAge.
--deny-role: ROLE is always denied.
Prints PORT=NNNN on stdout once listening on 127.0.0.1.
GET /_count returns {"Action": requests_received, ..., "_codes": MFA codes
received, "_good_codes": ... of which were right} as JSON.
POST /_expire_sessions ends every MFA session issued so far.
POST /_age_sessions?seconds=N moves every session's MFA authentication N
seconds into the past.
Standard library only.
"""

import argparse
import base64
import json
import re
import secrets
import string
import sys
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from fakehttp import QuietHandler, serve

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


def count(server, name):
    with server.lock:
        server.counts[name] = server.counts.get(name, 0) + 1


def check_code(server, params):
    """Counts a TokenCode; raises AccessDenied when it is wrong. Returns
    whether a code was sent."""
    code = params.get("TokenCode")
    if code is None:
        return False
    count(server, "_codes")
    if code != server.good_code:
        raise StsError(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
    count(server, "_good_codes")
    return True


def signing_key(headers):
    match = re.search(r"Credential=([A-Z0-9]+)/", headers.get("Authorization", ""))
    return match.group(1) if match else None


def session_of(server, headers):
    """The MFA session that signed the request, if one did; ExpiredToken
    when it has ended."""
    key = signing_key(headers)
    with server.lock:
        session = server.sessions.get(key)
    if session is None:
        return None
    if headers.get("X-Amz-Security-Token") != session["token"]:
        raise StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    if datetime.now(timezone.utc) >= session["expiration"]:
        raise StsError(400, "ExpiredToken", "The security token included in the request is expired")
    return session


def new_credentials(seconds):
    expiration = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    secret = "".join(secrets.choice(BASE64_CHARS) for _ in range(40))
    token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(300)).decode()
    return random_id("ASIA", 16), secret, token, expiration


def credentials_xml(key, secret, token, expiration):
    return (
        "<Credentials>"
        f"<AccessKeyId>{key}</AccessKeyId>"
        f"<SecretAccessKey>{secret}</SecretAccessKey>"
        f"<SessionToken>{token}</SessionToken>"
        f"<Expiration>{expiration.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration>"
        "</Credentials>"
    )


def get_session_token(params, server, headers):
    if session_of(server, headers) is not None or "X-Amz-Security-Token" in headers:
        raise StsError(403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
    duration = params.get("DurationSeconds", "43200")
    if not duration.isdigit() or not 900 <= int(duration) <= 129600:
        raise validation_error(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' "
            "failed to satisfy constraint: Member must have value between 900 and 129600"
        )
    serial = params.get("SerialNumber")
    if not check_code(server, params) or not serial:
        raise validation_error("this fake only opens MFA sessions: pass SerialNumber and TokenCode")
    key, secret, token, expiration = new_credentials(int(duration))
    with server.lock:
        server.sessions[key] = {
            "token": token,
            "expiration": expiration,
            "authenticated": datetime.now(timezone.utc),
            "serial": serial,
        }
    return f"<GetSessionTokenResult>{credentials_xml(key, secret, token, expiration)}</GetSessionTokenResult>"


def assume_role(params, server, headers):
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
    denied = StsError(
        403,
        "AccessDenied",
        f"User: {CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
    )

    if server.external_id is not None and params.get("ExternalId") != server.external_id:
        raise denied
    mfa_session = session_of(server, headers)
    if mfa_session is not None:
        age = (datetime.now(timezone.utc) - mfa_session["authenticated"]).total_seconds()
        max_age = server.max_mfa_age.get(role_name)
        if max_age is not None and age > max_age:
            raise denied
    else:
        sent = check_code(server, params)
        if not server.no_mfa and (not sent or not params.get("SerialNumber")):
            raise denied
    if role_name in server.deny_roles:
        raise denied

    lifetime = server.lifetime if server.lifetime is not None else int(duration)
    key, secret, token, expiration = new_credentials(lifetime)
    if server.lifetime is not None:
        with server.lock:
            expiration = max(expiration.replace(microsecond=0), server.last_expiration + timedelta(seconds=1))
            server.last_expiration = expiration
    return (
        "<AssumeRoleResult>"
        f"{credentials_xml(key, secret, token, expiration)}"
        "<AssumedRoleUser>"
        f"<AssumedRoleId>{random_id('AROA', 17)}:{escape(session)}</AssumedRoleId>"
        f"<Arn>arn:aws:sts::{account}:assumed-role/{escape(role_name)}/{escape(session)}</Arn>"
        "</AssumedRoleUser>"
        "</AssumeRoleResult>"
    )


def get_caller_identity(_params, _server, _headers):
    return (
        "<GetCallerIdentityResult>"
        f"<Arn>{CALLER_ARN}</Arn>"
        f"<UserId>{random_id('AIDA', 17)}</UserId>"
        f"<Account>{CALLER_ACCOUNT}</Account>"
        "</GetCallerIdentityResult>"
    )


ACTIONS = {
    "AssumeRole": assume_role,
    "GetCallerIdentity": get_caller_identity,
    "GetSessionToken": get_session_token,
}


class Handler(QuietHandler):
    server_version = "fake-sts"

    def do_GET(self):
        if urlsplit(self.path).path == "/_count":
            with self.server.lock:
                body = json.dumps(self.server.counts)
            self.reply(200, "application/json", body)
        else:
            self.handle_sts(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        if url.path == "/_expire_sessions":
            with self.server.lock:
                for session in self.server.sessions.values():
                    session["expiration"] = datetime.now(timezone.utc) - timedelta(seconds=1)
            self.reply(200, "text/plain", "ok")
        elif url.path == "/_age_sessions":
            seconds = int(parse_qs(url.query)["seconds"][0])
            with self.server.lock:
                for session in self.server.sessions.values():
                    session["authenticated"] -= timedelta(seconds=seconds)
            self.reply(200, "text/plain", "ok")
        else:
            self.handle_sts(body)

    def handle_sts(self, body):
        query = urlsplit(self.path).query + "&" + body.decode("utf-8", "replace")
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        action = params.get("Action", "")
        count(self.server, action)

        request_id = str(uuid.uuid4())
        try:
            if "Authorization" not in self.headers and "X-Amz-Signature" not in params:
                raise StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
            if action not in ACTIONS:
                raise StsError(400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15")
            result = ACTIONS[action](params, self.server, self.headers)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good-code", required=True, help="the only MFA code AssumeRole accepts")
    parser.add_argument("--no-mfa", action="store_true", help="AssumeRole needs no MFA")
    parser.add_argument("--external-id", help="the only ExternalId AssumeRole accepts")
    parser.add_argument("--lifetime", type=int, help="seconds until issued credentials expire")
    parser.add_argument("--max-mfa-age", action="append", default=[], metavar="ROLE=SECONDS")
    parser.add_argument("--deny-role", action="append", default=[], metavar="ROLE")
    args = parser.parse_args()

    return serve(
        Handler,
        good_code=args.good_code,
        no_mfa=args.no_mfa,
        external_id=args.external_id,
        lifetime=args.lifetime,
        last_expiration=datetime.min.replace(tzinfo=timezone.utc),
        counts={},
        sessions={},
        max_mfa_age={r: int(s) for r, s in (a.split("=", 1) for a in args.max_mfa_age)},
        deny_roles=set(args.deny_role),
    )


if __name__ == "__main__":
    sys.exit(main())
