namespace CloudSecReq.Gateway.Metadata;

internal enum BucketCreateResult
{
    Created,
    AlreadyOwnedByYou,
    AlreadyExists,
}
