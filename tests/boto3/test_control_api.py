"""boto3 manages app clients and resource servers (the control plane) with --endpoint-url.

Run by tests/api/cognito_boto3.rs, which starts the server and passes INCOGNITO_TEST_URL,
INCOGNITO_TEST_POOL, INCOGNITO_TEST_KEY_ID and INCOGNITO_TEST_KEY_SECRET. Uses only the
standard library's unittest.
"""

import base64
import json
import unittest
import urllib.parse
import urllib.request

import botocore.exceptions

from common import KEY_SECRET, POOL, URL, error_code, idp


CONFIG = {
    "RefreshTokenValidity": 60,
    "AccessTokenValidity": 15,
    "IdTokenValidity": 15,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
    "ReadAttributes": ["email", "email_verified", "name"],
    "WriteAttributes": ["name"],
    "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": ["https://app.example.com/callback"],
    "LogoutURLs": ["https://app.example.com/"],
    "DefaultRedirectURI": "https://app.example.com/callback",
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 5,
}


class ControlApi(unittest.TestCase):
    def setUp(self):
        self.c = idp()

    def test_app_client_round_trip_update_and_paginator(self):
        created = self.c.create_user_pool_client(UserPoolId=POOL, ClientName="boto web", **CONFIG)["UserPoolClient"]
        client_id = created["ClientId"]
        self.assertNotIn("ClientSecret", created)
        described = self.c.describe_user_pool_client(UserPoolId=POOL, ClientId=client_id)["UserPoolClient"]
        for member, value in CONFIG.items():
            self.assertEqual(described[member], value, member)
        # botocore parses the dates (epoch seconds) into datetimes.
        self.assertEqual(described["CreationDate"], created["CreationDate"])
        updated = self.c.update_user_pool_client(
            UserPoolId=POOL, ClientId=client_id, ClientName="boto web 2", CallbackURLs=["https://app.example.com/cb2"]
        )["UserPoolClient"]
        self.assertEqual(updated["ClientName"], "boto web 2")
        self.assertEqual(updated["ReadAttributes"], [])
        self.assertEqual(updated["AllowedOAuthFlows"], [])
        self.assertNotIn("DefaultRedirectURI", updated)
        self.assertEqual(updated["TokenValidityUnits"]["RefreshToken"], "days")
        for n in range(3):
            self.c.create_user_pool_client(UserPoolId=POOL, ClientName=f"boto extra {n}")
        paginator = self.c.get_paginator("list_user_pool_clients")
        ids = [
            c["ClientId"]
            for page in paginator.paginate(UserPoolId=POOL, PaginationConfig={"PageSize": 2})
            for c in page["UserPoolClients"]
        ]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn(client_id, ids)
        self.c.delete_user_pool_client(UserPoolId=POOL, ClientId=client_id)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.describe_user_pool_client(UserPoolId=POOL, ClientId=client_id)
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")

    def test_resource_server_and_a_machine_client_get_a_token(self):
        server = self.c.create_resource_server(
            UserPoolId=POOL,
            Identifier="https://orders.example.com",
            Name="Orders",
            Scopes=[{"ScopeName": "orders.read", "ScopeDescription": "Read orders"}],
        )["ResourceServer"]
        self.assertEqual(server["Scopes"][0]["ScopeName"], "orders.read")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.create_resource_server(UserPoolId=POOL, Identifier="https://orders.example.com", Name="Again")
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        listed = self.c.list_resource_servers(UserPoolId=POOL, MaxResults=50)["ResourceServers"]
        self.assertIn("https://orders.example.com", [s["Identifier"] for s in listed])
        machine = self.c.create_user_pool_client(
            UserPoolId=POOL,
            ClientName="boto machine",
            GenerateSecret=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["https://orders.example.com/orders.read"],
        )["UserPoolClient"]
        basic = base64.b64encode(f"{machine['ClientId']}:{machine['ClientSecret']}".encode()).decode()
        req = urllib.request.Request(
            f"{URL}/{POOL}/oauth2/token",
            data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(req) as r:
            token = json.load(r)
        self.assertEqual(token["token_type"], "Bearer")
        payload = token["access_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        self.assertEqual(claims["scope"], "https://orders.example.com/orders.read")
        self.c.delete_resource_server(UserPoolId=POOL, Identifier="https://orders.example.com")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.describe_resource_server(UserPoolId=POOL, Identifier="https://orders.example.com")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")

    def test_refusals(self):
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.create_user_pool_client(
                UserPoolId=POOL, ClientName="implicit", AllowedOAuthFlows=["implicit"], AllowedOAuthFlowsUserPoolClient=True
            )
        self.assertEqual(error_code(e.exception), "InvalidOAuthFlowException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.create_user_pool_client(UserPoolId=POOL, ClientName="plain http", CallbackURLs=["http://app.example.com/cb"])
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.create_user_pool_client(UserPoolId="local_NoSuchPool", ClientName="x")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            idp(secret="wrong" + KEY_SECRET[5:]).list_user_pool_clients(UserPoolId=POOL, MaxResults=10)
        self.assertEqual(error_code(e.exception), "InvalidSignatureException")


if __name__ == "__main__":
    unittest.main(verbosity=2)
