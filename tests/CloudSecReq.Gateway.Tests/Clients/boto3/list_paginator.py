"""list_objects_v2 through boto3's paginator, with small pages, with and without a delimiter.

usage: list_paginator.py BUCKET
"""
import sys

from csr_client import emit, s3

bucket = sys.argv[1]
c = s3()
c.create_bucket(Bucket=bucket)
keys = [f"logs/{i:02d}.txt" for i in range(17)] + ["dir/a/1", "dir/b/2", "dir/c", "root.txt"]
for k in keys:
    c.put_object(Bucket=bucket, Key=k, Body=k.encode())

paginator = c.get_paginator("list_objects_v2")
pages = []
for page in paginator.paginate(Bucket=bucket, Prefix="logs/", PaginationConfig={"PageSize": 5}):
    pages.append({"Keys": [o["Key"] for o in page.get("Contents", [])], "KeyCount": page["KeyCount"], "IsTruncated": page["IsTruncated"]})
delimited = []
prefixes = []
for page in paginator.paginate(Bucket=bucket, Delimiter="/", Prefix="dir/", PaginationConfig={"PageSize": 1}):
    delimited += [o["Key"] for o in page.get("Contents", [])]
    prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
emit({"Pages": pages, "DelimitedKeys": delimited, "DelimitedPrefixes": prefixes})
