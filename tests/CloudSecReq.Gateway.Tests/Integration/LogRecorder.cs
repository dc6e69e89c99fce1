using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Records what the gateway logs (information and above), for tests that assert on the log.</summary>
internal sealed class LogRecorder : ILoggerProvider
{
    internal sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly Lock _waitersLock = new();
    private readonly List<(Func<Entry, bool> Match, TaskCompletionSource<Entry> Seen)> _waiters = [];

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    /// <summary>The entries logged from now on, until the returned mark's <see cref="Mark.Since"/> is asked.</summary>
    public Mark Start() => new(this, _entries.Count);

    /// <summary>Completes with the first entry, logged before or after the call, that matches; fails the test after <paramref name="deadline"/>.</summary>
    public async Task<Entry> WaitForAsync(Func<Entry, bool> match, TimeSpan deadline, string what)
    {
        var seen = new TaskCompletionSource<Entry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersLock)
        {
            _waiters.Add((match, seen));
        }
        if (_entries.FirstOrDefault(match) is { } already)
        {
            seen.TrySetResult(already);
        }
        try
        {
            return await seen.Task.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Not logged within {deadline.TotalSeconds} s: {what}");
            throw;
        }
    }

    private void Add(Entry entry)
    {
        _entries.Enqueue(entry);
        lock (_waitersLock)
        {
            foreach (var (match, seen) in _waiters.Where(w => w.Match(entry)).ToList())
            {
                seen.TrySetResult(entry);
                _waiters.RemoveAll(w => w.Seen == seen);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose() { }

    internal sealed class Mark(LogRecorder recorder, int start)
    {
        public IReadOnlyList<Entry> Since() => recorder._entries.Skip(start).ToList();
    }

    private sealed class Recorder(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Add(new Entry(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
