namespace CloudSecReq.Kms.Keys;

/// One tenant key's metadata row. Times are UTC. Mutable: the lifecycle code edits a copy and stores it.
internal sealed class TenantKeyRecord
{
    public required string KeyId { get; init; }

    public required string TenantId { get; init; }

    public required string AccountId { get; init; }

    public string Description { get; set; } = string.Empty;

    public KeyOrigin Origin { get; init; }

    /// An AWS managed key (KeyManager AWS): the key behind a reserved alias such as alias/aws/s3, made by
    /// <see cref="TenantKeyLifecycle.EnsureManagedKey"/>. Nobody, the tenant root included, may administer it.
    public bool AwsManaged { get; init; }

    public KmsKeyState State { get; set; }

    public DateTimeOffset Created { get; init; }

    public DateTimeOffset? DeletionDate { get; set; }

    public int? PendingWindowDays { get; set; }

    /// Deletion has started destroying HSM objects: it can no longer be cancelled.
    public bool Shredding { get; set; }

    public bool RotationEnabled { get; set; }

    public int? RotationPeriodDays { get; set; }

    public DateTimeOffset? NextRotation { get; set; }

    public required string Policy { get; set; }

    public int CurrentVersion { get; set; }

    /// Imported material expiry (ExpirationModel KEY_MATERIAL_EXPIRES).
    public DateTimeOffset? ValidTo { get; set; }

    /// Key check value of the imported material (CMAC of a constant): re-imports must match it.
    public byte[]? ImportKcv { get; set; }

    /// Whether imported material is currently in the HSM.
    public bool HasImportedMaterial { get; set; }

    /// The HSM object label of a key version: "cloudsecreq:tk:{uuid}:v{n}".
    public static string VersionLabel(string keyId, int version) => $"cloudsecreq:tk:{keyId}:v{version}";

    public TenantKeyRecord Clone() => (TenantKeyRecord)MemberwiseClone();
}
