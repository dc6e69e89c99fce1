namespace CloudSecReq.Gateway.Placement;

/// <summary>Why a requested storage class cannot be used.</summary>
internal enum StorageClassRefusal
{
    /// <summary>No class of that name is configured (S3: InvalidStorageClass).</summary>
    Unknown,

    /// <summary>The class exists but the operator does not let this tenant use it.</summary>
    NotAllowedForTenant,
}
