#!/usr/bin/python3
"""A misbehaving registry for the ship tests: serves the one image of an OCI layout and
misbehaves as the repository's first path component says.

    ship_bad_registry.py LAYOUT USER PASSWORD LOG

Listens on two ephemeral ports of 127.0.0.1, printed as "listening on 127.0.0.1:PORT
storage 127.0.0.1:PORT2" once ready: the registry, and a second origin ("blob storage") that
redirected blob requests can be sent to. Every /v2/ request needs HTTP basic auth USER:PASSWORD
(401 with a Basic challenge otherwise); /storage/ needs none. Every request is appended to LOG
as one JSON line: {"port", "method", "path", "range", "authorization", "status"}.

The image answers to any tag and to its manifest digest, in /v2/MODE/ANY/NAME/manifests/REF
and /v2/MODE/ANY/NAME/blobs/DIGEST. MODE:
  ok                      the image as it is
  manifest-digest         manifest bytes changed; Docker-Content-Digest is the original digest
  manifest-media-type     manifest of an unknown media type (Content-Type and mediaType)
  manifest-invalid-json   a manifest that is not JSON (its digest header matches it)
  blob-wrong-bytes        layers: one byte changed, size kept
  blob-truncated          layers: half of the body, then the connection is closed (always)
  blob-truncated-once     as blob-truncated for the first request of a blob, then whole (and
                          Range requests are answered with 206)
  blob-wrong-size         layers: 7 bytes more than the manifest says (Content-Length matches)
  blob-stall-once         layers: half of the body, then nothing for 30 s, the first time
  blob-redirect           layers: 307 to /storage/DIGEST on this port
  blob-redirect-storage   layers: 307 to the storage port
  status-403, status-404, status-500, status-429 (no Retry-After),
  status-429-retry-after (Retry-After: 2)
                          every request of the repository answered with that status
  status-500-twice        the first two requests of each path (and method) answered 500

Only the standard library (Debian's python3). Stops on SIGTERM.
"""
import base64
import hashlib
import http.server
import json
import os
import signal
import sys
import threading
import time

UNKNOWN_MEDIA_TYPE = "application/vnd.krill.test.unknown.v1+json"
STATUS_ERRORS = {
    403: ("DENIED", "requested access to the resource is denied"),
    404: ("MANIFEST_UNKNOWN", "manifest unknown"),
    429: ("TOOMANYREQUESTS", "too many requests"),
    500: ("UNKNOWN", "the registry broke"),
}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Image:
    def __init__(self, layout):
        self.layout = layout
        with open(os.path.join(layout, "index.json"), "rb") as f:
            index = json.load(f)
        descriptor = index["manifests"][0]
        self.manifest_digest = descriptor["digest"]
        self.manifest = self.blob(self.manifest_digest)
        parsed = json.loads(self.manifest)
        self.media_type = parsed.get("mediaType", descriptor.get("mediaType"))
        self.layers = {layer["digest"] for layer in parsed["layers"]}

    def blob(self, digest):
        path = os.path.join(self.layout, "blobs", *digest.split(":", 1))
        with open(path, "rb") as f:
            return f.read()

    def has_blob(self, digest):
        if ":" not in digest or "/" in digest:
            return False
        return os.path.isfile(os.path.join(self.layout, "blobs", *digest.split(":", 1)))


class State:
    def __init__(self, image, user, password, log_path):
        self.image = image
        self.expected_auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.log_path = log_path
        self.lock = threading.Lock()
        self.counts = {}
        self.storage_port = 0

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def record(self, entry):
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def parse_range(header, size):
    # "bytes=N-" only, as the client sends it.
    if not header or not header.startswith("bytes=") or not header.endswith("-"):
        return None
    try:
        start = int(header[len("bytes="):-1])
    except ValueError:
        return None
    return start if 0 <= start < size else None


