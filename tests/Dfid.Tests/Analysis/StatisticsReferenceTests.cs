using Dfid.Analysis.Statistics;

namespace Dfid.Tests.Analysis;

/// <summary>Each statistic against values computed independently in R (Fixtures/analysis/reference.R).</summary>
public class StatisticsReferenceTests
{
    private const double Exact = 1e-9;

    [Fact]
    public void FisherExactTwoSided_MatchesRFisherTest()
    {
        var rows = ReferenceFixtures.Read("fisher.csv");
        Assert.True(rows.Count >= 10);
        foreach (var r in rows)
        {
            var p = HypothesisTests.FisherExactTwoSided(r.Int("a"), r.Int("b"), r.Int("c"), r.Int("d"));
            Assert.True(Math.Abs(p - r.Num("p")) <= Exact, $"table {r["a"]},{r["b"]},{r["c"]},{r["d"]}: {p} vs R {r["p"]}");
        }
    }

    [Fact]
    public void McNemar_ExactAndChiSquare_MatchR()
    {
        foreach (var r in ReferenceFixtures.Read("mcnemar.csv"))
        {
            int b = r.Int("b"), c = r.Int("c");
            var exact = HypothesisTests.McNemarExact(b, c);
            Assert.True(Math.Abs(exact - r.Num("exact")) <= Exact, $"exact b={b} c={c}: {exact} vs R {r["exact"]}");
            var chi = HypothesisTests.McNemarChiSquare(b, c);
            if (double.IsNaN(r.Num("chisq"))) Assert.Null(chi);
            else Assert.True(Math.Abs(chi!.Value - r.Num("chisq")) <= Exact, $"chi2 b={b} c={c}: {chi} vs R {r["chisq"]}");
        }
    }

    [Fact]
    public void HolmAndBenjaminiHochberg_MatchRPAdjust()
    {
        foreach (var family in ReferenceFixtures.Read("padjust.csv").GroupBy(r => r["family"]))
        {
            var p = family.Select(r => r.Num("p")).ToList();
            var holm = PValueAdjustment.Holm(p);
            var bh = PValueAdjustment.BenjaminiHochberg(p);
            var expected = family.ToList();
            for (var i = 0; i < p.Count; i++)
            {
                Assert.True(Math.Abs(holm[i] - expected[i].Num("holm")) <= Exact, $"family {family.Key} #{i} holm {holm[i]} vs {expected[i]["holm"]}");
                Assert.True(Math.Abs(bh[i] - expected[i].Num("bh")) <= Exact, $"family {family.Key} #{i} BH {bh[i]} vs {expected[i]["bh"]}");
            }
        }
    }

    [Fact]
    public void CohensD_PooledSd_MatchesR()
    {
        foreach (var r in ReferenceFixtures.Read("cohens_d.csv"))
        {
            var a = ReferenceFixtures.Group(r["set"], "a");
            var b = ReferenceFixtures.Group(r["set"], "b");
            var d = Descriptive.CohensD(a, b);
            Assert.NotNull(d);
            Assert.True(Math.Abs(d.Value - r.Num("d")) <= Exact, $"{r["set"]}: d {d} vs R {r["d"]}");
            Assert.True(Math.Abs(Descriptive.Mean(a) - Descriptive.Mean(b) - r.Num("delta")) <= Exact);
        }
    }

    [Fact]
    public void CohensD_ZeroSpread_IsNullNotNaN()
    {
        Assert.Null(Descriptive.CohensD([0, 0, 0], [0, 0]));
        Assert.Null(Descriptive.CohensD([1, 1], [1, 1, 1]));
        Assert.Null(Descriptive.CohensD([], [1, 2]));
        // A constant group beside a spread one is fine: the pooled SD is positive.
        Assert.NotNull(Descriptive.CohensD([1, 1, 1], [0, 2]));
    }

