using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

/// <summary>
/// The SQLite engine under <see cref="SqliteMetadataStore"/>: one database file in WAL mode, reads on
/// kept connections with prepared statements, writes through one group-commit writer thread, each
/// write under its own savepoint. Every connection runs with <c>secure_delete</c> on and
/// <c>synchronous=FULL</c>. Thread-safe; knows no table but what <see cref="SqliteSchema"/> creates.
/// </summary>
internal sealed class SqliteEngine : IAsyncDisposable
{
    private readonly string _connectionString;

    // Group commit: writes queue here and one writer runs every queued write in one transaction (each
    // under its own savepoint, so one failing write fails alone) and commits them with one fsync.
    // One writer also spares SQLite's busy retries, which sleep for whole intervals. Other processes
    // (csr admin commands) still meet busy_timeout.
    private const int MaxWritesPerCommit = 256;
    private readonly Channel<QueuedWrite> _writes = Channel.CreateUnbounded<QueuedWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _writerLock = new();
    private Task? _writer;

    private sealed class QueuedWrite(Func<SqliteConnection, SqliteTransaction, Task> run)
    {
        public Func<SqliteConnection, SqliteTransaction, Task> Run { get; } = run;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private SqliteEngine(string connectionString) => _connectionString = connectionString;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/> and brings its schema up to date.</summary>
    public static async Task<SqliteEngine> OpenAsync(string path, CancellationToken ct)
    {
        SQLitePCL.Batteries_V2.Init();
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Cache = SqliteCacheMode.Private, Pooling = true };
        var engine = new SqliteEngine(builder.ToString());
        await using var connection = await engine.OpenConnectionAsync(ct);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);
        await SqliteSchema.CreateOrMigrateAsync(connection, ct);
        return engine;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await ExecAsync(connection, null, "PRAGMA secure_delete=ON; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;", ct);
        return connection;
    }

    // The statement helpers of the queries (inside a write's transaction) and of the schema.
    public static async Task<int> ExecAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    // Reads run on connections opened once (their pragmas set once) and kept with their prepared
    // statements: a GET's two lookups cost no open, no pragma and no SQL parse.
    private const int MaxIdleReaders = 16;
    private readonly ConcurrentQueue<ReadConnection> _readers = new();

    /// <summary>Runs <paramref name="sql"/> on a kept read connection and maps every row.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken ct, params (string, object?)[] args)
    {
        var connection = _readers.TryDequeue(out var idle) ? idle : new ReadConnection(await OpenConnectionAsync(ct));
        var reusable = false;
        try
        {
            var cmd = connection.Prepared(sql);
            cmd.Parameters.Clear();
            foreach (var (name, value) in args)
            {
                cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
            var list = new List<T>();
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    list.Add(map(reader));
                }
            }
            reusable = true;
            return list;
        }
        finally
        {
            if (reusable && _readers.Count < MaxIdleReaders)
            {
                _readers.Enqueue(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction (BEGIN IMMEDIATE) and returns once it is
    /// committed (durable: synchronous=FULL). Concurrent writes share a transaction and its fsync
    /// (group commit); each runs under its own savepoint, so a write that throws is rolled back
    /// alone and its exception reaches only its caller.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        T result = default!;
        var write = new QueuedWrite(async (c, tx) => result = await work(c, tx));
        lock (_writerLock)
        {
            _writer ??= StartWriter();
        }
        await _writes.Writer.WriteAsync(write, ct);
        await write.Done.Task;
        return result;
    }

    // The writer blocks in SQLite (statements, the commit's fsync) without pause while writes queue:
    // on a thread-pool thread it would hold one of the pool's few threads (two on a 2-core machine)
    // and starve requests until the pool grows, which it does only every half second or so.
    private Task StartWriter()
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                RunWriter();
                exited.SetResult();
            }
            catch (Exception e)
            {
                exited.SetException(e);
            }
        })
        { IsBackground = true, Name = "metadata-writer" }.Start();
        return exited.Task;
    }

    private void RunWriter()
    {
        SqliteConnection? connection = null;
        var batch = new List<QueuedWrite>(MaxWritesPerCommit);
        var succeeded = new List<QueuedWrite>(MaxWritesPerCommit);
        while (_writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            succeeded.Clear();
            while (batch.Count < MaxWritesPerCommit && _writes.Reader.TryRead(out var queued))
            {
                batch.Add(queued);
            }
            try
            {
                connection ??= OpenConnectionAsync(CancellationToken.None).GetAwaiter().GetResult();
                using var tx = connection.BeginTransaction(deferred: false);
                foreach (var write in batch)
                {
                    tx.Save("w");
                    try
                    {
                        // The writes run SQLite statements only, which complete synchronously.
                        write.Run(connection, tx).GetAwaiter().GetResult();
                        tx.Release("w");
                        succeeded.Add(write);
                    }
                    catch (Exception e) when (e is not SqliteException { SqliteErrorCode: 10 or 11 or 13 }) // not IOERR, CORRUPT, FULL: those fail the batch
                    {
                        tx.Rollback("w");
                        tx.Release("w");
                        write.Done.TrySetException(e);
                    }
                }
                tx.Commit();
                foreach (var write in succeeded)
                {
                    write.Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var write in batch)
                {
                    write.Done.TrySetException(e);
                }
                connection?.Dispose();
                connection = null;
            }
        }
        connection?.Dispose();
    }

    /// <summary>Lets the queued writes commit, stops the writer and closes the kept connections.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        Task? writer;
        lock (_writerLock)
        {
            writer = _writer;
        }
        if (writer is not null)
        {
            await writer;
        }
        while (_readers.TryDequeue(out var reader))
        {
            reader.Dispose();
        }
        SqliteConnection.ClearAllPools();
    }
}
