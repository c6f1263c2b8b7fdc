"""Prism as a validating proxy in front of nectar-sandbox: every one of the 35 operations is
called through it and its answer must pass prism's check; then the same calls are answered
wrongly on purpose and prism must flag every one (the negative control: a proxy that cannot
read a schema says nothing, which would otherwise look like a pass).

    python tests/interop/prism_proxy.py SPEC SANDBOX_BASE_URL API_KEY SANDBOX_LOG PRISM

SANDBOX_LOG is the output of `nectar-sandbox --seed-connections N` (it names the seeded data
set). Between prism and the sandbox sits a small forwarding proxy that, for a request carrying
`X-Break: 1`, replaces a JSON answer's body by `{"broken": [1]}`, which matches no success
schema of the spec except `ping`'s (any JSON), so `ping` is left out of the negative control.
Prints one line per operation and exits 1 on any miss.
"""

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

import seeded

SPEC, SANDBOX, KEY, LOG, PRISM = sys.argv[1:6]
SANDBOX = SANDBOX.rstrip("/")
# A minimal PDF the sandbox reads as a bill.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Breaker(http.server.BaseHTTPRequestHandler):
    """Forwards to the sandbox; breaks the JSON answer when asked to."""

    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "x-break", "content-length")
        }
        # The path arrives with the base path (prism forwards to the breaker's /v2.2/...).
        origin = f"{urlparse(SANDBOX).scheme}://{urlparse(SANDBOX).netloc}"
        request = urllib.request.Request(origin + self.path, data=body, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, content, kind = answer.status, answer.read(), answer.headers.get("content-type", "")
        except urllib.error.HTTPError as error:
            status, content, kind = error.code, error.read(), error.headers.get("content-type", "")
        if self.headers.get("x-break") == "1" and "json" in kind and 200 <= status < 300:
            content = json.dumps({"broken": [1]}).encode()
        self.send_response(status)
        if kind:
            self.send_header("content-type", kind)
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PATCH = do_DELETE = forward

    def log_message(self, *args):
        pass


def start_breaker():
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Breaker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}{urlparse(SANDBOX).path}"


