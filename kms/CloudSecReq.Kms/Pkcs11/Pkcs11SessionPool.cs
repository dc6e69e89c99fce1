using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CloudSecReq.Kms.Pkcs11;

/// Sessions on one token, found by label, with one login for the application.
/// Thread safe. Each <see cref="Run{T}"/> borrows a session for one thread. When the token, a session or the library
/// is lost (<see cref="Pkcs11ErrorKind.Unavailable"/>), the pool drops every session, re-initialises the module, finds
/// the token by label again and logs in again on the next call; until that works, calls throw Unavailable (fail closed).
internal sealed class Pkcs11SessionPool : IDisposable
{
    private readonly byte[] _pin;
    private readonly int _maxIdleSessions;
    private readonly ConcurrentBag<Pkcs11Session> _idle = [];
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private static readonly TimeSpan s_suspectReconnectInterval = TimeSpan.FromSeconds(2);
    private readonly TimeProvider _timeProvider;
    private long _generation;
    private long _lastSuspectTimestamp = long.MinValue / 2;
    private volatile bool _healthy;
    private nuint _slot;
    private bool _disposed;

    /// Connects and logs in. Takes a copy of <paramref name="pin"/> (zeroed on dispose). Throws
    /// <see cref="Pkcs11Exception"/> (Unavailable when the token is missing, Authentication for a bad PIN).
    /// <paramref name="timeProvider"/> (default: the system clock) times the reconnect back-off.
    public Pkcs11SessionPool(Pkcs11Module module, string tokenLabel, ReadOnlySpan<byte> pin, int maxIdleSessions = 8, TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        Module = module;
        TokenLabel = tokenLabel;
        _pin = pin.ToArray();
        _maxIdleSessions = maxIdleSessions;
        Module.AddUser();
        try
        {
            Connect(reinitialize: false);
        }
        catch
        {
            Module.RemoveUser();
            CryptographicOperations.ZeroMemory(_pin);
            throw;
        }
    }

    public Pkcs11Module Module { get; }

    public string TokenLabel { get; }

    /// Increases on every reconnect; object handles cached under an older generation are stale.
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsHealthy => _healthy;

    /// Runs <paramref name="operation"/> on a borrowed session. On a lost session/token it reconnects and, when
    /// <paramref name="retry"/> is set, runs the operation once more (only for operations that are safe to repeat).
    public T Run<T>(Func<Pkcs11Session, T> operation, bool retry = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            EnsureConnected();
            _gate.EnterReadLock();
            Pkcs11Session? session = null;
            try
            {
                session = Rent();
                var result = operation(session);
                Return(session);
                return result;
            }
            catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.GeneralError)
            {
                // SoftHSM answers CKR_GENERAL_ERROR when its object store went away underneath it: reconnect next time.
                TryMarkSuspect(session?.Generation ?? Generation);
                throw;
            }
            catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.Unavailable)
            {
                MarkBroken(session?.Generation ?? Generation);
                if (!retry || attempt > 0)
                {
                    throw;
                }
            }
            catch
            {
                if (session is not null)
                {
                    Return(session);
                }

                throw;
            }
            finally
            {
                _gate.ExitReadLock();
            }
        }
    }

    public void Run(Action<Pkcs11Session> operation, bool retry = true) =>
        Run(s => { operation(s); return true; }, retry);

    public MechanismInfo? GetMechanismInfo(nuint mechanism)
    {
        EnsureConnected();
        _gate.EnterReadLock();
        try
        {
            return Module.GetMechanismInfo(_slot, mechanism);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// Test hook for "the HSM went away": C_Finalize on the module, so every session is gone.
    public void SimulateLossForTest()
    {
        _gate.EnterWriteLock();
        try
        {
            Module.FinalizeForTest();
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    public void Dispose()
    {
        _gate.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _healthy = false;
            while (_idle.TryTake(out var s))
            {
                s.Close();
            }

            Module.RemoveUser();
            CryptographicOperations.ZeroMemory(_pin);
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    private void EnsureConnected()
    {
        if (_healthy)
        {
            return;
        }

        _gate.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_healthy)
            {
                Connect(reinitialize: true);
            }
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    // Caller holds the write lock (or is the constructor).
    private void Connect(bool reinitialize)
    {
        try
        {
            while (_idle.TryTake(out _))
            {
                // sessions of the old generation died with C_Finalize
            }

            if (reinitialize)
            {
                Module.Reinitialize();
            }

            _slot = Module.FindSlotByTokenLabel(TokenLabel)
                ?? throw new Pkcs11Exception("C_GetTokenInfo", Pkcs11ErrorKind.Unavailable, $"no token labelled '{TokenLabel}'");
            var generation = Interlocked.Increment(ref _generation);
            var first = Open(generation);
            first.Login(_pin);
            _idle.Add(first);
            _healthy = true;
        }
        catch (Pkcs11Exception e) when (e.Kind is not (Pkcs11ErrorKind.Unavailable or Pkcs11ErrorKind.Authentication))
        {
            // Anything odd while (re)connecting means the token is not usable now.
            throw new Pkcs11Exception(e.Function, Pkcs11ErrorKind.Unavailable, e.Message);
        }
    }

    private unsafe Pkcs11Session Open(long generation)
    {
        nuint handle;
        Pkcs11ErrorMap.Check(Module.F.OpenSession(_slot, Ck.CKF_SERIAL_SESSION | Ck.CKF_RW_SESSION, null, null, &handle), "C_OpenSession");
        return new Pkcs11Session(Module, handle, generation);
    }

    private Pkcs11Session Rent()
    {
        var generation = Generation;
        while (_idle.TryTake(out var s))
        {
            if (s.Generation == generation)
            {
                return s;
            }
        }

        // Login is per application: a new session of a logged-in application is already logged in.
        return Open(generation);
    }

    private void Return(Pkcs11Session session)
    {
        if (session.Generation == Generation && _healthy && _idle.Count < _maxIdleSessions)
        {
            _idle.Add(session);
        }
        else if (session.Generation == Generation)
        {
            session.Close();
        }
    }

    /// Something that should be on the token is not (or the module failed oddly): unless this already happened in
    /// the last two seconds, mark the pool for reconnection (C_Finalize/C_Initialize reload the token) and return true.
    public bool TryMarkSuspect(long generation)
    {
        var now = _timeProvider.GetTimestamp();
        var last = Interlocked.Read(ref _lastSuspectTimestamp);
        if (_timeProvider.GetElapsedTime(last, now) < s_suspectReconnectInterval
            || Interlocked.CompareExchange(ref _lastSuspectTimestamp, now, last) != last)
        {
            return false;
        }

        MarkBroken(generation);
        return true;
    }

    private void MarkBroken(long generation)
    {
        if (generation == Generation)
        {
            _healthy = false;
        }
    }
}
