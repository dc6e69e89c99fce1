using System.Runtime.InteropServices;
using System.Text;

namespace CloudSecReq.Kms.Pkcs11;

/// A loaded PKCS#11 v2.40 module (one per path per process: Cryptoki state is process-wide).
/// The library stays loaded for the life of the process; C_Initialize/C_Finalize follow a user count.
/// Thread safety: all members are thread safe; the module itself is initialised with CKF_OS_LOCKING_OK.
internal sealed unsafe class Pkcs11Module
{
    private static readonly Dictionary<string, Pkcs11Module> s_modules = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _users;
    private bool _initialized;

    private Pkcs11Module(string path, Pkcs11Functions functions)
    {
        Path = path;
        F = functions;
    }

    public string Path { get; }

    public Pkcs11Functions F { get; }

    /// Loads (once) the module at <paramref name="path"/>. Linux/macOS 64-bit only (CK_ULONG = 8 bytes).
    public static Pkcs11Module Load(string path)
    {
        if (OperatingSystem.IsWindows() || IntPtr.Size != 8)
        {
            throw new PlatformNotSupportedException("The PKCS#11 binding supports LP64 platforms only (CK_ULONG = 8 bytes).");
        }

        var full = System.IO.Path.GetFullPath(path);
        lock (s_modules)
        {
            if (s_modules.TryGetValue(full, out var loaded))
            {
                return loaded;
            }

            var handle = NativeLibrary.Load(full);
            var getFunctionList = (delegate* unmanaged<void**, nuint>)NativeLibrary.GetExport(handle, "C_GetFunctionList");
            void* list = null;
            Pkcs11ErrorMap.Check(getFunctionList(&list), "C_GetFunctionList");
            if (list == null)
            {
                throw new Pkcs11Exception("C_GetFunctionList", Pkcs11ErrorKind.Internal, "returned no function list");
            }

            var version = (byte*)list;
            if (version[0] != 2)
            {
                throw new Pkcs11Exception("C_GetFunctionList", Pkcs11ErrorKind.Unsupported, $"Cryptoki {version[0]}.{version[1]} is not 2.x");
            }

            var module = new Pkcs11Module(full, new Pkcs11Functions(list));
            s_modules[full] = module;
            return module;
        }
    }

    /// Whether a user holds the module initialised (its configuration, e.g. SOFTHSM2_CONF, is then fixed).
    public bool IsInUse
    {
        get
        {
            lock (_lock)
            {
                return _users > 0;
            }
        }
    }

    /// Registers a user and calls C_Initialize if nobody had.
    public void AddUser()
    {
        lock (_lock)
        {
            EnsureInitialized();
            _users++;
        }
    }

    /// Unregisters a user; the last one calls C_Finalize.
    public void RemoveUser()
    {
        lock (_lock)
        {
            if (--_users == 0 && _initialized)
            {
                F.Finalize(null);
                _initialized = false;
            }
        }
    }

    /// C_Finalize then C_Initialize: closes every session of every user (used to recover from a lost token).
    public void Reinitialize()
    {
        lock (_lock)
        {
            if (_initialized)
            {
                F.Finalize(null);
                _initialized = false;
            }

            EnsureInitialized();
        }
    }

    /// C_Finalize without re-initialising: every session is gone. Test hook for "the HSM went away".
    public void FinalizeForTest()
    {
        lock (_lock)
        {
            if (_initialized)
            {
                F.Finalize(null);
                _initialized = false;
            }
        }
    }

    /// Finds the slot holding an initialised token whose label is <paramref name="label"/>, or null.
    public nuint? FindSlotByTokenLabel(string label)
    {
        foreach (var slot in GetSlots())
        {
            var info = GetTokenInfo(slot);
            if ((info.Flags & Ck.CKF_TOKEN_INITIALIZED) != 0 && info.Label == label)
            {
                return slot;
            }
        }

        return null;
    }