def start_prism(upstream):
    port = free_port()
    log = open("target/prism.log", "w")
    process = subprocess.Popen(
        [PRISM, "proxy", SPEC, upstream, "--errors", "-p", str(port), "-h", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/ping", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except Exception:
            time.sleep(0.1)
    else:
        process.kill()
        sys.exit("prism did not start; see target/prism.log")
    return process, base


def call(base, method, path, body=None, broken=False, multipart=None):
    headers = {"X-API-Key": KEY}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if multipart is not None:
        boundary = "nectar-prism-check"
        name, content = multipart
        data = (
            f"--{boundary}\r\ncontent-disposition: form-data; name=\"document\"; filename=\"{name}\"\r\n"
            f"content-type: application/pdf\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers["content-type"] = f"multipart/form-data; boundary={boundary}"
    if broken:
        headers["X-Break"] = "1"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers.get("sl-violations"), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("sl-violations"), error.read()


def main():
    found = seeded.objects(SANDBOX, KEY, LOG)
    company, connection = found["company"], found["connection"]
    account, site, document, row = found["account"], found["site"], found["document"], found["row"]

    prism, base = start_prism(start_breaker())
    try:
        results = run(base, (company, connection, account, site, document, row))
    finally:
        prism.terminate()
        try:
            prism.wait(timeout=10)
        except subprocess.TimeoutExpired:
            prism.kill()
    report(results)


def run(base, seeded):
    """Calls every operation through prism, then each again answered wrongly."""
    company, connection, account, site, document, row = seeded
    results = []
    ids = {}

    def check(operation, method, path, body=None, multipart=None, negative=True, keep=None):
        status, violations, content = call(base, method, path, body, multipart=multipart)
        ok = 200 <= status < 300 and not violations
        detail = f"{status}" + (f" violations: {violations[:300]}" if violations else "")
        if not 200 <= status < 300:
            detail += f" {content[:200]!r}"
        flagged = None
        if negative:
            b_status, b_violations, _ = call(base, method, path, body, broken=True, multipart=multipart)
            flagged = bool(b_violations)
        results.append((operation, ok, detail, flagged))
        if ok and keep:
            ids[keep] = json.loads(content)["id"]
        return content

    check("ping", "GET", "/ping", negative=False)
    check("list_companies", "GET", "/company")
    check("create_company", "POST", "/company", {"name": "Prism Co"}, keep="company")
    new = ids.get("company", company)
    check("get_company", "GET", f"/company/{company}")
    check("update_company", "PATCH", f"/company/{new}", {"name": "Prism Co 2"})
    check("create_site", "POST", f"/site/company/{new}", {"name": "Prism Site"}, keep="site")
    new_site = ids.get("site", site)
    check("get_site", "GET", f"/site/{site}")
    check("update_site", "PATCH", f"/site/{new_site}", {"path": ["US"]})
    sandbox_body = {
        "url": "https://nectarclimate.com",
        "username": "nectar-sandbox-username",
        "password": "nectar-sandbox-password",
        "country": "US",
        "initialSites": [new_site],
    }
    check("create_connection", "POST", f"/connection/company/{new}", sandbox_body, keep="connection")
    check("list_company_connections", "GET", f"/connection/company/{company}")
    check("get_connection", "GET", f"/connection/{connection}/details")
    check("update_connection", "PATCH", f"/connection/{connection}/details", {"externalId": "prism"})
    check("confirm_connection_accounts", "PATCH", f"/connection/{connection}/status", {"confirm": True})
    check("create_connection_magic_link", "GET", f"/connection/{connection}")
    check("create_company_magic_link", "GET", f"/connection/company/{company}/link")
    check("update_account", "PATCH", f"/account/{account}", {"isTracked": True})
    check("list_company_documents", "GET", f"/document/company/{company}")
    check("list_connection_documents", "GET", f"/document/connection/{connection}")
    check("list_site_documents", "GET", f"/document/site/{site}")
    check("get_document", "GET", f"/document/{document}")
    check("list_company_usage", "GET", f"/usage/company/{company}")
    check("list_connection_usage", "GET", f"/usage/connection/{connection}")
    check("list_document_usage", "GET", f"/usage/document/{document}")
    check("list_site_usage", "GET", f"/usage/site/{site}")
    check("get_usage_data", "GET", f"/usage/{row['id']}")
    check("get_meter", "GET", f"/meter/{row['meter']}")
    check("create_connection_invitation", "POST", f"/invitation/company/{company}", {}, keep="invitation")
    check("create_reconnect_invitation", "POST", f"/invitation/connection/{connection}", {})
    invitation = ids.get("invitation", "")
    check("get_invitation", "GET", f"/invitation/{invitation}")
    check("list_invitations", "GET", f"/invitation/company/{company}")
    # Revoking twice: the second (broken) call revokes a second invitation.
    status, violations, content = call(base, "POST", f"/invitation/{invitation}/revoke")
    results.append(("revoke_invitation", 200 <= status < 300 and not violations, f"{status}", None))
    made = call(base, "POST", f"/invitation/company/{company}", {})
    second = json.loads(made[2]).get("id", "") if made[0] < 300 else ""
    _, b_violations, _ = call(base, "POST", f"/invitation/{second}/revoke", broken=True)
    results[-1] = (*results[-1][:3], bool(b_violations))
    check("upload_document", "POST", f"/job/company/{company}", multipart=("bill.pdf", PDF), keep="job")
    check("create_bulk_job", "POST", f"/job/company/{company}/bulk", {"documents": ["https://storage.example/bills/prism.pdf"]})
    check("get_job", "GET", f"/job/{ids.get('job', '')}")
    # 204, no body: nothing to break.
    check("delete_company", "DELETE", f"/company/{new}", negative=False)
    return results


def report(results):
    misses = 0
    for operation, ok, detail, flagged in results:
        control = {None: "n/a (no body to break)", True: "flagged", False: "NOT FLAGGED"}[flagged]
        print(f"{operation:<30} {'ok' if ok else 'FAILED':<7} {detail[:120]:<12} wrong answer: {control}")
        misses += (not ok) + (flagged is False)
    spec = json.load(open(SPEC))
    operations = {o["operationId"] for item in spec["paths"].values() for o in item.values()}
    untested = operations - {r[0] for r in results}
    if untested:
        print("not called:", ", ".join(sorted(untested)))
        misses += len(untested)
    print(f"{len(results)} operations through prism; {misses} problems")
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
