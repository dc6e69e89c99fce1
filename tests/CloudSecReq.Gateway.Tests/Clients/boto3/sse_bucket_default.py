"""put_bucket_encryption with SSE-KMS and a bucket key, then plain put_object calls follow it;
delete_bucket_encryption returns the bucket to SSE-S3.

usage: sse_bucket_default.py BUCKET KMS_KEY_ID
"""
import sys

from csr_client import emit, s3
from csr_sse import sse

bucket, kms_key_id = sys.argv[1:3]
c = s3()
c.create_bucket(Bucket=bucket)
c.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_id},
    "BucketKeyEnabled": True,
}]})
rule = c.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
put = c.put_object(Bucket=bucket, Key="defaulted", Body=b"encrypted by the bucket default")
get = c.get_object(Bucket=bucket, Key="defaulted")
get_body = get["Body"].read().decode()
c.delete_bucket_encryption(Bucket=bucket)
rule_after = c.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
put_after = c.put_object(Bucket=bucket, Key="after-delete", Body=b"x")
emit({
    "Rule": rule, "Put": sse(put), "Get": sse(get), "GetBody": get_body,
    "RuleAfterDelete": rule_after, "PutAfterDelete": sse(put_after),
})
