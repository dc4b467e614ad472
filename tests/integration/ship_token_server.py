#!/usr/bin/python3
"""A registry token server for the ship tests (docker's token auth, distribution's `auth: token`).

    ship_token_server.py CERT KEY USER PASSWORD SERVICE ISSUER LOG

Serves GET /token?service=S&scope=TYPE:NAME:ACTIONS... on 127.0.0.1 (an ephemeral port,
printed as "listening on 127.0.0.1:PORT" once ready). With HTTP basic auth USER:PASSWORD it
grants every action asked for; without credentials ("anonymous") only pull; wrong credentials
get 401. Tokens are JWTs signed RS256 with KEY (openssl dgst), the certificate CERT in the x5c
header, which the registry trusts through its rootcertbundle. Every request is appended to LOG
as one JSON line: {"account", "service", "scopes", "status"}.

Only the standard library and the openssl CLI (both from Debian). Stops on SIGTERM.
"""
import base64
import http.server
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    def __init__(self, cert, key):
        self.key = key
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                                   input=signing_input.encode(), check=True,
                                   capture_output=True).stdout
        return signing_input + "." + b64url(signature)


def parse_scope(scope):
    # "repository:name/with/slashes:pull,push": the type before the first ':', the actions
    # after the last.
    first, last = scope.find(":"), scope.rfind(":")
    if first < 0 or last == first:
        return None
    return scope[:first], scope[first + 1:last], [a for a in scope[last + 1:].split(",") if a]


def make_handler(signer, user, password, service, issuer, log_path, lock):
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def record(self, account, asked_service, scopes, status):
            with lock, open(log_path, "a") as f:
                f.write(json.dumps({"account": account, "service": asked_service,
                                    "scopes": scopes, "status": status}) + "\n")

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/token":
                self.answer(404, {"error": "not found"})
                return
            query = urllib.parse.parse_qs(url.query)
            asked_service = (query.get("service") or [""])[0]
            scopes = query.get("scope") or []
            authorization = self.headers.get("Authorization")
            if authorization is None:
                account = ""
            elif authorization == expected:
                account = user
            else:
                self.record("?", asked_service, scopes, 401)
                self.answer(401, {"errors": [{"code": "UNAUTHORIZED",
                                              "message": "wrong username or password"}]})
                return
            access = []
            for scope in scopes:
                parsed = parse_scope(scope)
                if parsed is None:
                    continue
                kind, name, actions = parsed
                granted = actions if account else [a for a in actions if a == "pull"]
                access.append({"type": kind, "name": name, "actions": granted})
            now = int(time.time())
            claims = {"iss": issuer, "sub": account, "aud": service, "exp": now + 300,
                      "nbf": now - 60, "iat": now - 60, "jti": uuid.uuid4().hex,
                      "access": access}
            token = signer.sign(claims)
            self.record(account, asked_service, scopes, 200)
            self.answer(200, {"token": token, "access_token": token, "expires_in": 300,
                              "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                         time.gmtime(now))})

    return Handler


def main(argv):
    if len(argv) != 8:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    cert, key, user, password, service, issuer, log_path = argv[1:]
    signer = Signer(cert, key)
    handler = make_handler(signer, user, password, service, issuer, log_path, threading.Lock())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
