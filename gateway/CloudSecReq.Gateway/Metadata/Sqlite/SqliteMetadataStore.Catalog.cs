using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// The catalog version: a counter that every change to tenants, users, access keys or buckets bumps.
internal sealed partial class SqliteMetadataStore
{
    /// <summary>In the transaction of every change to tenants, users, access keys or buckets.</summary>
    private static Task<int> BumpCatalogVersionAsync(SqliteConnection c, SqliteTransaction tx, CancellationToken ct) =>
        ExecAsync(c, tx, "INSERT INTO catalog_version(id, version) VALUES(1, 1) ON CONFLICT(id) DO UPDATE SET version=version+1", ct);

    public async Task<long> GetCatalogVersionAsync(CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT version FROM catalog_version WHERE id=1", r => r.GetInt64(0), ct)).FirstOrDefault();
}
