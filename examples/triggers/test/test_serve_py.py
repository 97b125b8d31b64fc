"""Tests of serve.py with pre_token_generation.py: ``python3 -m unittest discover -s examples/triggers/test``.

Each test class starts serve.py as a child process on an ephemeral loopback port and sends it
Cognito's trigger events on both paths; nothing else needs to run.
"""

import base64
import copy
import hashlib
import hmac
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVE = os.path.join(HERE, "..", "serve.py")
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def load_event(name):
    with open(os.path.join(HERE, "events", f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def load_serve_module():
    spec = importlib.util.spec_from_file_location("serve_under_test", SERVE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def signature(secret, msg_id, timestamp, body):
    """Computed here from the Standard Webhooks spec, not with serve.py's code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Shim:
    """serve.py running as a child process."""

    def __init__(self, handler_file, args=("--secret", SECRET), env=None):
        self.process = subprocess.Popen(
            [sys.executable, SERVE, handler_file, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            text=True,
        )
        line = self.process.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"serve.py did not start: {line!r} {self.process.stderr.read()!r}")
        self.url = match.group(1)
        self._stderr = []
        threading.Thread(target=lambda: self._stderr.extend(self.process.stderr), daemon=True).start()

    def logs(self):
        time.sleep(0.05)  # the log line is written just after the answer
        return "".join(self._stderr)

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()

    def post(self, path, body, headers=None):
        request = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), json.loads(error.read() or b"null")

    def invoke(self, event, function_name="my-trigger"):
        body = json.dumps(event).encode()
        return self.post(f"/2015-03-31/functions/{function_name}/invocations", body, {"Content-Type": "application/json"})

    def webhook(self, event, secret=SECRET, timestamp=None, path="/"):
        body = json.dumps(event).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        msg_id = "msg_" + secrets.token_hex(8)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, msg_id, timestamp, body),
        }
        return self.post(path, body, headers)


class ShimTestCase(unittest.TestCase):
    """Starts serve.py with ``handler_file`` (and ``args``) once for the class."""

    handler_file = None
    args = ("--secret", SECRET)
    event_name = None

    @classmethod
    def setUpClass(cls):
        cls.shim = Shim(cls.handler_file, args=cls.args)
        cls.event = load_event(cls.event_name)

    @classmethod
    def tearDownClass(cls):
        cls.shim.stop()


class VerifyWebhookTest(unittest.TestCase):
    """serve.py's verify_webhook against the Standard Webhooks published test vector."""

    serve = load_serve_module()
    key = serve.decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'

    def test_accepts_the_vector_and_a_signature_list(self):
        self.assertIsNone(self.serve.verify_webhook(self.key, self.headers, self.body, 1614265330))
        rotated = {**self.headers, "webhook-signature": "v1,bm9wZQ== " + self.headers["webhook-signature"]}
        self.assertIsNone(self.serve.verify_webhook(self.key, rotated, self.body, 1614265330))

    def test_refuses_changed_body_and_stale_or_future_timestamps(self):
        self.assertIsNotNone(self.serve.verify_webhook(self.key, self.headers, self.body + b" ", 1614265330))
        self.assertIsNone(self.serve.verify_webhook(self.key, self.headers, self.body, 1614265330 + 300))
        self.assertIsNotNone(self.serve.verify_webhook(self.key, self.headers, self.body, 1614265330 + 301))
        self.assertIsNotNone(self.serve.verify_webhook(self.key, self.headers, self.body, 1614265330 - 301))

    def test_refuses_a_secret_that_is_not_base64(self):
        with self.assertRaises(ValueError):
            self.serve.decode_secret("whsec_not base64!")


class PreTokenGenerationTest(ShimTestCase):
    """pre_token_generation.py (lambda_handler) behind serve.py."""

    handler_file = os.path.join(HERE, "..", "pre_token_generation.py")
    event_name = "pre-token-generation-hosted-auth"

    def assert_claims(self, document):
        self.assertEqual(
            document["response"]["claimsOverrideDetails"],
            {
                "claimsToAddOrOverride": {"tenantId": "tenant-acme"},
                "groupOverrideDetails": {"groupsToOverride": ["admin", "editor"]},
            },
        )
        self.assertEqual(document["request"], self.event["request"])
        self.assertEqual(document["triggerSource"], "TokenGeneration_HostedAuth")

    def test_invoke_path(self):
        status, headers, document = self.shim.invoke(self.event)
        self.assertEqual(status, 200)
        self.assertNotIn("X-Amz-Function-Error", headers)
        self.assert_claims(document)

    def test_webhook_path_signed(self):
        status, _, document = self.shim.webhook(self.event)
        self.assertEqual(status, 200)
        self.assert_claims(document)

    def test_unknown_user_comes_back_unchanged(self):
        stranger = copy.deepcopy(self.event)
        stranger["request"]["userAttributes"]["email"] = "nobody@example.com"
        status, _, document = self.shim.invoke(stranger)
        self.assertEqual(status, 200)
        self.assertEqual(document, stranger)

    def test_wrong_secret_is_401(self):
        other = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        status, _, document = self.shim.webhook(self.event, secret=other)
        self.assertEqual(status, 401)
        self.assertNotIn("response", document)

    def test_stale_timestamp_is_401(self):
        status, _, _ = self.shim.webhook(self.event, timestamp=int(time.time()) - 360)
        self.assertEqual(status, 401)

    def test_future_timestamp_is_401(self):
        status, _, _ = self.shim.webhook(self.event, timestamp=int(time.time()) + 360)
        self.assertEqual(status, 401)

    def test_unsigned_is_401(self):
        status, _, _ = self.shim.post("/", json.dumps(self.event).encode())
        self.assertEqual(status, 401)

    def test_body_over_the_limit_is_413(self):
        status, _, _ = self.shim.post("/2015-03-31/functions/f/invocations", b"x" * (1024 * 1024 + 1))
        self.assertEqual(status, 413)

    def test_log_has_the_source_not_the_event(self):
        self.shim.invoke(self.event)
        logs = self.shim.logs()
        self.assertRegex(logs, r"invoke TokenGeneration_HostedAuth ok")
        self.assertNotIn("alice@example.com", logs)
        self.assertNotIn("tenant-acme", logs)


class RaisingHandlerTest(ShimTestCase):
    """A handler (named ``handler``) that raises, behind serve.py."""

    handler_file = os.path.join(HERE, "fixtures", "raising_handler.py")
    args = ("--secret", SECRET, "--timeout", "0.3")
    event_name = "pre-sign-up-sign-up"

    def test_invoke_path_answers_200_with_function_error(self):
        status, headers, document = self.shim.invoke(self.event)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("X-Amz-Function-Error"), "Unhandled")
        self.assertEqual(document, {"errorMessage": "Sign-up is closed for erin@example.org", "errorType": "SignUpRejected"})

    def test_webhook_path_answers_400_with_error_message(self):
        status, _, document = self.shim.webhook(self.event)
        self.assertEqual(status, 400)
        self.assertEqual(document, {"errorMessage": "Sign-up is closed for erin@example.org"})

    def test_a_handler_past_the_timeout_gets_lambdas_timeout_error(self):
        hanging = copy.deepcopy(self.event)
        hanging["request"]["clientMetadata"] = {"hang": "yes"}
        status, headers, document = self.shim.invoke(hanging)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("X-Amz-Function-Error"), "Unhandled")
        self.assertEqual(document, {"errorMessage": "Task timed out after 0.30 seconds", "errorType": "Sandbox.Timedout"})

    def test_log_has_the_error_type_not_the_message(self):
        self.shim.invoke(self.event)
        logs = self.shim.logs()
        self.assertRegex(logs, r"invoke PreSignUp_SignUp error SignUpRejected")
        self.assertNotIn("erin@example.org", logs)


class NoInvokeTest(ShimTestCase):
    """serve.py --no-invoke: the Invoke path must be signed like any other."""

    handler_file = os.path.join(HERE, "..", "pre_token_generation.py")
    args = ("--secret", SECRET, "--no-invoke")
    event_name = "pre-token-generation-hosted-auth"

    def test_unsigned_invoke_is_401_signed_is_200(self):
        self.assertEqual(self.shim.invoke(self.event)[0], 401)
        status, _, _ = self.shim.webhook(self.event, path="/2015-03-31/functions/f/invocations")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
