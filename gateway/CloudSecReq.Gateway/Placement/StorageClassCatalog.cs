using System.Diagnostics.CodeAnalysis;

namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// The configured storage classes, the default one, and which classes each restricted tenant may
/// use (from <c>csr.json</c>: <c>StorageClasses</c>, <c>DefaultStorageClass</c>,
/// <c>TenantStorageClasses</c>). Tenants not listed in the restrictions may use every class.
/// Immutable and thread-safe.
/// </summary>
internal sealed class StorageClassCatalog
{
    private readonly Dictionary<string, StorageClass> _classes;
    private readonly Dictionary<string, string[]> _tenantClasses;

    /// <exception cref="InvalidOperationException">An invalid class, a duplicate name, an unknown default, or a restriction naming an unknown class.</exception>
    public StorageClassCatalog(IEnumerable<StorageClass> classes, string defaultName, IReadOnlyDictionary<string, List<string>>? tenantClasses = null)
    {
        _classes = new Dictionary<string, StorageClass>(StringComparer.Ordinal);
        foreach (var c in classes)
        {
            if (c.Problem() is { } problem)
            {
                throw new InvalidOperationException($"csr.json: {problem}.");
            }
            if (!_classes.TryAdd(c.Name, c))
            {
                throw new InvalidOperationException($"csr.json: storage class {c.Name} is defined twice.");
            }
        }
        Default = _classes.GetValueOrDefault(defaultName)
            ?? throw new InvalidOperationException($"csr.json: the default storage class '{defaultName}' is not defined.");
        _tenantClasses = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (tenant, names) in tenantClasses ?? new Dictionary<string, List<string>>())
        {
            if (names.Count == 0)
            {
                throw new InvalidOperationException($"csr.json: tenant '{tenant}' is allowed no storage class; list at least one.");
            }
            if (names.FirstOrDefault(n => !_classes.ContainsKey(n)) is { } unknown)
            {
                throw new InvalidOperationException($"csr.json: tenant '{tenant}' is allowed storage class '{unknown}', which is not defined.");
            }
            _tenantClasses[tenant] = [.. names];
        }
    }

    public StorageClass Default { get; }

    public IReadOnlyCollection<StorageClass> All => _classes.Values;

    /// <summary>
    /// The class a write by <paramref name="tenantName"/> gets. <paramref name="requested"/> null or
    /// empty means the default: the catalog's default, or for a restricted tenant that may not use it,
    /// the first class the tenant is allowed.
    /// </summary>
    public bool TryResolve(string? requested, string tenantName, [NotNullWhen(true)] out StorageClass? storageClass, out StorageClassRefusal refusal)
    {
        refusal = default;
        var allowed = _tenantClasses.GetValueOrDefault(tenantName);
        if (string.IsNullOrEmpty(requested))
        {
            storageClass = allowed is null || allowed.Contains(Default.Name) ? Default : _classes[allowed[0]];
            return true;
        }
        if (!_classes.TryGetValue(requested, out storageClass))
        {
            refusal = StorageClassRefusal.Unknown;
            return false;
        }
        if (allowed is not null && !allowed.Contains(requested))
        {
            storageClass = null;
            refusal = StorageClassRefusal.NotAllowedForTenant;
            return false;
        }
        return true;
    }
}
