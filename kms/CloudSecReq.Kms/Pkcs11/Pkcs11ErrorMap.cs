namespace CloudSecReq.Kms.Pkcs11;

/// The one place where every PKCS#11 v2.40 CKR_* return value gets its name and its <see cref="Pkcs11ErrorKind"/>.
/// Codes not listed (and vendor-defined ones, 0x80000000 and up) are <see cref="Pkcs11ErrorKind.Internal"/>.
internal static class Pkcs11ErrorMap
{
    private static readonly Dictionary<ulong, (string Name, Pkcs11ErrorKind Kind)> s_table = new()
    {
        [0x0] = ("CKR_OK", Pkcs11ErrorKind.AlreadyDone),
        [0x1] = ("CKR_CANCEL", Pkcs11ErrorKind.Internal),
        [0x2] = ("CKR_HOST_MEMORY", Pkcs11ErrorKind.Internal),
        [0x3] = ("CKR_SLOT_ID_INVALID", Pkcs11ErrorKind.Unavailable),
        [0x5] = ("CKR_GENERAL_ERROR", Pkcs11ErrorKind.GeneralError),
        [0x6] = ("CKR_FUNCTION_FAILED", Pkcs11ErrorKind.GeneralError),
        [0x7] = ("CKR_ARGUMENTS_BAD", Pkcs11ErrorKind.InvalidArgument),
        [0x8] = ("CKR_NO_EVENT", Pkcs11ErrorKind.Internal),
        [0x9] = ("CKR_NEED_TO_CREATE_THREADS", Pkcs11ErrorKind.Internal),
        [0xA] = ("CKR_CANT_LOCK", Pkcs11ErrorKind.Internal),
        [0x10] = ("CKR_ATTRIBUTE_READ_ONLY", Pkcs11ErrorKind.NotPermitted),
        [0x11] = ("CKR_ATTRIBUTE_SENSITIVE", Pkcs11ErrorKind.NotPermitted),
        [0x12] = ("CKR_ATTRIBUTE_TYPE_INVALID", Pkcs11ErrorKind.InvalidArgument),
        [0x13] = ("CKR_ATTRIBUTE_VALUE_INVALID", Pkcs11ErrorKind.InvalidArgument),
        [0x1B] = ("CKR_ACTION_PROHIBITED", Pkcs11ErrorKind.NotPermitted),
        [0x20] = ("CKR_DATA_INVALID", Pkcs11ErrorKind.CiphertextRejected),
        [0x21] = ("CKR_DATA_LEN_RANGE", Pkcs11ErrorKind.CiphertextRejected),
        [0x30] = ("CKR_DEVICE_ERROR", Pkcs11ErrorKind.Unavailable),
        [0x31] = ("CKR_DEVICE_MEMORY", Pkcs11ErrorKind.Unavailable),
        [0x32] = ("CKR_DEVICE_REMOVED", Pkcs11ErrorKind.Unavailable),
        [0x40] = ("CKR_ENCRYPTED_DATA_INVALID", Pkcs11ErrorKind.CiphertextRejected),
        [0x41] = ("CKR_ENCRYPTED_DATA_LEN_RANGE", Pkcs11ErrorKind.CiphertextRejected),
        [0x50] = ("CKR_FUNCTION_CANCELED", Pkcs11ErrorKind.Unavailable),
        [0x51] = ("CKR_FUNCTION_NOT_PARALLEL", Pkcs11ErrorKind.Unsupported),
        [0x54] = ("CKR_FUNCTION_NOT_SUPPORTED", Pkcs11ErrorKind.Unsupported),
        [0x60] = ("CKR_KEY_HANDLE_INVALID", Pkcs11ErrorKind.StaleHandle),
        [0x62] = ("CKR_KEY_SIZE_RANGE", Pkcs11ErrorKind.InvalidArgument),
        [0x63] = ("CKR_KEY_TYPE_INCONSISTENT", Pkcs11ErrorKind.InvalidArgument),
        [0x64] = ("CKR_KEY_NOT_NEEDED", Pkcs11ErrorKind.InvalidArgument),
        [0x65] = ("CKR_KEY_CHANGED", Pkcs11ErrorKind.StaleHandle),
        [0x66] = ("CKR_KEY_NEEDED", Pkcs11ErrorKind.InvalidArgument),
        [0x67] = ("CKR_KEY_INDIGESTIBLE", Pkcs11ErrorKind.NotPermitted),
        [0x68] = ("CKR_KEY_FUNCTION_NOT_PERMITTED", Pkcs11ErrorKind.NotPermitted),
        [0x69] = ("CKR_KEY_NOT_WRAPPABLE", Pkcs11ErrorKind.NotPermitted),
        [0x6A] = ("CKR_KEY_UNEXTRACTABLE", Pkcs11ErrorKind.NotPermitted),
        [0x70] = ("CKR_MECHANISM_INVALID", Pkcs11ErrorKind.Unsupported),
        [0x71] = ("CKR_MECHANISM_PARAM_INVALID", Pkcs11ErrorKind.Unsupported),
        [0x82] = ("CKR_OBJECT_HANDLE_INVALID", Pkcs11ErrorKind.StaleHandle),
        [0x90] = ("CKR_OPERATION_ACTIVE", Pkcs11ErrorKind.Internal),
        [0x91] = ("CKR_OPERATION_NOT_INITIALIZED", Pkcs11ErrorKind.Internal),
        [0xA0] = ("CKR_PIN_INCORRECT", Pkcs11ErrorKind.Authentication),
        [0xA1] = ("CKR_PIN_INVALID", Pkcs11ErrorKind.Authentication),
        [0xA2] = ("CKR_PIN_LEN_RANGE", Pkcs11ErrorKind.Authentication),
        [0xA3] = ("CKR_PIN_EXPIRED", Pkcs11ErrorKind.Authentication),
        [0xA4] = ("CKR_PIN_LOCKED", Pkcs11ErrorKind.Authentication),
        [0xB0] = ("CKR_SESSION_CLOSED", Pkcs11ErrorKind.Unavailable),
        [0xB1] = ("CKR_SESSION_COUNT", Pkcs11ErrorKind.Unavailable),
        [0xB3] = ("CKR_SESSION_HANDLE_INVALID", Pkcs11ErrorKind.Unavailable),
        [0xB4] = ("CKR_SESSION_PARALLEL_NOT_SUPPORTED", Pkcs11ErrorKind.InvalidArgument),
        [0xB5] = ("CKR_SESSION_READ_ONLY", Pkcs11ErrorKind.NotPermitted),
        [0xB6] = ("CKR_SESSION_EXISTS", Pkcs11ErrorKind.Internal),
        [0xB7] = ("CKR_SESSION_READ_ONLY_EXISTS", Pkcs11ErrorKind.Internal),
        [0xB8] = ("CKR_SESSION_READ_WRITE_SO_EXISTS", Pkcs11ErrorKind.Internal),
        [0xC0] = ("CKR_SIGNATURE_INVALID", Pkcs11ErrorKind.SignatureInvalid),
        [0xC1] = ("CKR_SIGNATURE_LEN_RANGE", Pkcs11ErrorKind.SignatureInvalid),
        [0xD0] = ("CKR_TEMPLATE_INCOMPLETE", Pkcs11ErrorKind.InvalidArgument),
        [0xD1] = ("CKR_TEMPLATE_INCONSISTENT", Pkcs11ErrorKind.InvalidArgument),
        [0xE0] = ("CKR_TOKEN_NOT_PRESENT", Pkcs11ErrorKind.Unavailable),
        [0xE1] = ("CKR_TOKEN_NOT_RECOGNIZED", Pkcs11ErrorKind.Unavailable),
        [0xE2] = ("CKR_TOKEN_WRITE_PROTECTED", Pkcs11ErrorKind.NotPermitted),
        [0xF0] = ("CKR_UNWRAPPING_KEY_HANDLE_INVALID", Pkcs11ErrorKind.StaleHandle),
        [0xF1] = ("CKR_UNWRAPPING_KEY_SIZE_RANGE", Pkcs11ErrorKind.InvalidArgument),
        [0xF2] = ("CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT", Pkcs11ErrorKind.InvalidArgument),
        [0x100] = ("CKR_USER_ALREADY_LOGGED_IN", Pkcs11ErrorKind.AlreadyDone),
        [0x101] = ("CKR_USER_NOT_LOGGED_IN", Pkcs11ErrorKind.Unavailable),
        [0x102] = ("CKR_USER_PIN_NOT_INITIALIZED", Pkcs11ErrorKind.Authentication),
        [0x103] = ("CKR_USER_TYPE_INVALID", Pkcs11ErrorKind.InvalidArgument),
        [0x104] = ("CKR_USER_ANOTHER_ALREADY_LOGGED_IN", Pkcs11ErrorKind.Authentication),
        [0x105] = ("CKR_USER_TOO_MANY_TYPES", Pkcs11ErrorKind.Authentication),
        [0x110] = ("CKR_WRAPPED_KEY_INVALID", Pkcs11ErrorKind.CiphertextRejected),
        [0x112] = ("CKR_WRAPPED_KEY_LEN_RANGE", Pkcs11ErrorKind.CiphertextRejected),
        [0x113] = ("CKR_WRAPPING_KEY_HANDLE_INVALID", Pkcs11ErrorKind.StaleHandle),
        [0x114] = ("CKR_WRAPPING_KEY_SIZE_RANGE", Pkcs11ErrorKind.InvalidArgument),
        [0x115] = ("CKR_WRAPPING_KEY_TYPE_INCONSISTENT", Pkcs11ErrorKind.InvalidArgument),
        [0x120] = ("CKR_RANDOM_SEED_NOT_SUPPORTED", Pkcs11ErrorKind.Unsupported),
        [0x121] = ("CKR_RANDOM_NO_RNG", Pkcs11ErrorKind.Unsupported),
        [0x130] = ("CKR_DOMAIN_PARAMS_INVALID", Pkcs11ErrorKind.InvalidArgument),
        [0x140] = ("CKR_CURVE_NOT_SUPPORTED", Pkcs11ErrorKind.Unsupported),
        [0x150] = ("CKR_BUFFER_TOO_SMALL", Pkcs11ErrorKind.BufferTooSmall),
        [0x160] = ("CKR_SAVED_STATE_INVALID", Pkcs11ErrorKind.Internal),
        [0x170] = ("CKR_INFORMATION_SENSITIVE", Pkcs11ErrorKind.NotPermitted),
        [0x180] = ("CKR_STATE_UNSAVEABLE", Pkcs11ErrorKind.Internal),
        [0x190] = ("CKR_CRYPTOKI_NOT_INITIALIZED", Pkcs11ErrorKind.Unavailable),
        [0x191] = ("CKR_CRYPTOKI_ALREADY_INITIALIZED", Pkcs11ErrorKind.AlreadyDone),
        [0x1A0] = ("CKR_MUTEX_BAD", Pkcs11ErrorKind.Internal),
        [0x1A1] = ("CKR_MUTEX_NOT_LOCKED", Pkcs11ErrorKind.Internal),
        [0x1B0] = ("CKR_NEW_PIN_MODE", Pkcs11ErrorKind.Authentication),
        [0x1B1] = ("CKR_NEXT_OTP", Pkcs11ErrorKind.Authentication),
        [0x1B5] = ("CKR_EXCEEDED_MAX_ITERATIONS", Pkcs11ErrorKind.Internal),
        [0x1B6] = ("CKR_FIPS_SELF_TEST_FAILED", Pkcs11ErrorKind.Unavailable),
        [0x1B7] = ("CKR_LIBRARY_LOAD_FAILED", Pkcs11ErrorKind.Unavailable),
        [0x1B8] = ("CKR_PIN_TOO_WEAK", Pkcs11ErrorKind.Authentication),
        [0x1B9] = ("CKR_PUBLIC_KEY_INVALID", Pkcs11ErrorKind.InvalidArgument),
        [0x200] = ("CKR_FUNCTION_REJECTED", Pkcs11ErrorKind.NotPermitted),
    };

