using System.Globalization;
using Dfid.Analysis;

namespace Dfid.Tests.Instrument;

/// <summary>Agreement statistics against values computed independently in R (Fixtures/instrument/agreement_reference.R).</summary>
public sealed class AgreementTests
{
    private const int K = 5;

    private static readonly Dictionary<string, double> Reference = File.ReadAllLines(TestData.Fixture("instrument", "agreement_reference.csv"))
        .Skip(1)
        .Select(l => l.Split(','))
        .ToDictionary(p => p[0], p => double.Parse(p[1].Trim(), CultureInfo.InvariantCulture));

    private static readonly (int Group, int Ref, int Pred)[] Data = File.ReadAllLines(TestData.Fixture("instrument", "agreement_data.csv"))
        .Skip(1)
        .Select(l => l.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray())
        .Select(a => (a[0], a[1], a[2]))
        .ToArray();

    private static int[] Refs => Data.Select(d => d.Ref).ToArray();

    private static int[] Preds => Data.Select(d => d.Pred).ToArray();

    [Fact]
    public void KappaAlphaAccuracy_FixtureData_MatchR()
    {
        Assert.Equal(Reference["n"], Data.Length);
        Assert.Equal(Reference["kappa_quadratic"], Agreement.CohensKappaQuadratic(Refs, Preds, K), 1e-9);
        Assert.Equal(Reference["alpha_ordinal"], Agreement.KrippendorffAlphaOrdinal(Refs, Preds, K), 1e-9);
        Assert.Equal(Reference["accuracy"], Agreement.Accuracy(Refs, Preds), 1e-12);
        Assert.Equal((int)Reference["majority_class"], Agreement.MajorityClass(Refs, K));
    }

    [Fact]
    public void ConfusionAndPerClass_FixtureData_MatchR()
    {
        var m = Agreement.ConfusionMatrix(Refs, Preds, K);
        for (var i = 0; i < K; i++)
            for (var j = 0; j < K; j++)
                Assert.Equal(Reference[$"confusion_{i}_{j}"], m[i, j]);
        var scores = Agreement.PerClass(Refs, Preds, K);
        for (var c = 0; c < K; c++)
        {
            Assert.Equal(Reference[$"precision_{c}"], scores[c].Precision, 1e-12);
            Assert.Equal(Reference[$"recall_{c}"], scores[c].Recall, 1e-12);
        }
    }

    [Fact]
    public void BootstrapCi_SameResamplesAsR_MatchesRQuantiles()
    {
        var groups = Data.GroupBy(d => d.Group).OrderBy(g => g.Key)
            .Select(g => (g.Select(x => x.Ref).ToArray(), g.Select(x => x.Pred).ToArray()))
            .ToArray();
        var resamples = File.ReadAllLines(TestData.Fixture("instrument", "agreement_resamples.csv"))
            .Select(l => l.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
        Assert.Equal(500, resamples.Length);

        var kappa = Agreement.BootstrapCi(groups, (r, p) => Agreement.CohensKappaQuadratic(r, p, K), resamples);
        var alpha = Agreement.BootstrapCi(groups, (r, p) => Agreement.KrippendorffAlphaOrdinal(r, p, K), resamples);

        Assert.Equal(Reference["kappa_quadratic"], kappa.Estimate, 1e-9);
        Assert.Equal(Reference["kappa_ci_lower"], kappa.Lower, 1e-9);
        Assert.Equal(Reference["kappa_ci_upper"], kappa.Upper, 1e-9);
        Assert.Equal(Reference["alpha_ci_lower"], alpha.Lower, 1e-9);
        Assert.Equal(Reference["alpha_ci_upper"], alpha.Upper, 1e-9);
        Assert.Equal(500, kappa.Resamples);
        Assert.Equal(0, kappa.Undefined);
    }

    [Fact]
    public void Kappa_PerfectAgreement_IsOne_AndConstantRaterIsZero()
    {
        int[] r = [0, 1, 2, 3, 4, 2, 2];
        Assert.Equal(1.0, Agreement.CohensKappaQuadratic(r, r, K), 1e-12);
        Assert.Equal(1.0, Agreement.KrippendorffAlphaOrdinal(r, r, K), 1e-12);
        var constant = r.Select(_ => 2).ToArray();
        Assert.Equal(0.0, Agreement.CohensKappaQuadratic(r, constant, K), 1e-12);
    }

    [Fact]
    public void Kappa_HandComputedTwoByTwo()
    {
        // 2x2 table [[20,5],[10,15]]: po = 35/50, pe = (25*30 + 25*20)/2500 = 0.5, kappa = 0.4 (weights are 0/1 for k = 2).
        var r = Enumerable.Repeat(0, 25).Concat(Enumerable.Repeat(1, 25)).ToArray();
        var p = Enumerable.Repeat(0, 20).Concat(Enumerable.Repeat(1, 5)).Concat(Enumerable.Repeat(0, 10)).Concat(Enumerable.Repeat(1, 15)).ToArray();
        Assert.Equal(0.4, Agreement.CohensKappaQuadratic(r, p, 2), 1e-12);
    }

    [Fact]
    public void Degenerate_Inputs_GiveNaNOrThrow()
    {
        Assert.True(double.IsNaN(Agreement.CohensKappaQuadratic([], [], K)));
        Assert.True(double.IsNaN(Agreement.KrippendorffAlphaOrdinal([2, 2], [2, 2], K)));
        Assert.Throws<ArgumentException>(() => Agreement.CohensKappaQuadratic([0, 5], [0, 1], K));
        Assert.Throws<ArgumentException>(() => Agreement.Accuracy([0, 1], [0]));
        Assert.Equal(-1, Agreement.MajorityClass([], K));
    }

    [Fact]
    public void Quantile7_MatchesRDefinition()
    {
        // R: quantile(c(1,2,3,4,10), c(0.025, 0.5, 0.975), type = 7) = 1.1, 3.0, 9.4
        double[] v = [1, 2, 3, 4, 10];
        Assert.Equal(1.1, Agreement.Quantile7(v, 0.025), 1e-12);
        Assert.Equal(3.0, Agreement.Quantile7(v, 0.5), 1e-12);
        Assert.Equal(9.4, Agreement.Quantile7(v, 0.975), 1e-12);
    }
}
