"""PreTokenGeneration (V1) trigger in Python: the same as pre-token-generation.mjs.

Put the user's tenant and roles from the application's own user table into the ID token.
Plain AWS Lambda code (handler setting: pre_token_generation.lambda_handler); serve.py runs
it unchanged. The application's table is stood in for by a JSON file (APP_USERS_FILE,
default ./app-users.json next to this file).
"""

import json
import os

USERS_FILE = os.environ.get(
    "APP_USERS_FILE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "app-users.json")
)


def find_user_by_email(email):
    with open(USERS_FILE, encoding="utf-8") as f:
        users = json.load(f)
    wanted = (email or "").lower()
    return next((user for user in users if user["email"].lower() == wanted), None)


def lambda_handler(event, context):
    email = event["request"]["userAttributes"].get("email")
    user = find_user_by_email(email)
    if user is None:
        # Not (yet) known to the application: issue the tokens without its claims.
        return event
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tenantId": user["tenantId"]},
        "groupOverrideDetails": {"groupsToOverride": user["roles"]},
    }
    return event
