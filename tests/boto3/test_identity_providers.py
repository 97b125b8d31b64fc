"""boto3 manages a pool's identity providers (Create/Describe/Update/Delete/List and
GetIdentityProviderByIdentifier) and the clients that offer them.

Run by tests/api/federation_config.rs, which starts the server and passes INCOGNITO_TEST_URL,
INCOGNITO_TEST_POOL, INCOGNITO_TEST_KEY_ID and INCOGNITO_TEST_KEY_SECRET; afterwards it reads
the store to check that the OIDC provider "Corp" still has its first secret, sealed.
"""

import base64
import unittest

import botocore.exceptions

from common import POOL, error_code, idp

CORP = {
    "client_id": "corp-client",
    "client_secret": "corp-s3cret",
    "oidc_issuer": "https://id.corp.example.com",
    "authorize_scopes": "openid email",
}
GOOGLE = {"client_id": "g-client", "client_secret": "g-s3cret", "authorize_scopes": "openid email profile"}


class IdentityProviders(unittest.TestCase):
    def setUp(self):
        self.c = idp()
        self.raw = idp(validate=False)

    def error(self, client, call, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            getattr(client, call)(**kwargs)
        return error_code(e.exception), e.exception.response["Error"]["Message"]

    def test_1_create_describe_update_list_identify(self):
        corp = self.c.create_identity_provider(
            UserPoolId=POOL,
            ProviderName="Corp",
            ProviderType="OIDC",
            ProviderDetails=CORP,
            AttributeMapping={"email": "email", "name": "given_name"},
            IdpIdentifiers=["corp.example.com"],
        )["IdentityProvider"]
        self.assertEqual(corp["UserPoolId"], POOL)
        self.assertEqual(corp["ProviderType"], "OIDC")
        self.assertNotIn("client_secret", corp["ProviderDetails"])
        self.assertEqual(corp["ProviderDetails"]["attributes_request_method"], "GET")
        self.assertEqual(corp["AttributeMapping"]["username"], "sub")
        self.assertEqual(corp["IdpIdentifiers"], ["corp.example.com"])
        self.assertIn("CreationDate", corp)

        google = self.c.create_identity_provider(
            UserPoolId=POOL, ProviderName="Google", ProviderType="Google", ProviderDetails=GOOGLE
        )["IdentityProvider"]
        shown = self.c.describe_identity_provider(UserPoolId=POOL, ProviderName="Google")["IdentityProvider"]
        self.assertEqual(shown, google)
        details = shown["ProviderDetails"]
        # The keys Cognito fills in for Google.
        for key in ["authorize_url", "token_url", "oidc_issuer", "attributes_url",
                    "attributes_url_add_attributes", "token_request_method"]:
            self.assertIn(key, details)
        self.assertEqual(details["oidc_issuer"], "https://accounts.google.com")
        self.assertNotIn("client_secret", details)
        self.assertNotIn("g-s3cret", str(shown))

        # An update without the secret keeps it (the Rust side checks the store).
        updated = self.c.update_identity_provider(
            UserPoolId=POOL,
            ProviderName="Corp",
            ProviderDetails={k: v for k, v in CORP.items() if k != "client_secret"} | {"client_id": "corp-2"},
        )["IdentityProvider"]
        self.assertEqual(updated["ProviderDetails"]["client_id"], "corp-2")
        self.assertNotIn("client_secret", updated["ProviderDetails"])
        self.assertEqual(updated["IdpIdentifiers"], ["corp.example.com"], "identifiers left out are kept")
        self.assertEqual(updated["AttributeMapping"]["email"], "email")

        self.c.create_identity_provider(
            UserPoolId=POOL,
            ProviderName="Partner",
            ProviderType="OIDC",
            ProviderDetails=CORP | {"oidc_issuer": "https://partner.example.com"},
        )
        names, token, pages = [], None, 0
        while True:
            kwargs = {"UserPoolId": POOL, "MaxResults": 1}
            if token:
                kwargs["NextToken"] = token
            page = self.c.list_identity_providers(**kwargs)
            pages += 1
            names += [p["ProviderName"] for p in page["Providers"]]
            for p in page["Providers"]:
                self.assertEqual(set(p), {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"})
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(names, ["Corp", "Google", "Partner"])
        self.assertEqual(pages, 3)

        found = self.c.get_identity_provider_by_identifier(UserPoolId=POOL, IdpIdentifier="corp.example.com")
        self.assertEqual(found["IdentityProvider"]["ProviderName"], "Corp")
        code, _ = self.error(self.c, "get_identity_provider_by_identifier", UserPoolId=POOL, IdpIdentifier="nobody.example")
        self.assertEqual(code, "ResourceNotFoundException")

    def test_3_signing_certificate(self):
        # The pool's SAML certificate: base64 DER, the same at every call.
        first = self.c.get_signing_certificate(UserPoolId=POOL)["Certificate"]
        self.assertEqual(first, self.c.get_signing_certificate(UserPoolId=POOL)["Certificate"])
        self.assertTrue(base64.b64decode(first).startswith(b"\x30\x82"))
        code, _ = self.error(self.c, "get_signing_certificate", UserPoolId="local_nope")
        self.assertEqual(code, "ResourceNotFoundException")

    def test_2_refusals(self):
        code, _ = self.error(self.c, "create_identity_provider", UserPoolId=POOL, ProviderName="Corp",
                             ProviderType="OIDC", ProviderDetails=CORP)
        self.assertEqual(code, "DuplicateProviderException")
        code, _ = self.error(self.c, "create_identity_provider", UserPoolId=POOL, ProviderName="Other",
                             ProviderType="OIDC", ProviderDetails=CORP, IdpIdentifiers=["corp.example.com"])
        self.assertEqual(code, "DuplicateProviderException")
        # What botocore itself would stop reaches the server: it answers the same way.
        for bad in [
            {"ProviderType": "OIDC", "ProviderDetails": {"client_id": "x", "authorize_scopes": "openid"}},
            {"ProviderType": "OIDC", "ProviderDetails": CORP | {"oidc_issuer": "http://plain.example.com"}},
            {"ProviderType": "OIDC", "ProviderDetails": CORP | {"colour": "blue"}},
            {"ProviderType": "SAML", "ProviderDetails": {"MetadataFile": "<nope/>"}},
            {"ProviderType": "SAML", "ProviderDetails": {"MetadataURL": "http://idp.example.com/md"}},
            {"ProviderType": "Kerberos", "ProviderDetails": CORP},
            {"ProviderType": "OIDC", "ProviderDetails": CORP, "IdpIdentifiers": ["x" * 41]},
        ]:
            code, message = self.error(self.raw, "create_identity_provider", UserPoolId=POOL,
                                       ProviderName="Other", **bad)
            self.assertIn(code, ["InvalidParameterException", "SerializationException"], bad)
            self.assertNotIn("corp-s3cret", message)
        code, _ = self.error(self.raw, "list_identity_providers", UserPoolId=POOL, MaxResults=61)
        self.assertEqual(code, "InvalidParameterException")
        code, _ = self.error(self.c, "describe_identity_provider", UserPoolId=POOL, ProviderName="Nope")
        self.assertEqual(code, "ResourceNotFoundException")
        code, _ = self.error(self.c, "update_identity_provider", UserPoolId=POOL, ProviderName="Nope",
                             IdpIdentifiers=[])
        self.assertEqual(code, "ResourceNotFoundException")
        code, _ = self.error(self.c, "delete_identity_provider", UserPoolId=POOL, ProviderName="Nope")
        self.assertEqual(code, "ResourceNotFoundException")
        code, _ = self.error(self.c, "list_identity_providers", UserPoolId="local_Nope99")
        self.assertEqual(code, "ResourceNotFoundException")

    def test_3_clients_offer_existing_providers_and_lose_deleted_ones(self):
        code, message = self.error(self.c, "create_user_pool_client", UserPoolId=POOL, ClientName="web",
                                   SupportedIdentityProviders=["COGNITO", "Nope"])
        self.assertEqual(code, "InvalidParameterException")
        self.assertEqual(message, f"The provider Nope does not exist for User Pool {POOL}")
        client = self.c.create_user_pool_client(UserPoolId=POOL, ClientName="web",
                                                SupportedIdentityProviders=["COGNITO", "Google", "Partner"])
        client_id = client["UserPoolClient"]["ClientId"]
        code, _ = self.error(self.c, "update_user_pool_client", UserPoolId=POOL, ClientId=client_id,
                             SupportedIdentityProviders=["Gone"])
        self.assertEqual(code, "InvalidParameterException")
        self.assertEqual(self.c.delete_identity_provider(UserPoolId=POOL, ProviderName="Partner")["ResponseMetadata"]["HTTPStatusCode"], 200)
        shown = self.c.describe_user_pool_client(UserPoolId=POOL, ClientId=client_id)["UserPoolClient"]
        self.assertEqual(shown["SupportedIdentityProviders"], ["COGNITO", "Google"])
        code, _ = self.error(self.c, "describe_identity_provider", UserPoolId=POOL, ProviderName="Partner")
        self.assertEqual(code, "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main()
