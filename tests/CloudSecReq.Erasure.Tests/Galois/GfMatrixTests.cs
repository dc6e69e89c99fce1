using CloudSecReq.Erasure.Galois;

namespace CloudSecReq.Erasure.Tests.Galois;

public sealed class GfMatrixTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(4, 2)]
    [InlineData(5, 5)]
    [InlineData(8, 4)]
    [InlineData(10, 4)]
    [InlineData(12, 4)]
    public void SystematicCauchy_EveryKByKSubmatrix_IsInvertible(int k, int m)
    {
        var encoding = GfMatrix.SystematicCauchy(k, m);
        var checkedCount = 0;
        foreach (var rows in Combinations(k + m, k))
        {
            Assert.NotNull(encoding.SelectRows(rows).Invert());
            checkedCount++;
        }
        Assert.True(checkedCount > 0);
    }

    [Theory]
    [InlineData(20, 10)]
    [InlineData(64, 32)]
    [InlineData(128, 128)]
    [InlineData(200, 56)]
    [InlineData(255, 1)]
    public void SystematicCauchy_RandomKByKSubmatrices_AreInvertible(int k, int m)
    {
        var encoding = GfMatrix.SystematicCauchy(k, m);
        var random = new Random(k * 1000 + m);
        var samples = k > 100 ? 3 : 40;
        for (var s = 0; s < samples; s++)
        {
            var rows = Enumerable.Range(0, k + m).OrderBy(_ => random.Next()).Take(k).Order().ToArray();
            var inverse = encoding.SelectRows(rows).Invert();
            Assert.NotNull(inverse);
            var product = encoding.SelectRows(rows).Multiply(inverse);
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    Assert.Equal(i == j ? 1 : 0, product[i, j]);
                }
            }
        }
    }

    [Fact]
    public void Invert_SingularMatrix_ReturnsNull()
    {
        var m = new GfMatrix(2, 2);
        m[0, 0] = 3;
        m[0, 1] = 5;
        m[1, 0] = 3;
        m[1, 1] = 5;
        Assert.Null(m.Invert());
    }

    private static IEnumerable<int[]> Combinations(int n, int r)
    {
        var indexes = Enumerable.Range(0, r).ToArray();
        while (true)
        {
            yield return (int[])indexes.Clone();
            var i = r - 1;
            while (i >= 0 && indexes[i] == n - r + i)
            {
                i--;
            }
            if (i < 0)
            {
                yield break;
            }
            indexes[i]++;
            for (var j = i + 1; j < r; j++)
            {
                indexes[j] = indexes[j - 1] + 1;
            }
        }
    }
}