    [Theory]
    [InlineData("small")]
    [InlineData("small2")]
    public void PermutationP_MatchesExactEnumerationWithinMonteCarloError(string set)
    {
        var reference = ReferenceFixtures.Read("permutation_exact.csv").Single(r => r["set"] == set);
        var a = ReferenceFixtures.Group(set, "a");
        var b = ReferenceFixtures.Group(set, "b");
        const int draws = 200_000;
        var result = PermutationTest.OneSided(a, b, draws, seed: 11);
        var exact = reference.Num("p_exact");
        var se = Math.Sqrt(exact * (1 - exact) / draws);
        Assert.Equal(reference.Num("observed"), result.Observed, 12);
        Assert.True(Math.Abs(result.PValue - exact) <= 4 * se + 1.0 / draws,
            $"{set}: permutation p {result.PValue} vs exact {exact} (4 SE = {4 * se})");
    }

    [Fact]
    public void PermutationP_IsReproducibleAndIndependentOfWorkers()
    {
        var a = ReferenceFixtures.Group("main", "a");
        var b = ReferenceFixtures.Group("main", "b");
        var one = PermutationTest.OneSided(a, b, 5000, seed: 3, workers: 1);
        var two = PermutationTest.OneSided(a, b, 5000, seed: 3, workers: 2);
        var other = PermutationTest.OneSided(a, b, 5000, seed: 4, workers: 2);
        Assert.Equal(one, two);
        Assert.NotEqual(one.AtLeastAsExtreme, other.AtLeastAsExtreme);
        Assert.Equal((1.0 + one.AtLeastAsExtreme) / 5001, one.PValue, 15);
    }

    [Fact]
    public void PermutationP_AllEqualValues_IsOne()
    {
        var r = PermutationTest.OneSided([0, 0, 0, 0], [0, 0, 0], 1000, 1);
        Assert.Equal(0, r.Observed);
        Assert.Equal(1.0, r.PValue);
    }

    [Fact]
    public void PercentileBootstrap_MatchesRWithinMonteCarloError()
    {
        var a = ReferenceFixtures.Group("main", "a");
        var b = ReferenceFixtures.Group("main", "b");
        var reps = Bootstrap.Stratified(a, b, 40_000, seed: 5);
        var expected = ReferenceFixtures.Read("bootstrap.csv").ToDictionary(r => r["stat"]);
        Check("mean_a", reps.MeanA);
        Check("mean_b", reps.MeanB);
        Check("delta", reps.Difference);
        Check("d", reps.CohensD);

        void Check(string stat, double[] replicates)
        {
            var (lo, hi) = Descriptive.PercentileInterval(replicates, 0.95);
            var r = expected[stat];
            // MC error of a 2.5% quantile ≈ 2.7 SD / sqrt(B): about 0.015 SD for both runs combined; allow 4 times that.
            var tol = 0.06 * r.Num("sd");
            Assert.True(Math.Abs(lo - r.Num("ci_low")) <= tol, $"{stat} low {lo} vs R {r["ci_low"]} (tol {tol})");
            Assert.True(Math.Abs(hi - r.Num("ci_high")) <= tol, $"{stat} high {hi} vs R {r["ci_high"]} (tol {tol})");
        }
    }

    [Fact]
    public void PredictionPoweredMean_MatchesR()
    {
        double[] all = [2, 3, 1, 0, 4, 2, 2, 3, 1, 1, 3, 2];
        int[] labelled = [0, 3, 5, 8, 11];
        double[] human = [1, 0, 2, 1, 2];
        var expected = ReferenceFixtures.Read("ppi.csv").ToDictionary(r => r["quantity"]);
        var ppi = PredictionPoweredInference.Mean(all, labelled.Select(i => all[i]).ToArray(), human);
        Assert.True(Math.Abs(ppi - expected["ppi_mean"].Num("value")) <= Exact);
        Assert.True(Math.Abs(Descriptive.Mean(all) - expected["naive_mean"].Num("value")) <= Exact);
    }

    [Fact]
    public void Quantile_Type7_MatchesHandValues()
    {
        // R: quantile(c(1, 2, 4, 8), c(0.25, 0.5, 0.9), type = 7) = 1.75, 3, 6.8
        double[] x = [1, 2, 4, 8];
        Assert.Equal(1.75, Descriptive.QuantileSorted(x, 0.25), 12);
        Assert.Equal(3, Descriptive.QuantileSorted(x, 0.5), 12);
        Assert.Equal(6.8, Descriptive.QuantileSorted(x, 0.9), 12);
    }
}
