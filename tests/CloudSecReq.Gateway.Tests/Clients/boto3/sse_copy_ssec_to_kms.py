"""copy_object from an SSE-C source (CopySourceSSECustomer*) to an SSE-KMS destination.

usage: sse_copy_ssec_to_kms.py BUCKET SOURCE_FILE KMS_KEY_ID SSE_C_KEY_FILE OUT_FILE
Writes OUT_FILE with what get_object of the destination returned (no customer key needed).
"""
import sys

from csr_client import emit, s3
from csr_sse import error_of, sse

bucket, source, kms_key_id, sse_c_key_file, out_file = sys.argv[1:6]
with open(sse_c_key_file, "rb") as f:
    customer_key = f.read()
c = s3()
c.create_bucket(Bucket=bucket)
with open(source, "rb") as f:
    put = c.put_object(Bucket=bucket, Key="src", Body=f, SSECustomerAlgorithm="AES256", SSECustomerKey=customer_key)
copy_source = {"Bucket": bucket, "Key": "src"}
without_key = error_of(lambda: c.copy_object(
    Bucket=bucket, Key="no-key", CopySource=copy_source, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id))
copy = c.copy_object(
    Bucket=bucket, Key="dst", CopySource=copy_source,
    CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=customer_key,
    ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id,
)
get = c.get_object(Bucket=bucket, Key="dst")
with open(out_file, "wb") as f:
    f.write(get["Body"].read())
head = c.head_object(Bucket=bucket, Key="dst")
emit({
    "SourcePut": sse(put),
    "CopyWithoutSourceKey": without_key,
    "Copy": {**sse(copy), "CopyObjectResultETag": copy["CopyObjectResult"]["ETag"]},
    "Get": sse(get),
    "Head": sse(head),
})
