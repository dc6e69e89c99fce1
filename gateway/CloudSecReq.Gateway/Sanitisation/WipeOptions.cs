namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>What a wipe writes and how it is checked: <see cref="Passes"/> passes of <see cref="Method"/>, the last one verified.</summary>
internal sealed record WipeOptions(WipeMethod Method, int Passes, WipeVerification Verification);
