#!/usr/bin/env python3
"""Serve an unchanged AWS Lambda handler file (Python) as an Incognito trigger target.

    python3 serve.py ./pre_token_generation.py [--port 9300] [--host 127.0.0.1]
                     [--secret whsec_...] [--handler NAME] [--timeout 30] [--no-invoke]

Python 3.11 standard library only. The handler file defines ``handler(event, context)`` or
``lambda_handler(event, context)`` (or the name given with --handler); its directory is put on
``sys.path`` as Lambda's task root is, so its sibling modules import.

Two paths, one handler:

* The Lambda Invoke API: POST /2015-03-31/functions/{name}/invocations. The body is the event;
  the answer is the handler's return value as JSON. A raised exception is answered as Lambda
  does: HTTP 200, header ``X-Amz-Function-Error: Unhandled``, body {"errorMessage",
  "errorType"}. THIS PATH DOES NOT VERIFY SIGV4: anyone who can reach the port can invoke the
  handler. Keep it on loopback (the default) or turn it off with --no-invoke.

* A Standard Webhooks receiver: POST to any other path. The request must carry ``webhook-id``,
  ``webhook-timestamp`` (unix seconds, within 5 minutes of now) and ``webhook-signature`` (one
  or more space-separated ``v1,<base64 HMAC-SHA256>`` of "{id}.{timestamp}.{body}", keyed with
  the base64 part of the ``whsec_`` secret), or it is refused with 401. A raised exception is
  answered 400 {"errorMessage"}.

The secret comes from --secret or, better (command lines are visible in ``ps``), from the
WEBHOOK_SECRET environment variable. Without one the webhook path refuses everything.

Events can hold passwords (UserMigration): this program never logs a body. It logs one line
per request to stderr: path kind, triggerSource, outcome and duration.
"""

import argparse
import base64
import binascii
import concurrent.futures
import hashlib
import hmac
import importlib.util
import json
import os
import re
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

TIMESTAMP_TOLERANCE_SECS = 5 * 60
BODY_LIMIT_BYTES = 1024 * 1024
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")
TRIGGER_SOURCE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def decode_secret(secret):
    """The HMAC key of a Standard Webhooks secret: base64 after an optional ``whsec_``."""
    b64 = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        key = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ValueError("the webhook secret must be whsec_ followed by base64")
    return key


def verify_webhook(key, headers, body, now_secs=None):
    """None when one ``v1,`` signature matches and the timestamp is fresh, else the reason.

    ``headers`` maps lower-case header names to values; ``body`` is the raw bytes.
    """
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    if not re.fullmatch(r"[0-9]{1,15}", timestamp):
        return "webhook-timestamp is not unix seconds"
    now = int(time.time()) if now_secs is None else now_secs
    if abs(now - int(timestamp)) > TIMESTAMP_TOLERANCE_SECS:
        return "webhook-timestamp too old or too new"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    matched = False
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        # No early exit: every listed signature is compared, each in constant time.
        if hmac.compare_digest(given, expected):
            matched = True
    return None if matched else "no v1 signature matches"


def load_handler(file, name=None):
    """Imports the handler file; returns ``name``, else ``handler``, else ``lambda_handler``."""
    path = os.path.abspath(file)
    root = os.path.dirname(path)
    if root not in sys.path:
        sys.path.insert(0, root)
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    for candidate in [name] if name else ["handler", "lambda_handler"]:
        fn = getattr(module, candidate, None)
        if callable(fn):
            return fn
    wanted = name or "handler or lambda_handler"
    raise ImportError(f"{file} defines no function {wanted}")


class LambdaContext:
    """The members of Lambda's Python context object that handlers use."""

    def __init__(self, function_name, timeout_secs):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.memory_limit_in_mb = "128"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "serve.py"
        self._deadline = time.monotonic() + timeout_secs

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_name_of(segment):
    """``my-fn``, or the function part of an ARN (``arn:aws:lambda:r:acct:function:my-fn``)."""
    name = unquote(segment)
    arn = re.match(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)", name)
    return arn.group(1) if arn else name


def trigger_source_of(event):
    """Only a well-formed triggerSource is ever logged; nothing else of the event is."""
    source = event.get("triggerSource") if isinstance(event, dict) else None
    return source if isinstance(source, str) and TRIGGER_SOURCE.match(source) else "-"


def error_document(exc):
    return {"errorMessage": str(exc), "errorType": type(exc).__name__}


