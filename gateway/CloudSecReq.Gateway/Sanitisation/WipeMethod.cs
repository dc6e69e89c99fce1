namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>What a wipe pass writes: pseudorandom bytes (the default) or zeros.</summary>
internal enum WipeMethod
{
    Random,
    Zeros,
}
