#!/usr/bin/env python3
"""Presigned SigV4 URLs (paths only) for wrk: presign.py ENV_FILE put|get COUNT BUCKET [mb]
ENV_FILE is a tenant-default.env written by the gateway. With a fifth argument 'mb' the bucket is created first."""
import sys
import boto3
from botocore.config import Config

env = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("export "):
        k, v = line[7:].split("=", 1)
        env[k] = v
op, count, bucket = sys.argv[2], int(sys.argv[3]), sys.argv[4]
s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"],
                  verify=env.get("AWS_CA_BUNDLE"), config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
if len(sys.argv) > 5 and sys.argv[5] == "mb":
    s3.create_bucket(Bucket=bucket)
method = "put_object" if op == "put" else "get_object"
for i in range(count):
    url = s3.generate_presigned_url(method, Params={"Bucket": bucket, "Key": "k%06d" % i}, ExpiresIn=7200)
    print(url.split("/", 3)[3])
