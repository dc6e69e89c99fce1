using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Objects;

/// <summary>A PutObject as the object pipeline sees it; the protocol has checked and parsed the request's headers.</summary>
internal sealed record PutObjectInput(
    Principal Principal,
    Bucket Bucket,
    string ObjectKey,
    ObjectHeaders Headers,
    IReadOnlyDictionary<string, string> UserMetadata,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    ObjectWriteCondition Condition,
    string? StorageClass,
    SseRequest Sse,
    IObjectBodySource Body);
