using System.Security.Cryptography;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;

namespace CloudSecReq.Kms.Keys;

/// The one writer of tenant key state. Each key version is a non-extractable AES-256 HSM object labelled
/// <see cref="TenantKeyRecord.VersionLabel"/>; metadata in <see cref="KeyMetadataStore"/> is authoritative for state.
/// Ordering keeps failures whole: HSM objects are made before metadata points at them (and destroyed if the metadata
/// write fails); on deletion the key is first marked as shredding, then every version's object is destroyed, then the
/// metadata goes. State changes are serialised by one lock (<see cref="EnterChange"/>, held by lifecycle, import and
/// maintenance alike) and announced by <see cref="KeyStateChanged"/>; cryptographic calls never take it. Thread safe.
internal sealed class TenantKeyWriter(KmsOptions options, HsmKeyStore hsm, KeyMetadataStore store, TenantKeyResolver resolver)
{
    private readonly Lock _mutate = new();

    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

    /// Serialises a state change with every other one.
    public Lock.Scope EnterChange() => _mutate.EnterScope();

    public event EventHandler<KmsKeyStateChangedEventArgs>? KeyStateChanged;

    /// Rotates: a new HSM object, then the metadata naming it current. Call under <see cref="EnterChange"/>.
    public TenantKeyRecord AddVersion(TenantKeyRecord key, string rotationType)
    {
        var version = key.CurrentVersion + 1;
        var label = TenantKeyRecord.VersionLabel(key.KeyId, version);
        HsmErrors.Guard(() => hsm.GenerateAesKey(label));
        try
        {
            var updated = key.Clone();
            updated.CurrentVersion = version;
            if (updated.RotationEnabled && updated.RotationPeriodDays is { } days)
            {
                updated.NextRotation = Now.AddDays(days);
            }

            store.UpdateKey(updated, new KeyVersionRecord(key.KeyId, version, Now, rotationType, NewMaterialId()));
            return updated;
        }
        catch
        {
            TryDestroy(label);
            throw;
        }
    }

    // HSM first, metadata second: if the HSM fails half-way the state is unchanged and the call can be repeated.
    public void SetUsable(TenantKeyRecord key, bool usable)
    {
        var versions = key.Origin == KeyOrigin.External ? (key.HasImportedMaterial ? 1 : 0) : key.CurrentVersion;
        for (var v = 1; v <= versions; v++)
        {
            var label = TenantKeyRecord.VersionLabel(key.KeyId, v);
            HsmErrors.Guard(() => hsm.SetUsable(label, usable));
        }
    }

    /// Crypto-shreds a key whose waiting period passed and drops its metadata. Call under <see cref="EnterChange"/>.
    public void CompleteDeletion(TenantKeyRecord key)
    {
        // Point of no return: once marked, cancellation is refused and a failed run is retried by the next sweep.
        if (!key.Shredding)
        {
            key.Shredding = true;
            store.UpdateKey(key);
        }

        for (var v = 1; v <= key.CurrentVersion; v++)
        {
            var label = TenantKeyRecord.VersionLabel(key.KeyId, v);
            HsmErrors.Guard(() => hsm.Destroy(label));
        }

        foreach (var label in store.ListWrappingKeys(null, key.KeyId))
        {
            HsmErrors.Guard(() => hsm.Destroy(label));
        }

        store.DeleteKey(key.KeyId);
        KeyStateChanged?.Invoke(this, new KmsKeyStateChangedEventArgs(key.TenantId, key.KeyId, resolver.Arn(key), KmsKeyState.Destroyed));
    }

    /// Destroys imported material; the key goes back to PendingImport. Call under <see cref="EnterChange"/>.
    public TenantKeyRecord ShredImportedMaterial(TenantKeyRecord key)
    {
        HsmErrors.Guard(() => hsm.Destroy(TenantKeyRecord.VersionLabel(key.KeyId, 1)));
        var updated = key.Clone();
        updated.HasImportedMaterial = false;
        updated.ValidTo = null;
        updated.State = KmsKeyState.PendingImport;
        store.UpdateKey(updated);
        Raise(updated);
        return updated;
    }

    /// Resolves the key for <paramref name="action"/>, applies <paramref name="change"/> to a copy and stores it, under
    /// the lock; <paramref name="change"/> returns whether a state change is to be announced. Returns the stored copy.
    public TenantKeyRecord Change(KmsCaller caller, string keyRef, string action, Func<TenantKeyRecord, bool> change)
    {
        using (EnterChange())
        {
            var key = resolver.Resolve(caller, keyRef, action).Clone();
            var before = key.State;
            var stateEvent = change(key);
            store.UpdateKey(key);
            if (stateEvent && key.State != before)
            {
                Raise(key);
            }

            return key;
        }
    }

    public void Raise(TenantKeyRecord key) =>
        KeyStateChanged?.Invoke(this, new KmsKeyStateChangedEventArgs(key.TenantId, key.KeyId, resolver.Arn(key), key.State));

    public static string NewMaterialId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public void TryDestroy(string label)
    {
        try
        {
            hsm.Destroy(label);
        }
        catch (Exception)
        {
            // Best effort: an orphan object is unreachable (no metadata names it) and a later retry removes it.
        }
    }
}
