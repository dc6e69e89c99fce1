using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Metadata.Sqlite;

namespace CloudSecReq.Gateway.Tests.Metadata;

public sealed class SqliteMetadataStoreTests : MetadataStoreContract
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "csr-meta-" + Guid.NewGuid().ToString("N"));

    internal override async Task<IMetadataStore> OpenAsync()
    {
        Directory.CreateDirectory(_dir);
        return await SqliteMetadataStore.OpenAsync(Path.Combine(_dir, "m.db"), default);
    }

    [Fact]
    public async Task Open_SetsWalAndSecureDelete()
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "m.db")}");
        await c.OpenAsync();
        var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Open_HealQueueOfAnEarlierVersion_IsMigratedWithItsRequests()
    {
        var path = Path.Combine(_dir, "old.db");
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await c.OpenAsync();
            var cmd = c.CreateCommand();
            // The table as it was before issue 11, with one queued object.
            cmd.CommandText = """
                CREATE TABLE heal_queue(bucket TEXT NOT NULL, key TEXT NOT NULL, reason TEXT NOT NULL, queued_at INTEGER NOT NULL, PRIMARY KEY(bucket, key)) WITHOUT ROWID;
                INSERT INTO heal_queue VALUES('b', 'k', 'scrub: shard 1: Missing', 1700000000000);
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        await using var store = await SqliteMetadataStore.OpenAsync(path, default);

        var request = Assert.Single(await store.ListHealQueueAsync(10, default));
        Assert.Equal(new HealRequest("b", "k", "scrub: shard 1: Missing", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000)), request);
        await store.QueueHealAsync(request with { UploadId = "u", PartNumber = 1 }, default);
        Assert.Equal(2, await store.CountHealQueueAsync(default));
    }
}
