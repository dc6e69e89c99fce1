namespace CloudSecReq.Kms.Keys;

/// Tenant key states as AWS KMS names them, plus <see cref="Destroyed"/> for a key whose deletion completed
/// (reported only through <see cref="KmsKeyStateChangedEventArgs"/>).
public enum KmsKeyState
{
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
    Unavailable,
    Destroyed,
}
