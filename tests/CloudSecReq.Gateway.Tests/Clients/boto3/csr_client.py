"""The boto3 client the scenario scripts share.

Endpoint, credentials, region and CA bundle come from the environment the test sets
(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_CA_BUNDLE).
Path-style addressing, no retries: a failure must show at once.
"""
import json
import sys

import boto3
from botocore.config import Config


def s3():
    return boto3.client(
        "s3",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}),
    )


def emit(result):
    """Prints the scenario's findings as one JSON document for the test to assert on."""
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")
