using System.Text;
using System.Text.Json;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

/// <summary>
/// The embedded metadata store: <see cref="IMetadataStore"/> on one SQLite file in WAL mode with <c>secure_delete</c> on (so that
/// deleted rows are overwritten, not left in free pages) and <c>synchronous=FULL</c> (a commit is
/// durable before the client hears 200). Keys compare as UTF-8 bytes, which is S3's listing order.
/// </summary>
/// <remarks>
/// This file holds what the queries share; <see cref="SqliteEngine"/> runs them (kept read
/// connections, the group-commit writer) and <see cref="SqliteSchema"/> holds the tables. The
/// queries live by aggregate in the partial files beside this one: Tenants (users, access keys),
/// Buckets, Objects, Uploads (and parts), Garbage, Heal, Catalog (its version).
/// </remarks>
internal sealed partial class SqliteMetadataStore : IMetadataStore
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.General);
    private readonly SqliteEngine _engine;

    private SqliteMetadataStore(SqliteEngine engine) => _engine = engine;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/>.</summary>
    public static async Task<SqliteMetadataStore> OpenAsync(string path, CancellationToken ct) =>
        new(await SqliteEngine.OpenAsync(path, ct));

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    private static string Json<T>(T value) => JsonSerializer.Serialize(value, s_json);
    private static T FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, s_json)!;

    /// <summary>Keys that start with <paramref name="prefix"/>, as an index range scan.</summary>
    private static void AppendPrefixRange(StringBuilder sql, List<(string, object?)> args, string prefix)
    {
        if (prefix.Length == 0)
        {
            return;
        }
        sql.Append(" AND key >= $prefix");
        args.Add(("$prefix", prefix));
        if (KeyOrder.PrefixUpperBound(prefix) is { } upper)
        {
            sql.Append(" AND key < $upper");
            args.Add(("$upper", upper));
        }
    }

    /// <summary>A page from a query that asked for one row more than <paramref name="limit"/> to learn whether more follow.</summary>
    private static ListPage<T> Page<T>(List<T> rows, int limit)
    {
        var truncated = rows.Count > limit;
        if (truncated)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new ListPage<T>(rows, truncated);
    }
}
