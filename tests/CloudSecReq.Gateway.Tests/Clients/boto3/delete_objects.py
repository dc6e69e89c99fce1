"""delete_objects on a batch that mixes existing and missing keys, verbose and quiet.

usage: delete_objects.py BUCKET
"""
import sys

from csr_client import emit, s3

bucket = sys.argv[1]
c = s3()
c.create_bucket(Bucket=bucket)
for k in ["d/1", "d/2", "d/3", "keep/4", "d/5"]:
    c.put_object(Bucket=bucket, Key=k, Body=b"x")
verbose = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/1"}, {"Key": "d/2"}, {"Key": "never-there"}]})
quiet = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/3"}, {"Key": "d/5"}], "Quiet": True})
left = c.list_objects_v2(Bucket=bucket).get("Contents", [])
emit({
    "Deleted": sorted(d["Key"] for d in verbose.get("Deleted", [])),
    "Errors": verbose.get("Errors", []),
    "QuietDeleted": quiet.get("Deleted", []),
    "Left": [o["Key"] for o in left],
})
