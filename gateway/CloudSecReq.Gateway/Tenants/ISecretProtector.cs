namespace CloudSecReq.Gateway.Tenants;

/// <summary>
/// Seals users' secret access keys at rest (<see cref="HsmSecretProtector"/>: the HSM-held platform key). The <c>label</c> is bound as associated data (the access key id),
/// so that a sealed secret cannot be moved to another key id. Thread-safe.
/// </summary>
internal interface ISecretProtector
{
    byte[] Protect(ReadOnlySpan<byte> secret, string label);

    /// <summary>Opens a sealed secret; throws <see cref="System.Security.Cryptography.CryptographicException"/> when it was tampered with.</summary>
    byte[] Unprotect(ReadOnlySpan<byte> sealedSecret, string label);
}
