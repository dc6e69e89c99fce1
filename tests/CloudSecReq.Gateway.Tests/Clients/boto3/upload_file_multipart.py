"""upload_file and download_file through boto3's transfer manager, in 5 MiB parts.

usage: upload_file_multipart.py BUCKET SOURCE_FILE DOWNLOAD_FILE
"""
import sys

from boto3.s3.transfer import TransferConfig

from csr_client import emit, s3

MIB = 1024 * 1024
bucket, source, download = sys.argv[1:4]
c = s3()
c.create_bucket(Bucket=bucket)
config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=4)
c.upload_file(source, bucket, "big/upload.bin", Config=config)
head = c.head_object(Bucket=bucket, Key="big/upload.bin")
c.download_file(bucket, "big/upload.bin", download, Config=config)
uploads = c.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
emit({"ETag": head["ETag"], "ContentLength": head["ContentLength"], "OpenUploads": len(uploads)})
