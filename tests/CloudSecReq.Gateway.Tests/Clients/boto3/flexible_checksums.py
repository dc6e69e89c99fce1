"""botocore's flexible checksums: an explicit SHA256 on put_object, CRC32 by default, and
get_object with ChecksumMode=ENABLED, which makes botocore check the body against the checksum.

usage: flexible_checksums.py BUCKET SOURCE_FILE DOWNLOAD_FILE
"""
import sys

from csr_client import emit, s3

bucket, source, download = sys.argv[1:4]
c = s3()
c.create_bucket(Bucket=bucket)
with open(source, "rb") as f:
    body = f.read()
put_sha = c.put_object(Bucket=bucket, Key="sum/sha256.bin", Body=body, ChecksumAlgorithm="SHA256")
put_default = c.put_object(Bucket=bucket, Key="sum/default.bin", Body=body)
get_sha = c.get_object(Bucket=bucket, Key="sum/sha256.bin", ChecksumMode="ENABLED")
with open(download, "wb") as f:
    f.write(get_sha["Body"].read())  # botocore raises FlexibleChecksumError here on a mismatch
get_default = c.get_object(Bucket=bucket, Key="sum/default.bin", ChecksumMode="ENABLED")
default_body = get_default["Body"].read()
head_sha = c.head_object(Bucket=bucket, Key="sum/sha256.bin", ChecksumMode="ENABLED")
emit({
    "PutChecksumSHA256": put_sha.get("ChecksumSHA256"),
    "PutDefaultChecksumCRC32": put_default.get("ChecksumCRC32"),
    "GetChecksumSHA256": get_sha.get("ChecksumSHA256"),
    "GetDefaultChecksumCRC32": get_default.get("ChecksumCRC32"),
    "DefaultBodyMatches": default_body == body,
    "HeadChecksumSHA256": head_sha.get("ChecksumSHA256"),
})
