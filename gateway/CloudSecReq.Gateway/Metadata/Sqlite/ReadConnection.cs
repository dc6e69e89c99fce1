using Microsoft.Data.Sqlite;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

/// <summary>
/// A read connection the engine keeps open between reads, with its prepared statements (at most 64,
/// then all are dropped). Used by one read at a time; not thread-safe; disposing closes the connection.
/// </summary>
internal sealed class ReadConnection(SqliteConnection connection) : IDisposable
{
    private const int MaxStatements = 64;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteCommand Prepared(string sql)
    {
        if (_commands.TryGetValue(sql, out var cmd))
        {
            return cmd;
        }
        if (_commands.Count >= MaxStatements)
        {
            // Listing queries vary with their arguments; keep the cache bounded.
            foreach (var old in _commands.Values)
            {
                old.Dispose();
            }
            _commands.Clear();
        }
        cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        _commands[sql] = cmd;
        return cmd;
    }

    public void Dispose()
    {
        foreach (var cmd in _commands.Values)
        {
            cmd.Dispose();
        }
        connection.Dispose();
    }
}
