namespace CloudSecReq.Kms.Pkcs11;

/// What C_GetMechanismInfo reports. Do not trust the flags alone (SoftHSM advertises GCM wrap and fails it).
internal readonly record struct MechanismInfo(ulong MinKeySize, ulong MaxKeySize, ulong Flags)
{
    public bool Can(nuint flag) => (Flags & flag) != 0;
}
