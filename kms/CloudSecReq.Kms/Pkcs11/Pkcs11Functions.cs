namespace CloudSecReq.Kms.Pkcs11;

/// The CK_FUNCTION_LIST entries we call, read from the table C_GetFunctionList returns
/// (CK_VERSION then 68 pointers, pointer i at offset 8 + 8i on LP64). All functions return CK_RV.
internal sealed unsafe class Pkcs11Functions
{
    public Pkcs11Functions(void* functionList)
    {
        var table = (void**)((byte*)functionList + 8);
        Initialize = (delegate* unmanaged<void*, nuint>)table[0];
        Finalize = (delegate* unmanaged<void*, nuint>)table[1];
        GetSlotList = (delegate* unmanaged<byte, nuint*, nuint*, nuint>)table[4];
        GetTokenInfo = (delegate* unmanaged<nuint, byte*, nuint>)table[6];
        GetMechanismInfo = (delegate* unmanaged<nuint, nuint, CkMechanismInfo*, nuint>)table[8];
        InitToken = (delegate* unmanaged<nuint, byte*, nuint, byte*, nuint>)table[9];
        InitPin = (delegate* unmanaged<nuint, byte*, nuint, nuint>)table[10];
        OpenSession = (delegate* unmanaged<nuint, nuint, void*, void*, nuint*, nuint>)table[12];
        CloseSession = (delegate* unmanaged<nuint, nuint>)table[13];
        CloseAllSessions = (delegate* unmanaged<nuint, nuint>)table[14];
        Login = (delegate* unmanaged<nuint, nuint, byte*, nuint, nuint>)table[18];
        Logout = (delegate* unmanaged<nuint, nuint>)table[19];
        CreateObject = (delegate* unmanaged<nuint, CkAttribute*, nuint, nuint*, nuint>)table[20];
        DestroyObject = (delegate* unmanaged<nuint, nuint, nuint>)table[22];
        GetAttributeValue = (delegate* unmanaged<nuint, nuint, CkAttribute*, nuint, nuint>)table[24];
        SetAttributeValue = (delegate* unmanaged<nuint, nuint, CkAttribute*, nuint, nuint>)table[25];
        FindObjectsInit = (delegate* unmanaged<nuint, CkAttribute*, nuint, nuint>)table[26];
        FindObjects = (delegate* unmanaged<nuint, nuint*, nuint, nuint*, nuint>)table[27];
        FindObjectsFinal = (delegate* unmanaged<nuint, nuint>)table[28];
        EncryptInit = (delegate* unmanaged<nuint, CkMechanism*, nuint, nuint>)table[29];
        Encrypt = (delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint>)table[30];
        DecryptInit = (delegate* unmanaged<nuint, CkMechanism*, nuint, nuint>)table[33];
        Decrypt = (delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint>)table[34];
        SignInit = (delegate* unmanaged<nuint, CkMechanism*, nuint, nuint>)table[42];
        Sign = (delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint>)table[43];
        GenerateKey = (delegate* unmanaged<nuint, CkMechanism*, CkAttribute*, nuint, nuint*, nuint>)table[58];
        GenerateKeyPair = (delegate* unmanaged<nuint, CkMechanism*, CkAttribute*, nuint, CkAttribute*, nuint, nuint*, nuint*, nuint>)table[59];
        WrapKey = (delegate* unmanaged<nuint, CkMechanism*, nuint, nuint, byte*, nuint*, nuint>)table[60];
        UnwrapKey = (delegate* unmanaged<nuint, CkMechanism*, nuint, byte*, nuint, CkAttribute*, nuint, nuint*, nuint>)table[61];
        GenerateRandom = (delegate* unmanaged<nuint, byte*, nuint, nuint>)table[64];
    }

    public readonly delegate* unmanaged<void*, nuint> Initialize;
    public readonly delegate* unmanaged<void*, nuint> Finalize;
    public readonly delegate* unmanaged<byte, nuint*, nuint*, nuint> GetSlotList;
    public readonly delegate* unmanaged<nuint, byte*, nuint> GetTokenInfo;
    public readonly delegate* unmanaged<nuint, nuint, CkMechanismInfo*, nuint> GetMechanismInfo;
    public readonly delegate* unmanaged<nuint, byte*, nuint, byte*, nuint> InitToken;
    public readonly delegate* unmanaged<nuint, byte*, nuint, nuint> InitPin;
    public readonly delegate* unmanaged<nuint, nuint, void*, void*, nuint*, nuint> OpenSession;
    public readonly delegate* unmanaged<nuint, nuint> CloseSession;
    public readonly delegate* unmanaged<nuint, nuint> CloseAllSessions;
    public readonly delegate* unmanaged<nuint, nuint, byte*, nuint, nuint> Login;
    public readonly delegate* unmanaged<nuint, nuint> Logout;
    public readonly delegate* unmanaged<nuint, CkAttribute*, nuint, nuint*, nuint> CreateObject;
    public readonly delegate* unmanaged<nuint, nuint, nuint> DestroyObject;
    public readonly delegate* unmanaged<nuint, nuint, CkAttribute*, nuint, nuint> GetAttributeValue;
    public readonly delegate* unmanaged<nuint, nuint, CkAttribute*, nuint, nuint> SetAttributeValue;
    public readonly delegate* unmanaged<nuint, CkAttribute*, nuint, nuint> FindObjectsInit;
    public readonly delegate* unmanaged<nuint, nuint*, nuint, nuint*, nuint> FindObjects;
    public readonly delegate* unmanaged<nuint, nuint> FindObjectsFinal;
    public readonly delegate* unmanaged<nuint, CkMechanism*, nuint, nuint> EncryptInit;
    public readonly delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint> Encrypt;
    public readonly delegate* unmanaged<nuint, CkMechanism*, nuint, nuint> DecryptInit;
    public readonly delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint> Decrypt;
    public readonly delegate* unmanaged<nuint, CkMechanism*, nuint, nuint> SignInit;
    public readonly delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint> Sign;
    public readonly delegate* unmanaged<nuint, CkMechanism*, CkAttribute*, nuint, nuint*, nuint> GenerateKey;
    public readonly delegate* unmanaged<nuint, CkMechanism*, CkAttribute*, nuint, CkAttribute*, nuint, nuint*, nuint*, nuint> GenerateKeyPair;
    public readonly delegate* unmanaged<nuint, CkMechanism*, nuint, nuint, byte*, nuint*, nuint> WrapKey;
    public readonly delegate* unmanaged<nuint, CkMechanism*, nuint, byte*, nuint, CkAttribute*, nuint, nuint*, nuint> UnwrapKey;
    public readonly delegate* unmanaged<nuint, byte*, nuint, nuint> GenerateRandom;
}
