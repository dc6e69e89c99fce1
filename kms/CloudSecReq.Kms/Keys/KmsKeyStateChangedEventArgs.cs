namespace CloudSecReq.Kms.Keys;

/// A tenant key changed state (enabled, disabled, scheduled for deletion, imported material deleted, destroyed...).
/// Caches of data keys derived under this key should be dropped when it is no longer Enabled.
public sealed class KmsKeyStateChangedEventArgs(string tenantId, string keyId, string keyArn, KmsKeyState state) : EventArgs
{
    public string TenantId { get; } = tenantId;

    /// The key's UUID.
    public string KeyId { get; } = keyId;

    public string KeyArn { get; } = keyArn;

    public KmsKeyState State { get; } = state;
}
