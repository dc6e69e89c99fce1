using System.Globalization;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// How a wipe is verified after its last pass (NIST SP 800-88 Rev. 1, 4.7): every byte read back from
/// the medium and compared (<see cref="Full"/>), or <see cref="Samples"/> regions of
/// <see cref="SampleRegionBytes"/> at random offsets plus the first and the last region.
/// </summary>
internal sealed record WipeVerification(bool Full, int Samples)
{
    public const int SampleRegionBytes = 64 * 1024;

    public static readonly WipeVerification FullReadBack = new(true, 0);

    /// <summary>"full" or "sample:N" (N ≥ 1); null when <paramref name="text"/> is neither.</summary>
    public static WipeVerification? Parse(string text)
    {
        if (text == "full")
        {
            return FullReadBack;
        }
        return text.StartsWith("sample:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan("sample:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? new WipeVerification(false, n)
            : null;
    }

    public override string ToString() => Full ? "full" : string.Create(CultureInfo.InvariantCulture, $"sample:{Samples}");
}
