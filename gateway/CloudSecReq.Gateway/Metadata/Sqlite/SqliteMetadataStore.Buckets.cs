using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// Buckets; every change bumps the catalog version. Deleting a bucket drops its unfinished uploads.
internal sealed partial class SqliteMetadataStore
{
    public Task<BucketCreateResult> CreateBucketAsync(Bucket bucket, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await using var check = Command(c, tx, "SELECT tenant_id FROM buckets WHERE name=$n", ("$n", bucket.Name));
        if (await check.ExecuteScalarAsync(ct) is string owner)
        {
            return owner == bucket.TenantId ? BucketCreateResult.AlreadyOwnedByYou : BucketCreateResult.AlreadyExists;
        }
        await ExecAsync(c, tx, "INSERT INTO buckets(name, tenant_id, region, created_at, encryption) VALUES($n, $t, $r, $c, $e)", ct,
            ("$n", bucket.Name), ("$t", bucket.TenantId), ("$r", bucket.Region), ("$c", Ms(bucket.CreatedAt)),
            ("$e", bucket.Encryption is null ? null : Json(bucket.Encryption)));
        await BumpCatalogVersionAsync(c, tx, ct);
        return BucketCreateResult.Created;
    }, ct);

    private static Bucket ReadBucket(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), Time(r.GetInt64(3)))
    {
        Encryption = r.IsDBNull(4) ? null : FromJson<BucketEncryption>(r.GetString(4)),
    };

    public async Task<Bucket?> GetBucketAsync(string name, CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT name, tenant_id, region, created_at, encryption FROM buckets WHERE name=$n", ReadBucket, ct, ("$n", name))).FirstOrDefault();

    public async Task<IReadOnlyList<Bucket>> ListBucketsAsync(string tenantId, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT name, tenant_id, region, created_at, encryption FROM buckets WHERE tenant_id=$t ORDER BY name", ReadBucket, ct, ("$t", tenantId));

    public Task<bool> SetBucketEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        if (await ExecAsync(c, tx, "UPDATE buckets SET encryption=$e WHERE name=$n", ct, ("$n", name), ("$e", encryption is null ? null : Json(encryption))) != 1)
        {
            return false;
        }
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    public Task<bool> DeleteBucketAsync(string name, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await using var check = Command(c, tx, "SELECT 1 FROM objects WHERE bucket=$b LIMIT 1", ("$b", name));
        if (await check.ExecuteScalarAsync(ct) is not null)
        {
            return false;
        }
        await using (var uploads = Command(c, tx, "SELECT upload_id FROM uploads WHERE bucket=$b", ("$b", name)))
        await using (var reader = await uploads.ExecuteReaderAsync(ct))
        {
            var ids = new List<string>();
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetString(0));
            }
            await reader.DisposeAsync();
            foreach (var id in ids)
            {
                await DropUploadAsync(c, tx, id, keep: null, ct);
            }
        }
        await ExecAsync(c, tx, "DELETE FROM buckets WHERE name=$b", ct, ("$b", name));
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);
}