def make_handler(state):
    image = state.image

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self, status):
            state.record({"port": self.server.server_address[1], "method": self.command,
                          "path": self.path, "range": self.headers.get("Range"),
                          "authorization": self.headers.get("Authorization") is not None,
                          "status": status})

        def send_body(self, status, body, headers=(), length=None):
            self.record(status)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def error(self, status, extra_headers=()):
            code, message = STATUS_ERRORS.get(status, ("UNKNOWN", "error"))
            body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
            self.send_body(status, body, [("Content-Type", "application/json"), *extra_headers])

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path.startswith("/storage/"):
                return self.blob(path[len("/storage/"):], "ok", redirected=True)
            if not path.startswith("/v2/"):
                return self.error(404)
            if self.headers.get("Authorization") != state.expected_auth:
                body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                               "message": "authentication required"}]}).encode()
                return self.send_body(401, body, [("Content-Type", "application/json"),
                                                  ("WWW-Authenticate", 'Basic realm="krill-bad"')])
            if path == "/v2/":
                return self.send_body(200, b"{}", [("Content-Type", "application/json")])
            parts = path[len("/v2/"):].split("/")
            if len(parts) < 4 or parts[-2] not in ("manifests", "blobs"):
                return self.error(404)
            mode, kind, reference = parts[0], parts[-2], parts[-1]
            if mode.startswith("status-"):
                if mode == "status-500-twice":
                    if state.count((self.command, path)) <= 2:
                        return self.error(500)
                elif mode == "status-429-retry-after":
                    return self.error(429, [("Retry-After", "2")])
                else:
                    return self.error(int(mode[len("status-"):]))
            if kind == "manifests":
                return self.manifest(mode, reference)
            return self.blob(reference, mode, redirected=False)

        def manifest(self, mode, reference):
            if reference.startswith("sha256:") and reference != image.manifest_digest:
                return self.error(404)
            body, media_type = image.manifest, image.media_type
            digest = image.manifest_digest
            if mode == "manifest-digest":
                body = body + b"\n"
            elif mode == "manifest-media-type":
                parsed = json.loads(body)
                parsed["mediaType"] = UNKNOWN_MEDIA_TYPE
                body, media_type = json.dumps(parsed).encode(), UNKNOWN_MEDIA_TYPE
                digest = sha256(body)
            elif mode == "manifest-invalid-json":
                body = body[: len(body) // 2]
                digest = sha256(body)
            self.send_body(200, body, [("Content-Type", media_type),
                                       ("Docker-Content-Digest", digest)])

        def blob(self, digest, mode, redirected):
            if not image.has_blob(digest):
                return self.error(404)
            data = image.blob(digest)
            layer = digest in image.layers
            if layer and mode in ("blob-redirect", "blob-redirect-storage"):
                port = (state.storage_port if mode == "blob-redirect-storage"
                        else self.server.server_address[1])
                location = f"http://127.0.0.1:{port}/storage/{digest}"
                return self.send_body(307, b"", [("Location", location)])
            if layer and mode == "blob-wrong-bytes":
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0x5A]) + data[middle + 1:]
            if layer and mode == "blob-wrong-size":
                data = data + b"1234567"
            headers = [("Content-Type", "application/octet-stream"),
                       ("Docker-Content-Digest", digest)]
            if self.command == "HEAD":
                return self.send_body(200, data, headers)
            first = state.count(("GET", self.path)) == 1
            start = parse_range(self.headers.get("Range"), len(data))
            status = 200
            if start is not None and mode in ("blob-truncated-once", "blob-stall-once"):
                status = 206
                headers.append(("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"))
                data = data[start:]
            if layer and (mode == "blob-truncated" or
                          (first and mode in ("blob-truncated-once", "blob-stall-once"))):
                self.record(status)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                if mode == "blob-stall-once":
                    time.sleep(30)
                self.close_connection = True
                return
            self.send_body(status, data, headers)

    return Handler


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    layout, user, password, log_path = argv[1:]
    state = State(Image(layout), user, password, log_path)
    handler = make_handler(state)
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    for server in servers:
        server.daemon_threads = True
    state.storage_port = servers[1].server_address[1]

    def stop(*_):
        for server in servers:
            threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=servers[1].serve_forever, daemon=True).start()
    print(f"listening on 127.0.0.1:{servers[0].server_address[1]} "
          f"storage 127.0.0.1:{state.storage_port}", flush=True)
    servers[0].serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
