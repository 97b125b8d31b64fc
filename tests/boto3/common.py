"""What the boto3 scripts share: the test server's address, pool and admin key (from the
environment tests/api/cognito_boto3.rs sets) and a boto3 client for them."""

import os

import boto3
from botocore.config import Config

URL = os.environ["INCOGNITO_TEST_URL"]
# The default pool (the control-plane scripts make their own).
POOL = os.environ.get("INCOGNITO_TEST_POOL", "")
KEY_ID = os.environ["INCOGNITO_TEST_KEY_ID"]
KEY_SECRET = os.environ["INCOGNITO_TEST_KEY_SECRET"]


def idp(key_id=KEY_ID, secret=KEY_SECRET, validate=True):
    """A client; `validate=False` sends what botocore's own checks would stop, so that the
    server's answer to it is tested."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=URL,
        region_name="local",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def error_code(e):
    return e.response["Error"]["Code"]
