using CloudSecReq.Kms.Keys;
using FsCheck;
using FsCheck.Fluent;

namespace CloudSecReq.Kms.Tests.Keys;

public sealed class CiphertextBlobTests
{
    [Fact]
    public void Header_AnyKeyAndVersion_ParsesBack()
    {
        Prop.ForAll<Guid, PositiveInt>((id, version) =>
        {
            byte[] blob = [.. CiphertextBlob.Header(id, version.Get), .. new byte[28]];
            return CiphertextBlob.TryParse(blob, out var parsedId, out var parsedVersion) && parsedId == id && parsedVersion == version.Get;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TryParse_ShortOrWrongFormat_Fails()
    {
        Assert.False(CiphertextBlob.TryParse(new byte[CiphertextBlob.MinBytes - 1], out _, out _));
        var blob = new byte[CiphertextBlob.MinBytes];
        blob[0] = 0x02;
        Assert.False(CiphertextBlob.TryParse(blob, out _, out _));
    }

    [Fact]
    public void Canonical_InsertionOrder_DoesNotMatter()
    {
        Prop.ForAll<NonEmptyString[], NonEmptyString>((keys, value) =>
        {
            var distinct = keys.Select(k => k.Get).Distinct().ToList();
            var forward = distinct.ToDictionary(k => k, _ => value.Get);
            var backward = Enumerable.Reverse(distinct).ToDictionary(k => k, _ => value.Get);
            return EncryptionContext.Canonical(forward).SequenceEqual(EncryptionContext.Canonical(backward));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Canonical_SplitBetweenKeyAndValue_Differs()
    {
        // Length prefixes keep {"ab":"c"} and {"a":"bc"} apart.
        Assert.NotEqual(
            EncryptionContext.Canonical(new Dictionary<string, string> { ["ab"] = "c" }),
            EncryptionContext.Canonical(new Dictionary<string, string> { ["a"] = "bc" }));
        Assert.Equal(new byte[4], EncryptionContext.Canonical(null));
    }
}