def make_request_handler(handler, key, timeout_secs, invoke, executor):
    class ShimRequestHandler(BaseHTTPRequestHandler):
        server_version = "serve.py"
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass  # http.server's own access log is replaced by one line per request below

        def _log(self, kind, source, outcome, started):
            ms = (time.monotonic() - started) * 1000
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            sys.stderr.write(f"{stamp} {kind} {source} {outcome} {ms:.1f}ms\n")
            sys.stderr.flush()

        def _send(self, status, doc=None, headers=None, close=False):
            body = b"" if doc is None else json.dumps(doc).encode()
            self.send_response(status)
            if doc is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def _refuse_method(self):
            started = time.monotonic()
            self._send(405, {"errorMessage": "method not allowed: POST the event"}, {"Allow": "POST"})
            self._log("-", "-", "405", started)

        do_GET = do_PUT = do_DELETE = do_PATCH = _refuse_method

        def do_POST(self):
            started = time.monotonic()
            pathname = self.path.split("?", 1)[0]
            invoke_match = INVOKE_PATH.match(pathname) if invoke else None
            kind = "invoke" if invoke_match else "webhook"

            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._send(411, {"errorMessage": "Content-Length required"}, close=True)
                return self._log(kind, "-", "411", started)
            if length < 0 or length > BODY_LIMIT_BYTES:
                self._send(413, {"errorMessage": "request body too large"}, close=True)
                return self._log(kind, "-", "413", started)
            body = self.rfile.read(length)

            if kind == "webhook":
                headers = {name.lower(): value for name, value in self.headers.items()}
                refusal = verify_webhook(key, headers, body) if key else "no webhook secret configured"
                if refusal:
                    self._send(401, {"errorMessage": "invalid webhook signature"})
                    return self._log(kind, "-", f"401 ({refusal})", started)

            try:
                event = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                if kind == "invoke":
                    self._send(
                        400,
                        {"Type": "User", "message": "Could not parse request body into json"},
                        {"X-Amzn-ErrorType": "InvalidRequestContentException"},
                    )
                else:
                    self._send(400, {"errorMessage": "the body is not JSON"})
                return self._log(kind, "-", "400 (not JSON)", started)
            source = trigger_source_of(event)

            function_name = function_name_of(invoke_match.group(1)) if invoke_match else "webhook"
            invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse") if invoke_match else "RequestResponse"
            if invocation_type == "DryRun":
                self._send(204)
                return self._log(kind, source, "204 (dry run)", started)
            context = LambdaContext(function_name, timeout_secs)
            future = executor.submit(handler, event, context)
            if invocation_type == "Event":
                self._send(202)
                return self._log(kind, source, "202 (queued)", started)
            try:
                result = future.result(timeout=timeout_secs)
                payload = json.dumps(result).encode()
            except concurrent.futures.TimeoutError:
                # The thread runs on (Python cannot stop it); the caller gets Lambda's answer.
                doc = {"errorMessage": f"Task timed out after {timeout_secs:.2f} seconds", "errorType": "Sandbox.Timedout"}
                return self._handler_error(kind, source, doc, started)
            except Exception as exc:  # the handler's error, whatever it is, goes to the caller
                return self._handler_error(kind, source, error_document(exc), started)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if kind == "invoke":
                self.send_header("X-Amz-Executed-Version", "$LATEST")
            self.end_headers()
            self.wfile.write(payload)
            self._log(kind, source, "ok", started)

        def _handler_error(self, kind, source, doc, started):
            if kind == "invoke":
                self._send(200, doc, {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"})
            else:
                self._send(400, {"errorMessage": doc["errorMessage"]})
            self._log(kind, source, f"error {doc['errorType']}", started)

    return ShimRequestHandler


def create_shim(handler, key=None, host="127.0.0.1", port=9300, timeout_secs=30.0, invoke=True):
    """The shim's HTTP server, bound but not yet serving."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="handler")
    request_handler = make_request_handler(handler, key, timeout_secs, invoke, executor)
    server = ThreadingHTTPServer((host, port), request_handler)
    server.daemon_threads = True
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve an unchanged Lambda handler as an Incognito trigger target.")
    parser.add_argument("handler_file", help="a Python Lambda handler file, unchanged")
    parser.add_argument("--port", type=int, default=9300, help="port to listen on (0: any free port); default 9300")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind; the Invoke path is unauthenticated")
    parser.add_argument("--secret", help="Standard Webhooks secret (whsec_...); or env WEBHOOK_SECRET")
    parser.add_argument("--handler", help="function name; default handler, then lambda_handler")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a handler may run; default 30")
    parser.add_argument("--no-invoke", action="store_true", help="serve only the signed webhook path")
    args = parser.parse_args(argv)

    secret = args.secret or os.environ.get("WEBHOOK_SECRET")
    key = None
    if secret:
        try:
            key = decode_secret(secret)
        except ValueError as exc:
            parser.error(str(exc))
    handler = load_handler(args.handler_file, args.handler)
    invoke = not args.no_invoke
    server = create_shim(handler, key, args.host, args.port, args.timeout, invoke)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    paths = []
    if invoke:
        paths.append("Invoke API POST /2015-03-31/functions/{name}/invocations (no SigV4 check)")
    paths.append("webhook POST / (Standard Webhooks signature)" if key else "webhook path refuses all (no --secret)")
    print(f"serve.py: {args.handler_file} ({handler.__name__}) on http://{shown}:{port} — {'; '.join(paths)}", flush=True)
    if invoke and not (args.host in ("localhost", "::1") or args.host.startswith("127.")):
        print("serve.py: WARNING: the Invoke path is unauthenticated and bound beyond loopback; use --no-invoke", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
