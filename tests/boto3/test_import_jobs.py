"""boto3 drives Cognito's user import jobs end to end: GetCSVHeader, CreateUserImportJob, the
PUT to the pre-signed URL, StartUserImportJob, DescribeUserImportJob until it ends,
ListUserImportJobs, with a 1,000-row CSV.

Run by tests/api/migration.rs, which starts the server and passes INCOGNITO_TEST_URL,
INCOGNITO_TEST_POOL, INCOGNITO_TEST_KEY_ID and INCOGNITO_TEST_KEY_SECRET. Uses only the
standard library's unittest and urllib besides boto3.
"""

import time
import unittest
import urllib.error
import urllib.request

import botocore.exceptions

from common import POOL, error_code, idp

ROLE = "arn:aws:iam::123456789012:role/CognitoImport"


def put(url, body):
    req = urllib.request.Request(url, data=body, method="PUT",
                                 headers={"x-amz-server-side-encryption": "aws:kms"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class ImportJobs(unittest.TestCase):
    def test_a_thousand_rows(self):
        c = idp()
        header = c.get_csv_header(UserPoolId=POOL)["CSVHeader"]
        self.assertEqual(header[-2:], ["cognito:mfa_enabled", "cognito:username"])
        rows = [",".join(header)]
        for i in range(1000):
            v = {"name": f"Boto {i}", "email": f"boto{i}@example.com", "email_verified": "true",
                 "locale": "en", "cognito:mfa_enabled": "false", "cognito:username": f"boto{i}@example.com"}
            rows.append(",".join(v.get(col, "") for col in header))
        body = ("\n".join(rows) + "\n").encode()
        job = c.create_user_import_job(UserPoolId=POOL, JobName="boto3", CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
        self.assertEqual(job["Status"], "Created")
        self.assertEqual(job["CloudWatchLogsRoleArn"], ROLE)
        self.assertEqual(put(job["PreSignedUrl"], body), 200)
        self.assertEqual(put(job["PreSignedUrl"], body), 403)
        c.start_user_import_job(UserPoolId=POOL, JobId=job["JobId"])
        deadline = time.time() + 60
        while time.time() < deadline:
            j = c.describe_user_import_job(UserPoolId=POOL, JobId=job["JobId"])["UserImportJob"]
            if j["Status"] not in ("Pending", "InProgress"):
                break
            time.sleep(0.2)
        self.assertEqual(j["Status"], "Succeeded", j)
        self.assertEqual((j["ImportedUsers"], j["SkippedUsers"], j["FailedUsers"]), (1000, 0, 0))
        self.assertIn("CompletionDate", j)
        listed = c.list_user_import_jobs(UserPoolId=POOL, MaxResults=10)["UserImportJobs"]
        self.assertIn(job["JobId"], [x["JobId"] for x in listed])
        users = c.list_users(UserPoolId=POOL, Limit=60)["Users"]
        self.assertEqual({u["UserStatus"] for u in users}, {"RESET_REQUIRED"})
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            c.start_user_import_job(UserPoolId=POOL, JobId=job["JobId"])
        self.assertEqual(error_code(e.exception), "InvalidParameterException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            c.describe_user_import_job(UserPoolId=POOL, JobId="import-Nope000000")
        self.assertEqual(error_code(e.exception), "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main(verbosity=2)
