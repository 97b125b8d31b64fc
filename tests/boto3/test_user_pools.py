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

from common import KEY_ID, KEY_SECRET, URL, error_code, idp

EXAMPLES = os.environ["INCOGNITO_EXAMPLES"]


def example(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return json.load(f)


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

    def test_tags_mfa_ui_and_domain(self):
        pool = self.c.create_user_pool(**example("user-pool.json"))["UserPool"]
        pool_id, arn = pool["Id"], pool["Arn"]
        self.c.tag_resource(ResourceArn=arn, Tags={"team": "identity"})
        self.c.untag_resource(ResourceArn=arn, TagKeys=["env"])
        tags = self.c.list_tags_for_resource(ResourceArn=arn)["Tags"]
        self.assertEqual(tags, {"app": "my-app", "team": "identity"})
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.list_tags_for_resource(ResourceArn=arn.replace(pool_id, "local_nope"))
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")

        got = self.c.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="ON",
        )
        self.assertEqual(got["MfaConfiguration"], "ON")
        got = self.c.get_user_pool_mfa_config(UserPoolId=pool_id)
        self.assertEqual(got["MfaConfiguration"], "ON")
        self.assertTrue(got["SoftwareTokenMfaConfiguration"]["Enabled"])
        self.assertEqual(
            self.c.describe_user_pool(UserPoolId=pool_id)["UserPool"]["MfaConfiguration"], "ON"
        )
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.set_user_pool_mfa_config(
                UserPoolId=pool_id,
                SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"},
                MfaConfiguration="ON",
            )
        self.assertEqual(error_code(e.exception), "InvalidParameterException")

        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
        self.c.set_ui_customization(UserPoolId=pool_id, CSS=".banner { color: #0b7285; }", ImageFile=png)
        ui = self.c.get_ui_customization(UserPoolId=pool_id)["UICustomization"]
        self.assertEqual(ui["CSS"], ".banner { color: #0b7285; }")
        self.assertTrue(ui["ImageUrl"].startswith("data:image/png;base64,"))
        import urllib.request

        with urllib.request.urlopen(f"{URL}/{pool_id}/branding.css") as r:
            self.assertIn(".banner", r.read().decode())

        self.c.create_user_pool_domain(Domain="my-app-login", UserPoolId=pool_id)
        d = self.c.describe_user_pool_domain(Domain="my-app-login")["DomainDescription"]
        self.assertEqual(d["UserPoolId"], pool_id)
        self.assertEqual(d["Status"], "ACTIVE")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.create_user_pool_domain(Domain="my-app-login", UserPoolId=pool_id)
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        self.c.delete_user_pool_domain(Domain="my-app-login", UserPoolId=pool_id)
        self.assertEqual(
            self.c.describe_user_pool_domain(Domain="my-app-login")["DomainDescription"], {}
        )

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

    def require(self, present, what):
        """A missing tool skips loudly, or fails under ./scripts/test.sh."""
        if present:
            return
        if os.environ.get("INCOGNITO_REQUIRE_ALL_TESTS") == "1":
            self.fail(f"{what} is missing (./scripts/test.sh installs it)")
        self.skipTest(f"SKIPPED LOUDLY: {what} is missing (./scripts/test.sh installs it)")

    def test_aws_cli_creates_the_pool_from_the_example_file(self):
        self.require(shutil.which("aws"), "the AWS CLI")
        js = os.environ["INCOGNITO_JS_DIR"]
        self.require(
            shutil.which("node") and os.path.isdir(os.path.join(js, "node_modules")),
            "node with tests/js/node_modules",
        )
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
        path = os.path.join(EXAMPLES, "app-client.json")
        client = aws(
            "create-user-pool-client",
            "--user-pool-id",
            pool["Id"],
            "--cli-input-json",
            f"file://{path}",
        )["UserPoolClient"]
        self.assertNotIn("ClientSecret", client)
        self.assertEqual(client["RefreshTokenValidity"], 7)
        self.assertEqual(client["TokenValidityUnits"]["RefreshToken"], "days")

        # A Cognito frontend (amazon-cognito-identity-js) signs up and in against the pool
        # and client that the CLI made, with nothing configured any other way.
        email, password = "frontend@example.com", "Correct horse 1 battery"

        def node(step):
            out = subprocess.run(
                ["node", "sign-up-and-in.mjs", step, URL, pool["Id"], client["ClientId"],
                 email, password],
                cwd=os.environ["INCOGNITO_JS_DIR"],
                capture_output=True,
                text=True,
            )
            self.assertEqual(out.returncode, 0, out.stderr)
            return json.loads(out.stdout)

        signed_up = node("signup")
        self.assertFalse(signed_up["userConfirmed"], "e-mail verification is on")
        aws("admin-confirm-sign-up", "--user-pool-id", pool["Id"], "--username", email)
        claims = node("signin")
        self.assertEqual(claims["email"], email)
        self.assertEqual(claims["aud"], client["ClientId"])
        self.assertEqual(claims["iss"], f"{URL}/{pool['Id']}")
        self.assertEqual(claims["sub"], signed_up["sub"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
