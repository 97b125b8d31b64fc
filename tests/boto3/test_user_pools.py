"""boto3 and the AWS CLI manage user pools through Incognito's control plane.

Run by tests/api/cognito_control_pools.rs, which starts a server and passes INCOGNITO_TEST_URL,
INCOGNITO_TEST_KEY_ID, INCOGNITO_TEST_KEY_SECRET and INCOGNITO_EXAMPLES (examples/cognito).
"""

import json
import os
import shutil
import subprocess
import unittest

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["INCOGNITO_TEST_URL"]
KEY_ID = os.environ["INCOGNITO_TEST_KEY_ID"]
KEY_SECRET = os.environ["INCOGNITO_TEST_KEY_SECRET"]
EXAMPLES = os.environ["INCOGNITO_EXAMPLES"]


def idp(validate=True):
    """A client; `validate=False` sends what botocore's own checks would stop, so that the
    server's answer to it is tested."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=URL,
        region_name="local",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=KEY_SECRET,
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def example(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return json.load(f)


def error_code(e):
    return e.response["Error"]["Code"]


def attribute(pool, name):
    return next(a for a in pool["SchemaAttributes"] if a["Name"] == name)


class UserPools(unittest.TestCase):
    def setUp(self):
        self.c = idp()

    def test_create_describe_round_trip(self):
        request = example("user-pool.json")
        created = self.c.create_user_pool(**request)["UserPool"]
        pool_id = created["Id"]
        self.assertTrue(pool_id.startswith("local_"), pool_id)
        pool = self.c.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        self.assertEqual(pool["Name"], "my-app-users")
        self.assertEqual(
            pool["Arn"], f"arn:aws:cognito-idp:local:000000000000:userpool/{pool_id}"
        )
        self.assertEqual(pool["UsernameAttributes"], ["email"])
        self.assertEqual(pool["MfaConfiguration"], "OPTIONAL")
        self.assertEqual(pool["AutoVerifiedAttributes"], ["email"])
        self.assertEqual(pool["DeletionProtection"], "ACTIVE")
        self.assertEqual(pool["UserPoolTags"], {"app": "my-app", "env": "dev"})
        self.assertEqual(pool["UsernameConfiguration"], {"CaseSensitive": False})
        self.assertEqual(pool["EstimatedNumberOfUsers"], 0)
        self.assertFalse(pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"])
        self.assertEqual(
            pool["AccountRecoverySetting"], request["AccountRecoverySetting"]
        )
        self.assertEqual(pool["EmailConfiguration"], request["EmailConfiguration"])
        policy = pool["Policies"]["PasswordPolicy"]
        for k, v in request["Policies"]["PasswordPolicy"].items():
            self.assertEqual(policy[k], v, k)
        # botocore parsed the dates as datetimes: they are numbers on the wire.
        self.assertEqual(pool["CreationDate"].year >= 2024, True)
        for name in ("email", "name", "locale"):
            self.assertTrue(attribute(pool, name)["Required"], name)
        self.assertFalse(attribute(pool, "given_name")["Required"])
        self.assertEqual(attribute(pool, "email_verified")["AttributeDataType"], "Boolean")
        self.assertEqual(attribute(pool, "updated_at")["AttributeDataType"], "Number")
        tenant = attribute(pool, "custom:tenant_id")
        self.assertEqual(tenant["AttributeDataType"], "String")
        self.assertFalse(tenant["Mutable"])
        self.assertEqual(
            tenant["StringAttributeConstraints"], {"MinLength": "1", "MaxLength": "64"}
        )
        # The pool signs tokens: its JWKS is served.
        import urllib.request

        with urllib.request.urlopen(f"{URL}/{pool_id}/.well-known/jwks.json") as r:
            self.assertEqual(len(json.load(r)["keys"]), 1)

    def test_schema_is_enforced(self):
        pool_id = self.c.create_user_pool(**example("user-pool.json"))["UserPool"]["Id"]
        self.c.add_custom_attributes(
            UserPoolId=pool_id,
            CustomAttributes=[
                {
                    "Name": "seats",
                    "AttributeDataType": "Number",
                    "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "100"},
                }
            ],
        )
        pool = self.c.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        self.assertEqual(attribute(pool, "custom:seats")["AttributeDataType"], "Number")

        def create(email, extra):
            return self.c.admin_create_user(
                UserPoolId=pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "name", "Value": "Schema Test"},
                    {"Name": "locale", "Value": "en"},
                ]
                + extra,
                MessageAction="SUPPRESS",
            )

        create("ok@example.com", [{"Name": "custom:seats", "Value": "5"},
                                  {"Name": "custom:tenant_id", "Value": "t1"}])
        for bad in (
            [{"Name": "custom:seats", "Value": "500"}],
            [{"Name": "custom:seats", "Value": "many"}],
            [{"Name": "custom:tenant_id", "Value": "x" * 65}],
            [{"Name": "custom:undeclared", "Value": "x"}],
        ):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                create("bad@example.com", bad)
            self.assertEqual(error_code(e.exception), "InvalidParameterException", bad)
        # custom:tenant_id is immutable: set at creation, never changed.
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_update_user_attributes(
                UserPoolId=pool_id,
                Username="ok@example.com",
                UserAttributes=[{"Name": "custom:tenant_id", "Value": "t2"}],
            )
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        self.c.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username="ok@example.com",
            UserAttributes=[{"Name": "custom:seats", "Value": "7"}],
        )
        user = self.c.admin_get_user(UserPoolId=pool_id, Username="ok@example.com")
        attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        self.assertEqual(attrs["custom:seats"], "7")
        self.assertEqual(attrs["custom:tenant_id"], "t1")
        # An existing attribute cannot be added again (nor retyped).
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.add_custom_attributes(
                UserPoolId=pool_id,
                CustomAttributes=[{"Name": "seats", "AttributeDataType": "String"}],
            )
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        self.assertEqual(
            self.c.describe_user_pool(UserPoolId=pool_id)["UserPool"]["EstimatedNumberOfUsers"], 1
        )

    def test_update_replaces_and_keeps_the_username_model(self):
        pool_id = self.c.create_user_pool(**example("user-pool.json"))["UserPool"]["Id"]
        self.c.update_user_pool(
            UserPoolId=pool_id,
            MfaConfiguration="OFF",
            Policies={"PasswordPolicy": {"MinimumLength": 12}},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )
        pool = self.c.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        self.assertEqual(pool["MfaConfiguration"], "OFF")
        policy = pool["Policies"]["PasswordPolicy"]
        self.assertEqual(policy["MinimumLength"], 12)
        # Omitted members return to their defaults, as at Cognito.
        self.assertFalse(policy["RequireUppercase"])
        self.assertEqual(pool["DeletionProtection"], "INACTIVE")
        self.assertEqual(pool["AutoVerifiedAttributes"], ["email"])
        self.assertTrue(pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"])
        # What UpdateUserPool cannot change stays.
        self.assertEqual(pool["UsernameAttributes"], ["email"])
        self.assertTrue(attribute(pool, "name")["Required"])
        self.assertIn("custom:tenant_id", [a["Name"] for a in pool["SchemaAttributes"]])
        # Tags stay unless the update names them.
        self.assertEqual(pool["UserPoolTags"], {"app": "my-app", "env": "dev"})

    def test_deletion_protection_and_delete(self):
        pool_id = self.c.create_user_pool(**example("user-pool.json"))["UserPool"]["Id"]
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.delete_user_pool(UserPoolId=pool_id)
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        self.c.describe_user_pool(UserPoolId=pool_id)
        self.c.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
        self.c.delete_user_pool(UserPoolId=pool_id)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.describe_user_pool(UserPoolId=pool_id)
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")

    def test_list_pages(self):
        made = {
            self.c.create_user_pool(PoolName=f"paged-{i}")["UserPool"]["Id"] for i in range(3)
        }
        seen, token, pages = [], None, 0
        while True:
            args = {"MaxResults": 2}
            if token:
                args["NextToken"] = token
            page = self.c.list_user_pools(**args)
            self.assertLessEqual(len(page["UserPools"]), 2)
            seen += [p["Id"] for p in page["UserPools"]]
            pages += 1
            token = page.get("NextToken")
            if not token:
                break
        self.assertTrue(made <= set(seen), (made, seen))
        self.assertEqual(len(seen), len(set(seen)), "no pool twice")
        self.assertGreaterEqual(pages, 2)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.list_user_pools(MaxResults=2, NextToken="not-a-token")
        self.assertEqual(error_code(e.exception), "InvalidParameterException")

    def test_bad_input(self):
        cases = [
            ({"PoolName": "x", "MfaConfiguration": "ON", "UsernameAttributes": ["phone_number"]},
             "InvalidParameterException"),
            ({"PoolName": "x", "Policies": {"PasswordPolicy": {"MinimumLength": 5}}},
             "InvalidParameterException"),
            ({"PoolName": "x", "Schema": [{"Name": "email", "AttributeDataType": "Number"}]},
             "InvalidParameterException"),
            ({"PoolName": "x", "Schema": [{"Name": "this_name_is_far_too_long_for_cognito",
                                           "AttributeDataType": "String"}]},
             "InvalidParameterException"),
        ]
        before = len(self.c.list_user_pools(MaxResults=60)["UserPools"])
        raw = idp(validate=False)
        for request, code in cases:
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                raw.create_user_pool(**request)
            self.assertEqual(error_code(e.exception), code, request)
        after = len(self.c.list_user_pools(MaxResults=60)["UserPools"])
        self.assertEqual(before, after, "nothing half-written")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.describe_user_pool(UserPoolId="local_doesnotexist")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.update_user_pool(UserPoolId="local_doesnotexist")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")

    def test_unsigned_calls_are_refused(self):
        anonymous = boto3.client(
            "cognito-idp",
            endpoint_url=URL,
            region_name="local",
            aws_access_key_id="AKIANOTAKEY000000000",
            aws_secret_access_key="wrong",
            config=Config(retries={"max_attempts": 1}),
        )
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            anonymous.create_user_pool(PoolName="nope")
        self.assertIn(
            error_code(e.exception),
            ("UnrecognizedClientException", "NotAuthorizedException", "InvalidSignatureException"),
        )

    def test_aws_cli_creates_the_pool_from_the_example_file(self):
        if not shutil.which("aws"):
            if os.environ.get("INCOGNITO_REQUIRE_ALL_TESTS") == "1":
                self.fail("the AWS CLI is missing (./scripts/test.sh installs it)")
            self.skipTest("SKIPPED LOUDLY: the AWS CLI is missing (./scripts/test.sh installs it)")
        env = dict(
            os.environ,
            AWS_ACCESS_KEY_ID=KEY_ID,
            AWS_SECRET_ACCESS_KEY=KEY_SECRET,
            AWS_DEFAULT_REGION="local",
            AWS_PAGER="",
        )
        env.pop("AWS_PROFILE", None)

        def aws(*args):
            out = subprocess.run(
                ["aws", "cognito-idp", *args, "--endpoint-url", URL, "--output", "json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(out.stdout) if out.stdout.strip() else {}

        path = os.path.join(EXAMPLES, "user-pool.json")
        pool = aws("create-user-pool", "--cli-input-json", f"file://{path}")["UserPool"]
        described = aws("describe-user-pool", "--user-pool-id", pool["Id"])["UserPool"]
        self.assertEqual(described["Name"], "my-app-users")
        self.assertEqual(described["MfaConfiguration"], "OPTIONAL")
        listed = aws("list-user-pools", "--max-results", "60")["UserPools"]
        self.assertIn(pool["Id"], [p["Id"] for p in listed])


if __name__ == "__main__":
    unittest.main(verbosity=2)
