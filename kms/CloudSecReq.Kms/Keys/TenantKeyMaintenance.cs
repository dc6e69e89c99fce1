using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;

namespace CloudSecReq.Kms.Keys;

/// Work that falls due with time: deletions after their waiting period (crypto-shred), expired imported key material,
/// automatic rotation, and expired import wrapping keys. Each key is handled under the writer's lock, read again there.
/// Thread safe.
internal sealed class TenantKeyMaintenance(KmsOptions options, HsmKeyStore hsm, KeyMetadataStore store, TenantKeyWriter writer)
{
    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

    /// Returns the number of keys changed. Throws <see cref="KmsException"/> KeyUnavailable if the HSM is unreachable.
    public int RunDueWork(CancellationToken cancellationToken)
    {
        var changed = 0;
        var now = Now;
        foreach (var key in store.ListKeys(null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (writer.EnterChange())
            {
                var current = store.GetKey(key.KeyId);
                if (current is null)
                {
                    continue;
                }

                if (current.State == KmsKeyState.PendingDeletion && current.DeletionDate <= now)
                {
                    writer.CompleteDeletion(current);
                    changed++;
                }
                else if (current.Origin == KeyOrigin.External && current.HasImportedMaterial && current.ValidTo <= now)
                {
                    writer.ShredImportedMaterial(current);
                    changed++;
                }
                else if (current.RotationEnabled && current.State == KmsKeyState.Enabled && current.NextRotation <= now)
                {
                    writer.AddVersion(current, "AUTOMATIC");
                    changed++;
                }
            }
        }

        foreach (var label in store.ListWrappingKeys(now, null))
        {
            HsmErrors.Guard(() => hsm.Destroy(label));
            store.RemoveWrappingKey(label);
        }

        return changed;
    }
}
