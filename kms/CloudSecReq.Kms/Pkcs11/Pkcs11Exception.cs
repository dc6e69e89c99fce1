namespace CloudSecReq.Kms.Pkcs11;

/// A PKCS#11 call returned an error. The message names the function and the CKR_* code, never data, keys or PINs.
internal sealed class Pkcs11Exception : Exception
{
    public Pkcs11Exception(string function, ulong rv)
        : base($"{function} failed: {Pkcs11ErrorMap.Name(rv)} (0x{rv:X})")
    {
        Function = function;
        ReturnValue = rv;
        Kind = Pkcs11ErrorMap.Kind(rv);
    }

    public Pkcs11Exception(string function, ulong rv, Pkcs11ErrorKind kind)
        : base($"{function} failed: {Pkcs11ErrorMap.Name(rv)} (0x{rv:X})")
    {
        Function = function;
        ReturnValue = rv;
        Kind = kind;
    }

    public Pkcs11Exception(string function, Pkcs11ErrorKind kind, string message)
        : base($"{function}: {message}")
    {
        Function = function;
        ReturnValue = 0;
        Kind = kind;
    }

    public string Function { get; }

    public ulong ReturnValue { get; }

    public Pkcs11ErrorKind Kind { get; }
}
