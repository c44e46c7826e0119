#!/usr/bin/env python3
"""A fault-injecting front for the test registry (tests/integration/30-registry.sh).

Forwards every request to the real registry at UPSTREAM and, by MODE, breaks
it the way hostile or failing registries do. Listens on 127.0.0.1 only and
prints its port on stdout once listening.

usage: registry_fake.py MODE UPSTREAM_PORT
modes: mismatch bigmanifest 5xx reset 429 429-always forbidden redirect token-hang
       bearer hostile slow
slow: blobs are sent, and uploads read, 32 KiB every 20 ms (about 1.6 MB/s),
so that a test can kill the client in the middle of a transfer; /counts
says when one started ("blob-started", "upload-started"). A blob GET with a
Range header (the next pull resuming a killed one's partial blob) gets the
rest at once as a 206 ("ranges" in /counts), or, after GET /ignore-range,
all of it again as a slow 200, the way a server without Range support
answers ("range-ignored").
"""
import gzip
import hashlib
import http.client
import http.server
import io
import json
import sys
import tarfile
import threading
import time

MODE, UPSTREAM = sys.argv[1], int(sys.argv[2])
COUNTS = {}
LOCK = threading.Lock()
IGNORE_RANGE = []  # non-empty after GET /ignore-range
TOKEN = "tok-3f9a"  # what the bearer mode's token service hands out
USER_PASS = "alice:s3cret"


def count(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


def hostile_image():
    """config, layer and manifest of an image whose layer writes ../escaped."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        data = b"outside\n"
        info = tarfile.TarInfo("../escaped")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    layer = gzip.compress(tar, mtime=0)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
                      "config": {}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest": "sha256:" + hashlib.sha256(layer).hexdigest(), "size": len(layer)}]}).encode()
    blobs = {"sha256:" + hashlib.sha256(b).hexdigest(): b for b in (cfg, layer)}
    return man, blobs


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self, n):
        if MODE != "slow" or n <= 32768:
            return self.rfile.read(n)
        count("upload-started")
        parts = []
        while n > 0:
            parts.append(self.rfile.read(min(n, 32768)))
            n -= len(parts[-1])
            time.sleep(0.02)
        return b"".join(parts)

    def slow_blob(self):
        status, heads, data = self.forward()
        if status != 200:
            return self.reply(status, data, heads)
        self.send_response(200)
        for k, v in heads:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        count("blob-started")
        for i in range(0, len(data), 32768):
            self.wfile.write(data[i:i + 32768])
            self.wfile.flush()
            time.sleep(0.02)

    def forward(self):
        """The upstream's answer: (status, headers, body)."""
        n = int(self.headers.get("Content-Length") or 0)
        body = self.read_body(n) if n else None
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "range")}
        c = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        heads = [(k, v) for k, v in r.getheaders() if k.lower() not in ("content-length", "connection")]
        c.close()
        return r.status, heads, data

    def relay(self, mutate=None):
        status, heads, data = self.forward()
        if mutate:
            data = mutate(data)
        self.reply(status, data, heads)

    def handle_one(self):
        blob = "/blobs/sha256:" in self.path and self.command == "GET"
        manifest = "/manifests/" in self.path and self.command == "GET"
        m = MODE
        if m == "slow" and blob and (not self.headers.get("Range") or IGNORE_RANGE):
            if self.headers.get("Range"):
                count("range-ignored")
            return self.slow_blob()
        if m == "slow" and blob:
            count("ranges")
            start = int(self.headers["Range"].split("=")[1].split("-")[0])
            status, heads, data = self.forward()
            if status != 200:
                return self.reply(status, data, heads)
            heads = [(k, v) for k, v in heads if k.lower() != "content-range"]
            heads.append(("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data))))
            return self.reply(206, data[start:], heads)
        if self.path == "/ignore-range":
            IGNORE_RANGE.append(1)
            return self.reply(200)
        if m == "mismatch" and blob:
            return self.relay(lambda d: bytes([d[0] ^ 0xFF]) + d[1:] if d else d)
        if m == "bigmanifest" and manifest:
            return self.reply(200, b'{"schemaVersion":2,"pad":"' + b"x" * (5 << 20) + b'"}',
                              [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
        if m == "5xx" and (blob or manifest) and count(self.path) <= 2:
            return self.reply(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}')
        if m == "429" and manifest and count(self.path) <= 1:
            return self.reply(429, b"", [("Retry-After", "1")])
        if m == "429-always" and manifest:
            return self.reply(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
        if m == "forbidden" and manifest:
            return self.reply(403, b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
        if m == "reset" and blob and not self.headers.get("Range"):
            status, heads, data = self.forward()
            if status == 200 and len(data) > 1024:
                self.send_response(200)
                for k, v in heads:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                count("resets")
                self.close_connection = True
                self.connection.shutdown(2)
                return
            return self.reply(status, data, heads)
        if m == "reset" and blob and self.headers.get("Range"):
            count("ranges")
            rng = self.headers["Range"]
            start = int(rng.split("=")[1].split("-")[0])
            status, heads, data = self.forward()
            heads = [(k, v) for k, v in heads if k.lower() != "content-range"]
            heads.append(("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data))))
            return self.reply(206, data[start:], heads)
        if m == "redirect" and blob:
            return self.reply(302, b"", [("Location", self.path)])
        if m == "token-hang" and self.path.startswith("/token"):
            time.sleep(3600)
        if m in ("token-hang", "bearer") and self.path.startswith("/v2/"):
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                port = self.server.server_address[1]
                return self.reply(401, b"", [("WWW-Authenticate",
                                              'Bearer realm="http://127.0.0.1:%d/token",service="fake"' % port)])
        if m == "bearer" and self.path.startswith("/token"):
            import base64
            want = "Basic " + base64.b64encode(USER_PASS.encode()).decode()
            if self.headers.get("Authorization") != want or "scope=repository" not in self.path:
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            count("tokens")
            return self.reply(200, json.dumps({"token": TOKEN}).encode())
        if m == "hostile" and self.path.startswith("/v2/evil/"):
            man, blobs = hostile_image()
            if manifest:
                return self.reply(200, man, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
            d = self.path.rsplit("/", 1)[1]
            return self.reply(200, blobs[d]) if d in blobs else self.reply(404)
        if self.path == "/counts":
            return self.reply(200, json.dumps(COUNTS).encode())
        return self.relay()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
srv.serve_forever()
