"""put_object with SSE-S3, SSE-KMS (key id, encryption context, bucket key) and SSE-C, then
get_object and head_object of each; boto3 base64-encodes the SSE-C key and computes its MD5.

usage: sse_put_get_head.py BUCKET SOURCE_FILE KMS_KEY_ID SSE_C_KEY_FILE OUT_DIR
Writes OUT_DIR/aes256.bin, kms.bin and ssec.bin with what get_object returned.
"""
import base64
import json
import os
import sys

from csr_client import emit, s3
from csr_sse import error_of, sse

bucket, source, kms_key_id, sse_c_key_file, out_dir = sys.argv[1:6]
with open(source, "rb") as f:
    body = f.read()
with open(sse_c_key_file, "rb") as f:
    customer_key = f.read()
context = base64.b64encode(json.dumps({"project": "apollo"}).encode()).decode()
c = s3()
c.create_bucket(Bucket=bucket)
result = {}


def round_trip(name, put_args, read_args):
    put = c.put_object(Bucket=bucket, Key=name, Body=body, **put_args)
    get = c.get_object(Bucket=bucket, Key=name, **read_args)
    with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
        f.write(get["Body"].read())
    head = c.head_object(Bucket=bucket, Key=name, **read_args)
    result[name] = {"Put": sse(put), "Get": sse(get), "Head": sse(head)}


round_trip("aes256", {"ServerSideEncryption": "AES256"}, {})
round_trip("kms", {
    "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id,
    "SSEKMSEncryptionContext": context, "BucketKeyEnabled": True,
}, {})
customer = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": customer_key}
round_trip("ssec", customer, customer)
result["ssec"]["GetWithoutKey"] = error_of(lambda: c.get_object(Bucket=bucket, Key="ssec"))
result["ssec"]["HeadWithoutKey"] = error_of(lambda: c.head_object(Bucket=bucket, Key="ssec"))
emit(result)
