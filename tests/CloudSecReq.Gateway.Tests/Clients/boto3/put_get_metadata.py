"""put_object with metadata and headers, then get_object and head_object.

usage: put_get_metadata.py BUCKET SOURCE_FILE DOWNLOAD_FILE
"""
import sys

from csr_client import emit, s3

bucket, source, download = sys.argv[1:4]
c = s3()
c.create_bucket(Bucket=bucket)
with open(source, "rb") as f:
    put = c.put_object(
        Bucket=bucket, Key="meta/obj.bin", Body=f, ContentType="application/x-boto",
        Metadata={"colour": "blue", "owner": "ops team"}, CacheControl="no-cache",
    )
get = c.get_object(Bucket=bucket, Key="meta/obj.bin")
with open(download, "wb") as f:
    f.write(get["Body"].read())
head = c.head_object(Bucket=bucket, Key="meta/obj.bin")
emit({
    "PutETag": put["ETag"],
    "GetETag": get["ETag"],
    "GetMetadata": get["Metadata"],
    "GetContentType": get["ContentType"],
    "GetCacheControl": get.get("CacheControl"),
    "HeadMetadata": head["Metadata"],
    "HeadContentLength": head["ContentLength"],
})
