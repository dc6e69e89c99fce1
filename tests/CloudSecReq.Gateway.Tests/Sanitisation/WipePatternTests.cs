using CloudSecReq.Gateway.Sanitisation;

namespace CloudSecReq.Gateway.Tests.Sanitisation;

public sealed class WipePatternTests
{
    [Fact]
    public void Fill_RandomAtAnyOffsetAndLength_MatchesOneContiguousFill()
    {
        using var pattern = new WipePattern(WipeMethod.Random);
        var whole = new byte[10_000];
        pattern.Fill(whole, 1_000_000);
        // Unaligned pieces, as verification regenerates a region or a file tail.
        foreach (var (start, length) in new[] { (0, 1), (3, 29), (17, 4096), (9_999, 1), (5_000, 5_000) })
        {
            var piece = new byte[length];
            pattern.Fill(piece, 1_000_000 + start);
            Assert.Equal(whole.AsSpan(start, length).ToArray(), piece);
        }
        Assert.True(whole.Distinct().Count() > 200, "keystream bytes should look random");
    }

    [Fact]
    public void Fill_TwoRandomPatterns_Differ_AndZerosAreZeros()
    {
        using var a = new WipePattern(WipeMethod.Random);
        using var b = new WipePattern(WipeMethod.Random);
        using var zeros = new WipePattern(WipeMethod.Zeros);
        var x = new byte[4096];
        var y = new byte[4096];
        var z = Enumerable.Repeat((byte)0xAA, 4096).ToArray();
        a.Fill(x, 0);
        b.Fill(y, 0);
        zeros.Fill(z, 12_345);
        Assert.NotEqual(x, y);
        Assert.All(z, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData("full", true, 0)]
    [InlineData("sample:1", false, 1)]
    [InlineData("sample:500", false, 500)]
    public void Parse_ValidText_GivesTheVerification(string text, bool full, int samples)
    {
        var v = WipeVerification.Parse(text);
        Assert.NotNull(v);
        Assert.Equal(full, v.Full);
        Assert.Equal(samples, v.Samples);
        Assert.Equal(text, v.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sample:0")]
    [InlineData("sample:-3")]
    [InlineData("sample:")]
    [InlineData("Full")]
    public void Parse_InvalidText_GivesNull(string text) => Assert.Null(WipeVerification.Parse(text));
}