    /// The first slot whose token is not initialised (SoftHSM always offers one), or null.
    public nuint? FindUninitializedSlot()
    {
        foreach (var slot in GetSlots())
        {
            if ((GetTokenInfo(slot).Flags & Ck.CKF_TOKEN_INITIALIZED) == 0)
            {
                return slot;
            }
        }

        return null;
    }

    /// C_InitToken + C_InitPIN: creates a token with the given label and PINs in <paramref name="slot"/>.
    /// The PINs are copied to native memory only for the calls and never logged.
    public void InitToken(nuint slot, string label, ReadOnlySpan<byte> soPin, ReadOnlySpan<byte> userPin)
    {
        Span<byte> label32 = stackalloc byte[32];
        label32.Fill((byte)' ');
        var labelBytes = Encoding.UTF8.GetBytes(label);
        if (labelBytes.Length > 32)
        {
            throw new ArgumentException("A token label has at most 32 bytes.", nameof(label));
        }

        labelBytes.CopyTo(label32);
        fixed (byte* so = soPin)
        fixed (byte* user = userPin)
        fixed (byte* l = label32)
        {
            Pkcs11ErrorMap.Check(F.InitToken(slot, so, (nuint)soPin.Length, l), "C_InitToken");
            var newSlot = FindSlotByTokenLabel(label)
                ?? throw new Pkcs11Exception("C_InitToken", Pkcs11ErrorKind.Internal, "the new token is not listed");
            nuint session;
            Pkcs11ErrorMap.Check(F.OpenSession(newSlot, Ck.CKF_SERIAL_SESSION | Ck.CKF_RW_SESSION, null, null, &session), "C_OpenSession");
            try
            {
                Pkcs11ErrorMap.Check(F.Login(session, Ck.CKU_SO, so, (nuint)soPin.Length), "C_Login");
                Pkcs11ErrorMap.Check(F.InitPin(session, user, (nuint)userPin.Length), "C_InitPIN");
                F.Logout(session);
            }
            finally
            {
                F.CloseSession(session);
            }
        }
    }

    public MechanismInfo? GetMechanismInfo(nuint slot, nuint mechanism)
    {
        CkMechanismInfo info;
        var rv = F.GetMechanismInfo(slot, mechanism, &info);
        if (rv == 0x70)
        {
            return null; // CKR_MECHANISM_INVALID: not supported
        }

        Pkcs11ErrorMap.Check(rv, "C_GetMechanismInfo");
        return new MechanismInfo(info.MinKeySize, info.MaxKeySize, info.Flags);
    }

    private void EnsureInitialized()
    {
        if (_initialized)
        {
            return;
        }

        var args = new CkInitializeArgs { Flags = Ck.CKF_OS_LOCKING_OK };
        var rv = F.Initialize(&args);
        if (rv != 0 && rv != Pkcs11ErrorMap.CKR_CRYPTOKI_ALREADY_INITIALIZED)
        {
            throw new Pkcs11Exception("C_Initialize", rv);
        }

        _initialized = true;
    }

    private nuint[] GetSlots()
    {
        nuint count = 0;
        Pkcs11ErrorMap.Check(F.GetSlotList(0, null, &count), "C_GetSlotList");
        var slots = new nuint[count];
        fixed (nuint* p = slots)
        {
            Pkcs11ErrorMap.Check(F.GetSlotList(0, p, &count), "C_GetSlotList");
        }

        return slots.AsSpan(0, (int)count).ToArray();
    }

    private (string Label, nuint Flags) GetTokenInfo(nuint slot)
    {
        // CK_TOKEN_INFO is 208 bytes on LP64: label[32] at 0, flags at 96.
        var info = stackalloc byte[256];
        var rv = F.GetTokenInfo(slot, info);
        if (rv != 0)
        {
            return (string.Empty, 0); // no token in this slot
        }

        var label = Encoding.UTF8.GetString(info, 32).TrimEnd(' ', '\0');
        return (label, *(nuint*)(info + 96));
    }
}
