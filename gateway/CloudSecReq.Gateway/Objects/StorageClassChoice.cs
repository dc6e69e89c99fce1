using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Objects;

/// <summary>Which storage class a write gets.</summary>
internal static class StorageClassChoice
{
    /// <summary>
    /// The class a write by <paramref name="principal"/> gets for <c>x-amz-storage-class</c>
    /// <paramref name="requested"/> (null: the default). Throws InvalidStorageClass for a class not
    /// configured, AccessDenied for one the operator does not allow this tenant.
    /// </summary>
    public static StorageClass ForWrite(this StorageClassCatalog catalog, Principal principal, string? requested)
    {
        if (catalog.TryResolve(requested, principal.Tenant.Name, out var storageClass, out var refusal))
        {
            return storageClass;
        }
        throw refusal == StorageClassRefusal.Unknown
            ? new ObjectException(ObjectFailure.InvalidStorageClass).With("StorageClassRequested", requested ?? "")
            : new ObjectException(ObjectFailure.StorageClassNotAllowed, $"The storage class {requested} is not allowed for this account.");
    }

    /// <summary>The class of that name for an upload started earlier; the default when it is no longer configured.</summary>
    public static StorageClass ForUpload(this StorageClassCatalog catalog, string name) =>
        catalog.All.FirstOrDefault(c => c.Name == name) ?? catalog.Default;
}
