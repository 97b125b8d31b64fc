"""boto3 drives Incognito's SigV4-signed admin actions with --endpoint-url.

Run by tests/api/cognito_boto3.rs, which starts the server and passes INCOGNITO_TEST_URL,
INCOGNITO_TEST_POOL, INCOGNITO_TEST_CLIENT (allows ADMIN_USER_PASSWORD_AUTH),
INCOGNITO_TEST_KEY_ID and INCOGNITO_TEST_KEY_SECRET, and a read-only key in
INCOGNITO_TEST_RO_KEY_ID and INCOGNITO_TEST_RO_KEY_SECRET. Uses only the standard library's unittest.
"""

import os
import unittest

import botocore.exceptions

from common import POOL, error_code, idp

CLIENT = os.environ["INCOGNITO_TEST_CLIENT"]
KEY_ID = os.environ["INCOGNITO_TEST_KEY_ID"]
KEY_SECRET = os.environ["INCOGNITO_TEST_KEY_SECRET"]
RO_KEY_ID = os.environ["INCOGNITO_TEST_RO_KEY_ID"]
RO_KEY_SECRET = os.environ["INCOGNITO_TEST_RO_KEY_SECRET"]
ROLE = "arn:aws:iam::123456789012:role/Ops"




class AdminApi(unittest.TestCase):
    def setUp(self):
        self.c = idp()

    def create(self, email, temp="Temporary pass 1"):
        return self.c.admin_create_user(
            UserPoolId=POOL,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "name", "Value": "Admin Made"},
                {"Name": "locale", "Value": "en"},
                {"Name": "email_verified", "Value": "true"},
            ],
            TemporaryPassword=temp,
        )["User"]

    def test_create_user_new_password_required_then_tokens(self):
        user = self.create("boto-new@example.com")
        self.assertEqual(user["UserStatus"], "FORCE_CHANGE_PASSWORD")
        self.assertTrue(user["Enabled"])
        r = self.c.admin_initiate_auth(
            UserPoolId=POOL,
            ClientId=CLIENT,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "boto-new@example.com", "PASSWORD": "Temporary pass 1"},
        )
        self.assertEqual(r["ChallengeName"], "NEW_PASSWORD_REQUIRED")
        r = self.c.admin_respond_to_auth_challenge(
            UserPoolId=POOL,
            ClientId=CLIENT,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=r["Session"],
            ChallengeResponses={"USERNAME": "boto-new@example.com", "NEW_PASSWORD": "a permanent password"},
        )
        tokens = r["AuthenticationResult"]
        self.assertIn("AccessToken", tokens)
        got = self.c.admin_get_user(UserPoolId=POOL, Username="boto-new@example.com")
        self.assertEqual(got["UserStatus"], "CONFIRMED")
        attrs = {a["Name"]: a["Value"] for a in got["UserAttributes"]}
        self.assertEqual(attrs["email"], "boto-new@example.com")
        self.assertEqual(attrs["email_verified"], "true")
        # The user-facing API accepts the access token.
        me = self.c.get_user(AccessToken=tokens["AccessToken"])
        self.assertEqual(me["Username"], got["Username"])
        # Disabling kills the tokens; enabling does not bring them back.
        self.c.admin_disable_user(UserPoolId=POOL, Username="boto-new@example.com")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.get_user(AccessToken=tokens["AccessToken"])
        self.assertEqual(error_code(e.exception), "NotAuthorizedException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_initiate_auth(
                UserPoolId=POOL,
                ClientId=CLIENT,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "boto-new@example.com", "PASSWORD": "a permanent password"},
            )
        self.assertEqual(error_code(e.exception), "NotAuthorizedException")
        self.c.admin_enable_user(UserPoolId=POOL, Username="boto-new@example.com")
        r = self.c.admin_initiate_auth(
            UserPoolId=POOL,
            ClientId=CLIENT,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "boto-new@example.com", "PASSWORD": "a permanent password"},
        )
        self.assertIn("AuthenticationResult", r)
        # Global sign-out ends the new tokens.
        self.c.admin_user_global_sign_out(UserPoolId=POOL, Username="boto-new@example.com")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.get_user(AccessToken=r["AuthenticationResult"]["AccessToken"])
        self.assertEqual(error_code(e.exception), "NotAuthorizedException")

    def test_resend_gives_a_new_temporary_password_until_the_first_sign_in(self):
        self.create("boto-resend@example.com")
        self.c.admin_create_user(
            UserPoolId=POOL,
            Username="boto-resend@example.com",
            MessageAction="RESEND",
            TemporaryPassword="Second temporary 2",
        )
        sign_in = lambda pw: self.c.admin_initiate_auth(
            UserPoolId=POOL,
            ClientId=CLIENT,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "boto-resend@example.com", "PASSWORD": pw},
        )
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            sign_in("Temporary pass 1")
        self.assertEqual(error_code(e.exception), "NotAuthorizedException")
        r = sign_in("Second temporary 2")
        self.assertEqual(r["ChallengeName"], "NEW_PASSWORD_REQUIRED")
        self.c.admin_respond_to_auth_challenge(
            UserPoolId=POOL,
            ClientId=CLIENT,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=r["Session"],
            ChallengeResponses={"USERNAME": "boto-resend@example.com", "NEW_PASSWORD": "now my own password"},
        )
        # Signed in once: no more resending.
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_create_user(
                UserPoolId=POOL, Username="boto-resend@example.com", MessageAction="RESEND"
            )
        self.assertEqual(error_code(e.exception), "UnsupportedUserStateException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_create_user(
                UserPoolId=POOL, Username="nobody-resend@example.com", MessageAction="RESEND"
            )
        self.assertEqual(error_code(e.exception), "UserNotFoundException")

    def test_set_password_update_attributes_delete(self):
        self.create("boto-set@example.com")
        self.c.admin_set_user_password(
            UserPoolId=POOL, Username="boto-set@example.com", Password="set by the admin", Permanent=True
        )
        r = self.c.admin_initiate_auth(
            UserPoolId=POOL,
            ClientId=CLIENT,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "boto-set@example.com", "PASSWORD": "set by the admin"},
        )
        self.assertIn("AuthenticationResult", r)
        self.c.admin_update_user_attributes(
            UserPoolId=POOL,
            Username="boto-set@example.com",
            UserAttributes=[{"Name": "name", "Value": "Renamed"}, {"Name": "custom:plan", "Value": "pro"}],
        )
        attrs = {
            a["Name"]: a["Value"]
            for a in self.c.admin_get_user(UserPoolId=POOL, Username="boto-set@example.com")["UserAttributes"]
        }
        self.assertEqual(attrs["name"], "Renamed")
        self.assertEqual(attrs["custom:plan"], "pro")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_set_user_password(
                UserPoolId=POOL, Username="boto-set@example.com", Password="short", Permanent=True
            )
        self.assertEqual(error_code(e.exception), "InvalidPasswordException")
        self.c.admin_delete_user(UserPoolId=POOL, Username="boto-set@example.com")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_get_user(UserPoolId=POOL, Username="boto-set@example.com")
        self.assertEqual(error_code(e.exception), "UserNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.create("not-an-email")
        self.assertEqual(error_code(e.exception), "InvalidParameterException")

    def test_sign_up_admin_confirm_and_reset(self):
        self.c.sign_up(
            ClientId=CLIENT,
            Username="boto-signup@example.com",
            Password="a password to confirm",
            UserAttributes=[
                {"Name": "email", "Value": "boto-signup@example.com"},
                {"Name": "name", "Value": "Signed Up"},
                {"Name": "locale", "Value": "en"},
            ],
        )
        got = self.c.admin_get_user(UserPoolId=POOL, Username="boto-signup@example.com")
        self.assertEqual(got["UserStatus"], "UNCONFIRMED")
        self.c.admin_confirm_sign_up(UserPoolId=POOL, Username="boto-signup@example.com")
        got = self.c.admin_get_user(UserPoolId=POOL, Username="boto-signup@example.com")
        self.assertEqual(got["UserStatus"], "CONFIRMED")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_confirm_sign_up(UserPoolId=POOL, Username="boto-signup@example.com")
        self.assertEqual(error_code(e.exception), "NotAuthorizedException")
        self.c.admin_reset_user_password(UserPoolId=POOL, Username="boto-signup@example.com")

    def test_groups_and_listing(self):
        for i in range(5):
            self.create(f"boto-list-{i}@example.com")
        self.c.create_group(UserPoolId=POOL, GroupName="editors", Description="Edit things", Precedence=2)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.create_group(UserPoolId=POOL, GroupName="editors")
        self.assertEqual(error_code(e.exception), "GroupExistsException")
        self.c.admin_add_user_to_group(UserPoolId=POOL, Username="boto-list-1@example.com", GroupName="editors")
        self.c.admin_add_user_to_group(UserPoolId=POOL, Username="boto-list-2@example.com", GroupName="editors")
        groups = self.c.admin_list_groups_for_user(UserPoolId=POOL, Username="boto-list-1@example.com")["Groups"]
        self.assertEqual([g["GroupName"] for g in groups], ["editors"])
        self.assertIn("editors", [g["GroupName"] for g in self.c.list_groups(UserPoolId=POOL)["Groups"]])
        members = self.c.list_users_in_group(UserPoolId=POOL, GroupName="editors")["Users"]
        self.assertEqual(len(members), 2)
        self.c.admin_remove_user_from_group(UserPoolId=POOL, Username="boto-list-2@example.com", GroupName="editors")
        members = self.c.list_users_in_group(UserPoolId=POOL, GroupName="editors")["Users"]
        self.assertEqual(len(members), 1)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_add_user_to_group(UserPoolId=POOL, Username="boto-list-1@example.com", GroupName="nope")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.admin_remove_user_from_group(UserPoolId=POOL, Username="boto-list-1@example.com", GroupName="nope")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")
        # Removing a non-member is not an error.
        self.c.admin_remove_user_from_group(UserPoolId=POOL, Username="boto-list-2@example.com", GroupName="editors")
        # The group shows in the tokens.
        self.c.admin_set_user_password(
            UserPoolId=POOL, Username="boto-list-1@example.com", Password="password for groups", Permanent=True
        )
        # Filter and pagination.
        found = self.c.list_users(UserPoolId=POOL, Filter='email = "boto-list-3@example.com"')["Users"]
        self.assertEqual(len(found), 1)
        prefix = self.c.list_users(UserPoolId=POOL, Filter='email ^= "boto-list-"', Limit=2)
        self.assertEqual(len(prefix["Users"]), 2)
        seen = [u["Username"] for u in prefix["Users"]]
        token = prefix.get("PaginationToken")
        while token:
            page = self.c.list_users(UserPoolId=POOL, Filter='email ^= "boto-list-"', Limit=2, PaginationToken=token)
            seen += [u["Username"] for u in page["Users"]]
            token = page.get("PaginationToken")
        self.assertEqual(len(seen), 5)
        self.assertEqual(len(set(seen)), 5)
        paginator = self.c.get_paginator("list_users")
        total = sum(len(p["Users"]) for p in paginator.paginate(UserPoolId=POOL, Filter='email ^= "boto-list-"', PaginationConfig={"PageSize": 2}))
        self.assertEqual(total, 5)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.list_users(UserPoolId=POOL, Filter="password = 'x'")
        self.assertEqual(error_code(e.exception), "InvalidParameterException")

    def test_group_lifecycle(self):
        g = self.c.create_group(UserPoolId=POOL, GroupName="ops", Precedence=3, RoleArn=ROLE)["Group"]
        self.assertEqual(g["RoleArn"], ROLE)
        g = self.c.get_group(UserPoolId=POOL, GroupName="ops")["Group"]
        self.assertEqual((g["Precedence"], g["RoleArn"]), (3, ROLE))
        g = self.c.update_group(UserPoolId=POOL, GroupName="ops", Description="Operations")["Group"]
        self.assertEqual((g["Description"], g["Precedence"], g["RoleArn"]), ("Operations", 3, ROLE))
        self.assertGreaterEqual(g["LastModifiedDate"], g["CreationDate"])
        self.c.delete_group(UserPoolId=POOL, GroupName="ops")
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException):
            self.c.get_group(UserPoolId=POOL, GroupName="ops")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.update_group(UserPoolId=POOL, GroupName="x", RoleArn="arn:aws:iam::123456789012:user/x")
        self.assertEqual(error_code(e.exception), "InvalidParameterException")

    def test_a_read_only_key_is_denied_writes(self):
        ro = idp(key_id=RO_KEY_ID, secret=RO_KEY_SECRET)
        ro.list_groups(UserPoolId=POOL)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            ro.create_group(UserPoolId=POOL, GroupName="nope")
        self.assertEqual(error_code(e.exception), "AccessDeniedException")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertIn("cognito-idp:CreateGroup", e.exception.response["Error"]["Message"])

    def test_bad_credentials_are_refused_like_aws(self):
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            idp(secret="wrong" + KEY_SECRET[5:]).list_groups(UserPoolId=POOL)
        self.assertEqual(error_code(e.exception), "InvalidSignatureException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            idp(key_id="AKINUNKNOWNKEY000000").list_groups(UserPoolId=POOL)
        self.assertEqual(error_code(e.exception), "UnrecognizedClientException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.list_groups(UserPoolId="local_NoSuchPool")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main(verbosity=2)
