"""PUTs that fail early (Expect: 100-continue answered with an error), each followed by a good PUT
on the same pooled connection: the good PUT must succeed and store exactly its bytes.

usage: put_error_then_put.py BUCKET
"""
import base64
import hashlib
import io
import os
import sys

from botocore.exceptions import ClientError

from csr_client import emit, s3

bucket = sys.argv[1]
c = s3()
c.create_bucket(Bucket=bucket)
size = 2 * 1024 * 1024 + 17  # file-like and large: botocore sends Expect: 100-continue
results = []


def good_put(key):
    body = os.urandom(size)
    c.put_object(Bucket=bucket, Key=key, Body=io.BytesIO(body))
    got = c.get_object(Bucket=bucket, Key=key)["Body"].read()
    return got == body


def failing_put(**kwargs):
    try:
        c.put_object(Body=io.BytesIO(os.urandom(size)), **kwargs)
        return "no error"
    except ClientError as e:
        return e.response["Error"]["Code"]


for name, kwargs in [
    ("missing bucket", {"Bucket": bucket + "-missing", "Key": "a"}),
    ("bad Content-MD5", {"Bucket": bucket, "Key": "b", "ContentMD5": base64.b64encode(hashlib.md5(b"other").digest()).decode()}),
    ("key too long", {"Bucket": bucket, "Key": "k" * 1025}),
]:
    error = failing_put(**kwargs)
    results.append({"Case": name, "Error": error, "NextPutIntact": good_put("after-" + name.replace(" ", "-"))})

emit({"Results": results, "Keys": sorted(o["Key"] for o in c.list_objects_v2(Bucket=bucket).get("Contents", []))})
