#!/usr/bin/env python3
"""A small, honest fake of the IAM Identity Center (SSO) portal for assume-role's tests.

It answers the one call an SSO profile makes, GetRoleCredentials, in the real
wire format (restJson1):

    GET /federation/credentials?account_id=ACCOUNT&role_name=ROLE
    x-amz-sso_bearer_token: TOKEN
    -> 200 {"roleCredentials": {"accessKeyId", "secretAccessKey",
                                "sessionToken", "expiration": epoch-ms}}

A token it was not given (--token) is refused as the portal refuses an expired
or revoked one: 401, x-amzn-ErrorType: UnauthorizedException. The credentials
handed out are real ones from moto (--moto): AssumeRole of the permission set's
role, arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ROLE_<id>,
with the user (--user) as the session name, exactly as GetCallerIdentity shows
an SSO user in AWS.

Usage: fake_sso.py --moto URL --token TOKEN [--token ...] [--user NAME]
Prints PORT=NNNN on stdout once listening on 127.0.0.1.
GET /_count returns {"GetRoleCredentials": requests_received} as JSON.
Standard library only.
"""

import argparse
import hashlib
import json
import sys
import threading
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime
from http.server import BaseHTTPRequestHandler

from fakehttp import serve

STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def assume_in_moto(moto, account, role_name, user):
    """Role credentials from moto for the permission set `role_name`."""
    suffix = hashlib.sha1(f"{account}/{role_name}".encode()).hexdigest()[:16]
    role_arn = (
        f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/"
        f"AWSReservedSSO_{role_name}_{suffix}"
    )
    body = urllib.parse.urlencode(
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": role_arn,
            "RoleSessionName": user,
            "DurationSeconds": "3600",
        }
    ).encode()
    request = urllib.request.Request(
        moto + "/",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Host": "sts.amazonaws.com",
            # moto reads the caller's account from the key; it checks no signature.
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        tree = ET.fromstring(response.read())
    creds = tree.find(f".//{STS_NS}Credentials")
    get = lambda name: creds.find(f"{STS_NS}{name}").text
    expiration = get("Expiration").replace("Z", "+00:00")
    return {
        "accessKeyId": get("AccessKeyId"),
        "secretAccessKey": get("SecretAccessKey"),
        "sessionToken": get("SessionToken"),
        "expiration": int(datetime.fromisoformat(expiration).timestamp() * 1000),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--moto", required=True)
    parser.add_argument("--token", action="append", default=[])
    parser.add_argument("--user", default="alice@example.com")
    args = parser.parse_args()
    counts = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def reply(self, status, body, error_type=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/_count":
                with lock:
                    return self.reply(200, dict(counts))
            if url.path != "/federation/credentials":
                return self.reply(404, {"message": "not found"}, "ResourceNotFoundException")
            with lock:
                counts["GetRoleCredentials"] = counts.get("GetRoleCredentials", 0) + 1
            query = urllib.parse.parse_qs(url.query)
            account = query.get("account_id", [""])[0]
            role = query.get("role_name", [""])[0]
            token = self.headers.get("x-amz-sso_bearer_token")
            if not account or not role or not token:
                return self.reply(
                    400,
                    {"message": "account_id, role_name and x-amz-sso_bearer_token are required"},
                    "InvalidRequestException",
                )
            if token not in args.token:
                return self.reply(
                    401, {"message": "Session token not found or invalid"}, "UnauthorizedException"
                )
            try:
                creds = assume_in_moto(args.moto, account, role, args.user)
            except Exception as e:  # moto down: the portal's own failure
                return self.reply(500, {"message": str(e)}, "InternalServerException")
            return self.reply(200, {"roleCredentials": creds})

    return serve(Handler)


if __name__ == "__main__":
    sys.exit(main())
