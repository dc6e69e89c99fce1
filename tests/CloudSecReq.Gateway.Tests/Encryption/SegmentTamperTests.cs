using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Tests.Encryption;

/// Damaged sealed segments: every read that touches the damage throws SegmentIntegrityException and
/// writes nothing of the damaged package (only verified packages before it may have been written).
public sealed class SegmentTamperTests
{
    private const int P = SealedFormat.PackagePlainBytes;
    private const int S = P + SealedFormat.TagBytes;
    // Four packages: three full and a short final one.
    private const int Length = 3 * P + 1000;
    private const int Packages = 4;

    private static readonly byte[] s_plain = SegmentSamples.Plaintext(Length, seed: 99);

    public static TheoryData<int, int> FlipPositions()
    {
        var data = new TheoryData<int, int>();
        for (var package = 0; package < Packages; package++)
        {
            var sealedBytes = package < Packages - 1 ? S : 1000 + 16;
            foreach (var at in new[] { 0, sealedBytes / 2, sealedBytes - 17, sealedBytes - 16, sealedBytes - 1 })
            {
                data.Add(package, at);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FlipPositions))]
    public async Task Open_FlippedByte_FailsOnlyReadsTouchingThatPackage(int package, int byteInPackage)
    {
        using var key = SegmentSamples.Key(2);
        var blob = await SealAsync(key);
        blob[package * S + byteInPackage] ^= 0x01;

        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage: package);
        for (var other = 0; other < Packages; other++)
        {
            if (other != package)
            {
                var start = (long)other * P;
                long count = SealedFormat.PackagePlainLength(Length, other);
                Assert.Equal(s_plain.AsSpan((int)start, (int)count).ToArray(), await SegmentSamples.OpenAsync(blob, key, Length, start, count));
            }
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(0, 2)]
    public async Task Open_SwappedPackages_Fails(int a, int b)
    {
        using var key = SegmentSamples.Key(2);
        var blob = await SealAsync(key);
        var first = blob.AsSpan(a * S, S).ToArray();
        blob.AsSpan(b * S, S).CopyTo(blob.AsSpan(a * S));
        first.CopyTo(blob.AsSpan(b * S));
        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage: a);
    }

    [Fact]
    public async Task Open_LastPackageDropped_Fails()
    {
        using var key = SegmentSamples.Key(2);
        var blob = (await SealAsync(key))[..(3 * S)];
        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage: 3);
        // Also when the declared length is shortened to match: package 2 is not marked final.
        await AssertReadsFailFromAsync(blob, key, 3 * P, damagedPackage: 2);
    }

    [Fact]
    public async Task Open_MiddlePackageDropped_Fails()
    {
        using var key = SegmentSamples.Key(2);
        var sealedBlob = await SealAsync(key);
        var blob = sealedBlob[..S].Concat(sealedBlob[(2 * S)..]).ToArray();
        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage: 1);
        await AssertReadsFailFromAsync(blob, key, 2 * P + 1000, damagedPackage: 1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Open_ExtraPackageAppended_FailsReadsOfTheFinalPackage(int copiedPackage)
    {
        using var key = SegmentSamples.Key(2);
        var sealedBlob = await SealAsync(key);
        var from = copiedPackage * S;
        var sealedBytes = copiedPackage < 3 ? S : 1016;
        var blob = sealedBlob.Concat(sealedBlob[from..(from + sealedBytes)]).ToArray();
        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage: 3);
    }

    [Fact]
    public async Task Open_OneByteAppended_FailsReadsOfTheFinalPackage()
    {
        using var key = SegmentSamples.Key(2);
        var blob = (await SealAsync(key)).Append((byte)0).ToArray();
        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage: 3);
    }

    [Theory]
    [InlineData(2 * S + 100, 2)]
    [InlineData(2 * S + S - 1, 2)]
    [InlineData(3 * S + 1015, 3)]
    [InlineData(3 * S + 16, 3)]
    [InlineData(3 * S + 15, 3)]
    [InlineData(1, 0)]
    [InlineData(0, 0)]
    public async Task Open_TruncatedInsidePackage_Fails(int keepBytes, int damagedPackage)
    {
        using var key = SegmentSamples.Key(2);
        var blob = (await SealAsync(key))[..keepBytes];
        await AssertReadsFailFromAsync(blob, key, Length, damagedPackage);
    }

    [Fact]
    public async Task Open_SegmentOfAnotherPartNumber_Fails()
    {
        // Same data key and salt, another position in the upload: the derived key, nonce and AAD all differ.
        using var part2 = SegmentSamples.Key(2);
        using var part3 = SegmentSamples.Key(3);
        var blob = await SealAsync(part2);
        await AssertReadsFailFromAsync(blob, part3, Length, damagedPackage: 0);
    }

    [Fact]
    public async Task Open_PackageFromAnotherPartOfTheSameUpload_Fails()
    {
        var dataKey = DataKeys.NewPinned();
        using var part1 = SegmentSamples.Key(1, dataKey, DataKeys.NewSalt());
        using var part2 = SegmentSamples.Key(2, dataKey, DataKeys.NewSalt());
        var blob1 = await SealAsync(part1);
        var blob2 = await SealAsync(part2);
        blob2.AsSpan(S, S).CopyTo(blob1.AsSpan(S));
        await AssertReadsFailFromAsync(blob1, part1, Length, damagedPackage: 1);
    }

    [Fact]
    public async Task Open_OtherSaltOrDataKey_Fails()
    {
        using var key = SegmentSamples.Key(2);
        using var otherSalt = SegmentSamples.Key(2, salt: DataKeys.NewSalt());
        using var otherDataKey = SegmentSamples.Key(2, dataKey: DataKeys.NewPinned());
        var blob = await SealAsync(key);
        await AssertReadsFailFromAsync(blob, otherSalt, Length, damagedPackage: 0);
        await AssertReadsFailFromAsync(blob, otherDataKey, Length, damagedPackage: 0);
    }

    [Fact]
    public async Task Open_DataOfAnotherObject_Fails()
    {
        // Two objects of the same length swapped on disk: each one's key meets the other's packages.
        using var keyA = SegmentSamples.Key(0, DataKeys.NewPinned(), DataKeys.NewSalt());
        using var keyB = SegmentSamples.Key(0, DataKeys.NewPinned(), DataKeys.NewSalt());
        var blobB = await SegmentSamples.SealAsync(SegmentSamples.Plaintext(Length, seed: 5), keyB);
        await AssertReadsFailFromAsync(blobB, keyA, Length, damagedPackage: 0);
    }

    [Theory]
    [InlineData(Length - 1, 3)]
    [InlineData(Length + 1, 3)]
    [InlineData(3 * P, 2)]
    [InlineData(4 * P, 3)]
    [InlineData(Length + P, 3)]
    [InlineData(2 * P + 1000, 2)]
    [InlineData(1, 0)]
    [InlineData(0, 0)]
    public async Task Open_DeclaredLengthDiffers_Fails(int declaredLength, int damagedPackage)
    {
        using var key = SegmentSamples.Key(2);
        var blob = await SealAsync(key);
        await AssertReadsFailFromAsync(blob, key, declaredLength, damagedPackage);
    }

    [Fact]
    public async Task Open_EmptySegmentTampered_Fails()
    {
        using var key = SegmentSamples.Key(2);
        var blob = await SegmentSamples.SealAsync([], key);
        blob[5] ^= 0x80;
        var error = await Assert.ThrowsAsync<SegmentIntegrityException>(() => SegmentSamples.OpenAsync(blob, key, 0, 0, 0));
        Assert.Equal(0, error.PackageIndex);
    }

    [Fact]
    public async Task IntegrityError_Message_NamesPartAndPackageButNoKeyBytes()
    {
        var dataKey = SegmentSamples.FixedDataKey();
        using var key = SegmentSamples.Key(7, dataKey);
        var blob = await SealAsync(key);
        blob[2 * S + 3] ^= 0x10;
        var error = await Assert.ThrowsAsync<SegmentIntegrityException>(() => SegmentSamples.OpenAsync(blob, key, Length, 0, Length));
        Assert.Equal(7, error.PartNumber);
        Assert.Equal(2, error.PackageIndex);
        Assert.Contains("part 7", error.Message);
        Assert.Contains("package 2", error.Message);
        var everything = error.ToString();
        foreach (var secret in new[] { key.Bytes.ToArray(), dataKey })
        {
            Assert.DoesNotContain(Convert.ToHexString(secret), everything, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(secret), everything);
        }
    }

    private static Task<byte[]> SealAsync(SegmentKey key) => SegmentSamples.SealAsync(s_plain, key);

    // Reads that touch damagedPackage (whole segment, the package alone, ranges crossing into it, its
    // last byte) all throw, and what reached the destination is verified plaintext before the damage.
    private static async Task AssertReadsFailFromAsync(byte[] blob, SegmentKey key, long declaredLength, int damagedPackage)
    {
        var damageStart = (long)damagedPackage * P;
        var damageEnd = Math.Min(declaredLength, damageStart + P);
        var ranges = new List<(long Offset, long Count)>
        {
            (0, declaredLength),
            (damageStart, damageEnd - damageStart),
            (Math.Max(0, damageEnd - 1), declaredLength == 0 ? 0 : 1),
            (damageStart, declaredLength - damageStart),
        };
        if (damagedPackage > 0)
        {
            ranges.Add((damageStart - 1, Math.Min(2, declaredLength - damageStart + 1)));
            ranges.Add((damageStart - P + 10, declaredLength - (damageStart - P + 10)));
        }
        foreach (var (offset, count) in ranges)
        {
            var destination = new MemoryStream();
            var error = await Assert.ThrowsAsync<SegmentIntegrityException>(() =>
                SegmentOpener.CopyPlaintextAsync(SegmentSamples.OpenAt(blob), key, declaredLength, offset, count, destination, CancellationToken.None));
            Assert.Equal(damagedPackage, error.PackageIndex);
            Assert.Equal(key.PartNumber, error.PartNumber);
            var written = destination.ToArray();
            Assert.True(written.Length <= Math.Max(0, damageStart - offset), $"range ({offset}, {count}) wrote {written.Length} bytes");
            if (written.Length > 0)
            {
                Assert.Equal(s_plain.AsSpan((int)offset, written.Length).ToArray(), written);
            }
        }
    }
}
