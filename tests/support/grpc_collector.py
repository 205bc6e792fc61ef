#!/usr/bin/env python3
"""A real gRPC collector stand-in for llmtrace's OTLP/gRPC tests (python3-grpcio, no generated code).

Serves the OTLP Export methods of the trace, metrics and logs services through a generic handler
whose request deserializer is the identity, so every request's raw message bytes are recorded for
the C++ test to decode. Started by tests/support/grpc_collector.cpp; talks JSON lines:

  stdout  {"event": "ready", "port": P, "tls_port": T, "h1_port": H, "h1_tls_port": S, "ca": "<pem path>"}
          {"event": "request", "seq": n, "method": "/...Service/Export", "body": "<base64>",
           "metadata": [[key, value], ...], "peer": "ipv4:127.0.0.1:port", "time_remaining": s,
           "tls": bool}
          {"event": "hung", "seq": n}          a hang reply is holding request n
          {"event": "h1_request", "tls": bool, "request_line": "..."}  the HTTP/1.1 servers got one
          {"event": "ack", "id": n}            a command has been applied
  stdin   {"op": "enqueue", "id": n, "replies": [REPLY, ...]}   used one per request, in order
          {"op": "default", "id": n, "reply": REPLY}            when the queue is empty
          {"op": "release", "id": n}                            let every hung request finish
          {"op": "reset", "id": n}                              empty queue, default OK, release
          {"op": "bodies", "id": n, "on": false}                stop recording request bodies
          {"op": "sync", "id": n}                               (any other op) just the ack
          {"op": "quit"}                                        (or end of input) stop everything
  REPLY   {"code": 0, "message": "", "body": "<base64 response message>", "retry_delay_ms": 250,
           "hang": false}

Ports: "port" is plain-text HTTP/2 (h2c), "tls_port" is TLS with a certificate for 127.0.0.1 and
localhost signed by a throw-away CA generated here with openssl ("ca" is its PEM file), "h1_port"
and "h1_tls_port" are HTTP/1.1-only servers (the TLS one offers only http/1.1 through ALPN).
"""

import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
from concurrent import futures

import grpc

SERVICES = (
    "opentelemetry.proto.collector.trace.v1.TraceService",
    "opentelemetry.proto.collector.metrics.v1.MetricsService",
    "opentelemetry.proto.collector.logs.v1.LogsService",
)

out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number, data):
    return varint((number << 3) | 2) + varint(len(data)) + data


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def status_with_retry_info(code, message, delay_ms):
    """google.rpc.Status{code, message, details: [Any{RetryInfo{retry_delay: Duration}}]}."""
    duration = field_varint(1, delay_ms // 1000) + field_varint(2, (delay_ms % 1000) * 1000000)
    retry_info = field_bytes(1, duration)
    any_msg = field_bytes(1, b"type.googleapis.com/google.rpc.RetryInfo") + field_bytes(2, retry_info)
    return field_varint(1, code) + field_bytes(2, message.encode()) + field_bytes(3, any_msg)


class Script:
    def __init__(self):
        self.lock = threading.Lock()
        self.queue = []
        self.default = {"code": 0}
        self.hung = []  # events of the requests a hang reply is holding
        self.seq = 0
        self.bodies = True  # record request bodies (off for benchmarks)

    def take(self):
        with self.lock:
            self.seq += 1
            reply = self.queue.pop(0) if self.queue else self.default
            return self.seq, reply


script = Script()


def release_hung():
    with script.lock:
        hung, script.hung = script.hung, []
    for ev in hung:
        ev.set()


def make_handler(method, tls):
    def handle(request, context):
        seq, reply = script.take()
        remaining = context.time_remaining()
        emit({
            "event": "request",
            "seq": seq,
            "method": method,
            "body": base64.b64encode(request).decode() if script.bodies else "",
            "metadata": [[k, v if isinstance(v, str) else base64.b64encode(v).decode()]
                         for k, v in context.invocation_metadata()],
            "peer": context.peer(),
            "time_remaining": remaining,
            "tls": tls,
        })
        if reply.get("hang"):
            done = threading.Event()
            with script.lock:
                script.hung.append(done)
            context.add_callback(done.set)  # the client went away or the deadline passed
            emit({"event": "hung", "seq": seq})
            done.wait()  # until then, or a "release" command
            if not context.is_active():
                return b""
        code = reply.get("code", 0)
        if code != 0:
            if "retry_delay_ms" in reply:
                details = status_with_retry_info(code, reply.get("message", ""), int(reply["retry_delay_ms"]))
                context.set_trailing_metadata((("grpc-status-details-bin", details),))
            context.abort(next(s for s in grpc.StatusCode if s.value[0] == code), reply.get("message", ""))
        return base64.b64decode(reply.get("body", ""))

    return grpc.unary_unary_rpc_method_handler(handle)


class H1Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        emit({"event": "h1_request", "tls": self.server.tls, "request_line": self.requestline})
        length = int(self.headers.get("content-length", "0"))
        if length:
            self.rfile.read(length)
        body = b"this is an HTTP/1.1 server"
        self.send_response(404)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def make_certs(directory):
    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    ca_key, ca_pem = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, pem = (os.path.join(directory, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(directory, "ext.cnf")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "2",
        "-subj", "/CN=llmtrace test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", pem,
        "-days", "2", "-extfile", ext)
    return ca_pem, key, pem


def start_h1(tls, key=None, pem=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H1Handler)
    server.daemon_threads = True
    server.tls = tls
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pem, key)
        ctx.set_alpn_protocols(["http/1.1"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    directory = tempfile.mkdtemp(prefix="llmtrace-grpc-")
    try:
        ca_pem, key, pem = make_certs(directory)
        with open(key, "rb") as f:
            key_bytes = f.read()
        with open(pem, "rb") as f:
            pem_bytes = f.read()

        def server_for(tls):
            s = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
            s.add_generic_rpc_handlers([
                grpc.method_handlers_generic_handler(svc, {"Export": make_handler("/" + svc + "/Export", tls)})
                for svc in SERVICES
            ])
            return s

        plain, secure = server_for(False), server_for(True)
        port = plain.add_insecure_port("127.0.0.1:0")
        tls_port = secure.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key_bytes, pem_bytes)]))
        plain.start()
        secure.start()
        h1, h1_tls = start_h1(False), start_h1(True, key, pem)
        emit({"event": "ready", "port": port, "tls_port": tls_port, "h1_port": h1.server_address[1],
              "h1_tls_port": h1_tls.server_address[1], "ca": ca_pem})

        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "quit":
                break
            if op == "enqueue":
                with script.lock:
                    script.queue.extend(cmd["replies"])
            elif op == "default":
                with script.lock:
                    script.default = cmd["reply"]
            elif op == "bodies":
                script.bodies = bool(cmd["on"])
            elif op == "release":
                release_hung()
            elif op == "reset":
                with script.lock:
                    script.queue = []
                    script.default = {"code": 0}
                    script.bodies = True
                release_hung()
            emit({"event": "ack", "id": cmd.get("id")})
        release_hung()
        plain.stop(0)
        secure.stop(0)
        h1.shutdown()
        h1_tls.shutdown()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
