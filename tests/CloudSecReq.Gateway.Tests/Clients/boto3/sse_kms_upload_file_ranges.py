"""upload_file with SSE-KMS through ExtraArgs in 5 MiB parts, then ranged get_object calls.

usage: sse_kms_upload_file_ranges.py BUCKET SOURCE_FILE KMS_KEY_ID OUT_DIR FIRST-LAST...
Writes OUT_DIR/range-N.bin with the bytes of the N-th range.
"""
import os
import sys

from boto3.s3.transfer import TransferConfig

from csr_client import emit, s3
from csr_sse import sse

MIB = 1024 * 1024
bucket, source, kms_key_id, out_dir = sys.argv[1:5]
ranges = sys.argv[5:]
c = s3()
c.create_bucket(Bucket=bucket)
config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=4)
c.upload_file(source, bucket, "big/kms.bin", Config=config,
              ExtraArgs={"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id})
head = c.head_object(Bucket=bucket, Key="big/kms.bin")
gets = []
for i, r in enumerate(ranges):
    get = c.get_object(Bucket=bucket, Key="big/kms.bin", Range="bytes=" + r)
    with open(os.path.join(out_dir, f"range-{i}.bin"), "wb") as f:
        f.write(get["Body"].read())
    gets.append({"ContentRange": get["ContentRange"], "ContentLength": get["ContentLength"], **sse(get)})
uploads = c.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
emit({"Head": {"ContentLength": head["ContentLength"], **sse(head)}, "Ranges": gets, "OpenUploads": len(uploads)})
