using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Gateway.Tenants;

/// <summary>
/// Seals secret access keys with the platform AES-256 key held in the HSM (AES-GCM inside the
/// token; the access key id bound as associated data). The secret never meets a key that exists
/// outside the HSM. Throws the KMS's KeyUnavailable error when the HSM cannot be reached: fail closed.
/// </summary>
internal sealed class HsmSecretProtector(PlatformSecrets secrets) : ISecretProtector
{
    private static string Label(string accessKeyId) => "secret-access-key:" + accessKeyId;

    public byte[] Protect(ReadOnlySpan<byte> secret, string label) => secrets.Protect(secret, Label(label));

    public byte[] Unprotect(ReadOnlySpan<byte> sealedSecret, string label) => secrets.Unprotect(sealedSecret, Label(label));
}
