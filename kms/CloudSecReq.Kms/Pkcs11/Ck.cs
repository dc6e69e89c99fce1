namespace CloudSecReq.Kms.Pkcs11;

/// PKCS#11 v2.40 constants we use (names verbatim from pkcs11t.h, values as CK_ULONG).
internal static class Ck
{
    // Object classes
    public const nuint CKO_PUBLIC_KEY = 2;
    public const nuint CKO_PRIVATE_KEY = 3;
    public const nuint CKO_SECRET_KEY = 4;

    // Key types
    public const nuint CKK_RSA = 0x0;
    public const nuint CKK_EC = 0x3;
    public const nuint CKK_GENERIC_SECRET = 0x10;
    public const nuint CKK_AES = 0x1F;

    // Attributes
    public const nuint CKA_CLASS = 0x0;
    public const nuint CKA_TOKEN = 0x1;
    public const nuint CKA_PRIVATE = 0x2;
    public const nuint CKA_LABEL = 0x3;
    public const nuint CKA_VALUE = 0x11;
    public const nuint CKA_KEY_TYPE = 0x100;
    public const nuint CKA_ID = 0x102;
    public const nuint CKA_SENSITIVE = 0x103;
    public const nuint CKA_ENCRYPT = 0x104;
    public const nuint CKA_DECRYPT = 0x105;
    public const nuint CKA_WRAP = 0x106;
    public const nuint CKA_UNWRAP = 0x107;
    public const nuint CKA_SIGN = 0x108;
    public const nuint CKA_VERIFY = 0x10A;
    public const nuint CKA_DERIVE = 0x10C;
    public const nuint CKA_MODULUS = 0x120;
    public const nuint CKA_MODULUS_BITS = 0x121;
    public const nuint CKA_PUBLIC_EXPONENT = 0x122;
    public const nuint CKA_VALUE_LEN = 0x161;
    public const nuint CKA_EXTRACTABLE = 0x162;
    public const nuint CKA_NEVER_EXTRACTABLE = 0x164;
    public const nuint CKA_ALWAYS_SENSITIVE = 0x165;
    public const nuint CKA_EC_PARAMS = 0x180;
    public const nuint CKA_EC_POINT = 0x181;

    // Mechanisms
    public const nuint CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0;
    public const nuint CKM_RSA_X_509 = 0x3;
    public const nuint CKM_RSA_PKCS_OAEP = 0x9;
    public const nuint CKM_SHA_1 = 0x220;
    public const nuint CKM_SHA256 = 0x250;
    public const nuint CKM_GENERIC_SECRET_KEY_GEN = 0x350;
    public const nuint CKM_EC_KEY_PAIR_GEN = 0x1040;
    public const nuint CKM_ECDSA = 0x1041;
    public const nuint CKM_RSA_AES_KEY_WRAP = 0x1054;
    public const nuint CKM_AES_KEY_GEN = 0x1080;
    public const nuint CKM_AES_GCM = 0x1087;
    public const nuint CKM_AES_CMAC = 0x108A;
    public const nuint CKM_AES_KEY_WRAP = 0x2109;
    public const nuint CKM_AES_KEY_WRAP_PAD = 0x210A;

    // OAEP parameters
    public const nuint CKG_MGF1_SHA1 = 0x1;
    public const nuint CKG_MGF1_SHA256 = 0x2;
    public const nuint CKZ_DATA_SPECIFIED = 0x1;

    // Flags
    public const nuint CKF_RW_SESSION = 0x2;
    public const nuint CKF_SERIAL_SESSION = 0x4;
    public const nuint CKF_OS_LOCKING_OK = 0x2;
    public const nuint CKF_USER_PIN_INITIALIZED = 0x8;
    public const nuint CKF_TOKEN_INITIALIZED = 0x400;

    // Mechanism info flags
    public const nuint CKF_ENCRYPT = 0x100;
    public const nuint CKF_DECRYPT = 0x200;
    public const nuint CKF_SIGN = 0x800;
    public const nuint CKF_GENERATE = 0x8000;
    public const nuint CKF_GENERATE_KEY_PAIR = 0x10000;
    public const nuint CKF_WRAP = 0x20000;
    public const nuint CKF_UNWRAP = 0x40000;

    // User types
    public const nuint CKU_SO = 0;
    public const nuint CKU_USER = 1;

    /// DER OID of NIST P-256 (prime256v1), the CKA_EC_PARAMS value.
    public static ReadOnlySpan<byte> P256Oid => [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
}
