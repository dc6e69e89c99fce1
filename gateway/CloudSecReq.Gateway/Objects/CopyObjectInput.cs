using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// A CopyObject as the object pipeline sees it: the protocol has authorised the source, checked its
/// conditions and applied the metadata and tagging directives.
/// </summary>
internal sealed record CopyObjectInput(
    Principal Principal,
    Bucket Bucket,
    string ObjectKey,
    ObjectRecord Source,
    CustomerKey? SourceCustomerKey,
    ObjectHeaders Headers,
    IReadOnlyDictionary<string, string> UserMetadata,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    ObjectWriteCondition Condition,
    string StorageClass,
    SseRequest Sse);
