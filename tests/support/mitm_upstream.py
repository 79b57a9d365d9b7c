"""mitmproxy addon for assume-role's proxy tests: every intercepted request goes
to a local plain-HTTP server instead of AWS, its Host header kept (moto
dispatches on it). Requests for the SSO portal (portal.sso.*) go to $MITM_SSO,
all others to $MITM_UPSTREAM. Both are URLs such as http://127.0.0.1:5000.

Load it with: mitmdump -s mitm_upstream.py
"""

import os
from urllib.parse import urlsplit

from mitmproxy import http


def _target(url):
    parts = urlsplit(url)
    return parts.hostname, parts.port


UPSTREAM = _target(os.environ["MITM_UPSTREAM"])
SSO = _target(os.environ["MITM_SSO"])


def request(flow: http.HTTPFlow) -> None:
    host_header = flow.request.host_header
    target = SSO if flow.request.pretty_host.startswith("portal.sso.") else UPSTREAM
    flow.request.scheme = "http"
    flow.request.host, flow.request.port = target
    flow.request.host_header = host_header
