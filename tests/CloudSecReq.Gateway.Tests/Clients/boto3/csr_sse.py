"""What the SSE scenario scripts share: the encryption fields of a response and error capture."""
from botocore.exceptions import ClientError

SSE_FIELDS = (
    "ServerSideEncryption", "SSEKMSKeyId", "SSEKMSEncryptionContext", "BucketKeyEnabled",
    "SSECustomerAlgorithm", "SSECustomerKeyMD5", "ETag",
)


def sse(response):
    """The encryption headers boto3 parsed from a response (absent ones left out)."""
    return {f: response[f] for f in SSE_FIELDS if f in response}


def error_of(call):
    """Runs a call that must fail; returns its S3 error code and HTTP status."""
    try:
        call()
    except ClientError as e:
        return {"Code": e.response["Error"]["Code"], "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    raise SystemExit("the call should have failed")