    public const ulong CKR_OK = 0x0;
    public const ulong CKR_GENERAL_ERROR = 0x5;
    public const ulong CKR_BUFFER_TOO_SMALL = 0x150;
    public const ulong CKR_USER_ALREADY_LOGGED_IN = 0x100;
    public const ulong CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
    public const ulong CKR_CRYPTOKI_NOT_INITIALIZED = 0x190;
    public const ulong CKR_ATTRIBUTE_TYPE_INVALID = 0x12;
    public const ulong CKR_ATTRIBUTE_SENSITIVE = 0x11;
    public const ulong CKR_VENDOR_DEFINED = 0x80000000;

    /// All codes in the table (for tests).
    public static IEnumerable<ulong> KnownCodes => s_table.Keys;

    public static string Name(ulong rv) =>
        s_table.TryGetValue(rv, out var e) ? e.Name : rv >= CKR_VENDOR_DEFINED ? "CKR_VENDOR_DEFINED" : "CKR_UNKNOWN";

    public static Pkcs11ErrorKind Kind(ulong rv) =>
        s_table.TryGetValue(rv, out var e) ? e.Kind : Pkcs11ErrorKind.Internal;

    /// Throws <see cref="Pkcs11Exception"/> unless <paramref name="rv"/> is CKR_OK.
    public static void Check(nuint rv, string function)
    {
        if (rv != 0)
        {
            throw new Pkcs11Exception(function, rv);
        }
    }

    /// For C_Decrypt and C_UnwrapKey: SoftHSM reports a bad GCM tag or a bad wrapped-key blob as CKR_GENERAL_ERROR
    /// (not CKR_ENCRYPTED_DATA_INVALID / CKR_WRAPPED_KEY_INVALID), so there it counts as a rejected ciphertext.
    public static void CheckDecrypt(nuint rv, string function)
    {
        if (rv == 0)
        {
            return;
        }

        var kind = Kind(rv);
        throw new Pkcs11Exception(function, rv, kind == Pkcs11ErrorKind.GeneralError ? Pkcs11ErrorKind.CiphertextRejected : kind);
    }
}
