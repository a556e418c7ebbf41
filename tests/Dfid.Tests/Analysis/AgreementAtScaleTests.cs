using Dfid.Analysis;

namespace Dfid.Tests.Analysis;

/// <summary>The confusion-matrix bootstrap behind the instrument agreement gives exactly the values of the general one.</summary>
public class AgreementAtScaleTests
{
    [Theory]
    [InlineData(1, 40, 200)]
    [InlineData(7, 300, 1000)]
    public void BootstrapCiOfConfusion_EqualsBootstrapCiOverDrawResamples_BitForBit(int seed, int groupCount, int resamples)
    {
        var rng = new Random(seed);
        var groups = Enumerable.Range(0, groupCount).Select(_ =>
        {
            var n = 1 + rng.Next(4);
            var r = Enumerable.Range(0, n).Select(_ => rng.Next(5)).ToArray();
            var p = r.Select(x => Math.Clamp(x + rng.Next(3) - 1, 0, 4)).ToArray();
            return (r, p);
        }).ToArray();

        var draws = Agreement.DrawResamples(groups.Length, resamples, new Random(seed * 31));
        var kappa = Agreement.BootstrapCi(groups, (r, p) => Agreement.CohensKappaQuadratic(r, p, 5), draws);
        var alpha = Agreement.BootstrapCi(groups, (r, p) => Agreement.KrippendorffAlphaOrdinal(r, p, 5), draws);
        var fast = Agreement.BootstrapCiOfConfusion(groups, 5, [Agreement.CohensKappaQuadratic, Agreement.KrippendorffAlphaOrdinal], resamples, new Random(seed * 31));

        Assert.Equal(kappa, fast[0]);
        Assert.Equal(alpha, fast[1]);
    }

    [Fact]
    public void BootstrapCiOfConfusion_LabelOutOfRange_IsRefused()
    {
        (int[], int[])[] groups = [([0, 5], [0, 1])];
        Assert.Throws<ArgumentException>(() => Agreement.BootstrapCiOfConfusion(groups, 5, [Agreement.CohensKappaQuadratic], 10, new Random(1)));
    }
}
