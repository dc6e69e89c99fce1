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
}
