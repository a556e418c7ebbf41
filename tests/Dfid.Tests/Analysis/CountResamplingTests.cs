using Dfid.Analysis;
using Dfid.Analysis.Statistics;

namespace Dfid.Tests.Analysis;

/// <summary>
/// The exact binomial and hypergeometric draws against R's probabilities (exact_draws.R), and the count-based bootstrap and
/// permutation tests of large studies against R's exact permutation p-values and bootstrap intervals (reference.R), and
/// against the unit-by-unit methods on a synthetic study.
/// </summary>
public class CountResamplingTests
{
    [Fact]
    public void LogFactorial_MatchesR()
    {
        foreach (var row in ReferenceFixtures.Read("exact_draws_lfact.csv"))
        {
            var n = (long)row.Num("n");
            var expected = row.Num("lfact");
            Assert.True(Math.Abs(ExactDraws.LogFactorial(n) - expected) <= 1e-13 * Math.Max(1, expected), $"ln({n}!) = {ExactDraws.LogFactorial(n)} vs R {expected}");
        }
    }

    public static TheoryData<string> Cases => ["b1", "b2", "b3", "b4", "b5", "h1", "h2", "h3", "h4", "h5"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Draws_FollowRsDistribution_ChiSquare(string name)
    {
        var rows = ReferenceFixtures.Read("exact_draws_pmf.csv").Where(r => r["name"] == name).ToList();
        var kind = rows[0]["kind"];
        var (a, b, c) = ((long)rows[0].Num("a"), rows[0].Num("b"), (long)rows[0].Num("c"));
        var pmf = rows.ToDictionary(r => (long)r.Num("x"), r => r.Num("pmf"));
        const int draws = 200_000;
        var rng = new Xoshiro256(99, name.GetHashCode(StringComparison.Ordinal) & 0xffff);
        var seen = new Dictionary<long, int>();
        for (var i = 0; i < draws; i++)
        {
            var x = kind == "binomial" ? ExactDraws.Binomial(ref rng, a, b) : ExactDraws.Hypergeometric(ref rng, a, (long)b, c);
            seen[x] = seen.GetValueOrDefault(x) + 1;
        }
        // Nothing outside the support R lists (down to 1e-12).
        Assert.All(seen.Keys, x => Assert.True(pmf.ContainsKey(x), $"{name}: drew {x}, which has probability < 1e-12"));
        // Bins of expected count ≥ 20 (tails pooled), chi-square against R's 1 − 1e-6 quantile.
        double chi = 0, expectedTail = 0, observedTail = 0;
        var bins = 0;
        foreach (var (x, p) in pmf.OrderBy(kv => kv.Key))
        {
            var e = p * draws;
            var o = seen.GetValueOrDefault(x);
            if (e < 20) { expectedTail += e; observedTail += o; continue; }
            chi += (o - e) * (o - e) / e;
            bins++;
        }
        if (expectedTail >= 5) { chi += (observedTail - expectedTail) * (observedTail - expectedTail) / expectedTail; bins++; }
        var df = Math.Max(1, bins - 1);
        var critical = ReferenceFixtures.Read("exact_draws_chisq.csv").Single(r => r.Int("df") == df).Num("q");
        Assert.True(chi < critical, $"{name}: chi-square {chi:0.0} on {df} df, critical {critical:0.0}");
        // The mean within 5 standard errors.
        var mean = pmf.Sum(kv => kv.Key * kv.Value);
        var variance = pmf.Sum(kv => (kv.Key - mean) * (kv.Key - mean) * kv.Value);
        var drawnMean = seen.Sum(kv => (double)kv.Key * kv.Value) / draws;
        Assert.True(Math.Abs(drawnMean - mean) <= 5 * Math.Sqrt(variance / draws) + 1e-12, $"{name}: mean {drawnMean} vs {mean}");
    }

    [Fact]
    public void MultinomialAndMultivariateHypergeometric_CountsAddUp_AndDegenerateCasesAreExact()
    {
        var rng = new Xoshiro256(5, 0);
        long[] sizes = [50, 30, 15, 5];
        var counts = new long[4];
        for (var i = 0; i < 1000; i++)
        {
            ExactDraws.Multinomial(ref rng, 100, sizes, 100, counts);
            Assert.Equal(100, counts.Sum());
            ExactDraws.MultivariateHypergeometric(ref rng, 40, sizes, 100, counts);
            Assert.Equal(40, counts.Sum());
            Assert.All(counts.Zip(sizes), z => Assert.InRange(z.First, 0, z.Second));
        }
        ExactDraws.MultivariateHypergeometric(ref rng, 100, sizes, 100, counts);
        Assert.Equal(sizes, counts);
        Assert.Equal(0, ExactDraws.Binomial(ref rng, 10, 0));
        Assert.Equal(10, ExactDraws.Binomial(ref rng, 10, 1));
    }

    [Theory]
    [InlineData("small")]
    [InlineData("small2")]
    public void OneSided_MatchesExactEnumerationWithinMonteCarloError(string set)
    {
        var reference = ReferenceFixtures.Read("permutation_exact.csv").Single(r => r["set"] == set);
        var a = ReferenceFixtures.Group(set, "a");
        var b = ReferenceFixtures.Group(set, "b");
        const int draws = 200_000;
        var result = CountResampling.OneSided(a, b, draws, seed: 11, workers: 2);
        var exact = reference.Num("p_exact");
        var se = Math.Sqrt(exact * (1 - exact) / draws);
        Assert.Equal(reference.Num("observed"), result.Observed, 12);
        Assert.True(Math.Abs(result.PValue - exact) <= 4 * se + 1.0 / draws, $"{set}: p {result.PValue} vs exact {exact} (4 SE = {4 * se})");
        Assert.Equal(result, CountResampling.OneSided(a, b, draws, seed: 11, workers: 1));
    }

    [Fact]
    public void Permutation_WithIneligibleUnits_MatchesExactEnumerationWithinMonteCarloError()
    {
        var exact = ReferenceFixtures.Read("joint_permutation_exact.csv");
        var second = ReferenceFixtures.Read("groups_second.csv");
        double[] Second(string g) => second.Where(r => r["group"] == g).Select(r => r.Num("value")).ToArray();
        var a = Interleave(ReferenceFixtures.Group("small", "a"), Second("a"));
        var b = Interleave(ReferenceFixtures.Group("small", "b"), Second("b"));
        const int draws = 200_000;
        var p = CountResampling.Permutation(a, b, 2, 2, draws, seed: 21, workers: 2);
        for (var e = 0; e < 2; e++)
        {
            var pe = exact[e].Num("p_exact");
            var se = Math.Sqrt(pe * (1 - pe) / draws);
            Assert.True(Math.Abs(p[e]!.Value - pe) <= 4 * se + 1.0 / draws, $"endpoint {e}: {p[e]} vs exact {pe}");
        }
        Assert.Equal(p, CountResampling.Permutation(a, b, 2, 2, draws, seed: 21, workers: 1));
        // An endpoint without eligible units in a stratum is not tested.
        Assert.Null(CountResampling.Permutation([1, double.NaN, 2, double.NaN], [0, 1, 1, double.NaN, 0, double.NaN], 2, 2, 100, 1, 2)[1]);
    }

    [Fact]
    public void Stratified_MatchesRBootstrapIntervals()
    {
        var a = ReferenceFixtures.Group("main", "a");
        var b = ReferenceFixtures.Group("main", "b");
        var reps = CountResampling.Stratified(a, b, 20_000, seed: 5, workers: 2);
        var expected = ReferenceFixtures.Read("bootstrap.csv").ToDictionary(r => r["stat"]);
        foreach (var (stat, values) in new[] { ("delta", reps.Difference), ("d", reps.CohensD), ("mean_a", reps.MeanA), ("mean_b", reps.MeanB) })
        {
            var (lo, hi) = Descriptive.PercentileInterval(values, 0.95);
            var tol = 0.06 * expected[stat].Num("sd");
            Assert.True(Math.Abs(lo - expected[stat].Num("ci_low")) <= tol, $"{stat} low {lo} vs R {expected[stat]["ci_low"]}");
            Assert.True(Math.Abs(hi - expected[stat].Num("ci_high")) <= tol, $"{stat} high {hi} vs R {expected[stat]["ci_high"]}");
        }
    }

    [Fact]
    public void Bootstrap_GroupedColumnsAreResampledTogether_OthersOnTheirOwn()
    {
        var a = ReferenceFixtures.Group("main", "a");
        var b = ReferenceFixtures.Group("main", "b");
        double[] Three(double[] x) => x.SelectMany(v => new[] { v, 2 * v, v }).ToArray();
        var reps = CountResampling.Bootstrap(Three(a), Three(b), 3, [[0, 1], [2]], 500, 3, 2);
        for (var i = 0; i < 500; i++) Assert.Equal(2 * reps[0].Difference[i], reps[1].Difference[i], 9);
        Assert.Contains(Enumerable.Range(0, 500), i => Math.Abs(reps[0].Difference[i] - reps[2].Difference[i]) > 1e-9);
    }

    [Fact]
    public void Analysis_OfALargeStudy_AgreesWithTheUnitByUnitMethodsWithinMonteCarloError()
    {
        var rows = SyntheticProbeTable.Generate(new SyntheticSpec(3000, 900, ["persona"], 0.3, WideStages: true, FailureRate: 0.05,
            HumanLabelRate: 0.2, FullContextRate: 0.8));
        var options = new AnalysisOptions { Permutations = 4000, BootstrapResamples = 4000 };
        var units = DecisionFidelityAnalysis.Analyze(rows, options).Conditions.Single();
        var counts = DecisionFidelityAnalysis.Analyze(rows, options with { CountResamplingFrom = 1 }).Conditions.Single();

        // Point estimates do not depend on resampling.
        Assert.Equal(units.Delta.Value, counts.Delta.Value);
        Assert.Equal(units.CohensD.Value, counts.CohensD.Value);
        // Interval bounds within the Monte Carlo error of 4,000 resamples (a few percent of the interval's width).
        void Close(Estimate x, Estimate y, string what)
        {
            var width = x.CiHigh!.Value - x.CiLow!.Value;
            Assert.True(Math.Abs(x.CiLow.Value - y.CiLow!.Value) <= 0.08 * width, $"{what} lower {x.CiLow} vs {y.CiLow}");
            Assert.True(Math.Abs(x.CiHigh.Value - y.CiHigh!.Value) <= 0.08 * width, $"{what} upper {x.CiHigh} vs {y.CiHigh}");
        }
        Close(units.Delta, counts.Delta, "delta");
        Close(units.CohensD, counts.CohensD, "d");
        Close(units.MarginalBias, counts.MarginalBias, "marginal");
        Close(units.Alternatives.BinaryResistance.Delta, counts.Alternatives.BinaryResistance.Delta, "binary");
        Close(units.ByPosition[1].Delta, counts.ByPosition[1].Delta, "position 2");
        Close(units.PredictionPowered!.DeltaCorrected, counts.PredictionPowered!.DeltaCorrected, "PPI delta");
        Close(units.Hindsight!.Delta, counts.Hindsight!.Delta, "hindsight");
        // p-values within 4 Monte Carlo standard errors.
        foreach (var (x, y) in new[] { (units.PValue, counts.PValue), (units.Alternatives.DeepFunnel.PValue, counts.Alternatives.DeepFunnel.PValue), (units.Hindsight.PValue, counts.Hindsight.PValue) })
        {
            var se = Math.Sqrt(x!.Value * (1 - x.Value) / 4000) + Math.Sqrt(y!.Value * (1 - y.Value) / 4000);
            Assert.True(Math.Abs(x.Value - y.Value) <= 4 * se + 2.0 / 4000, $"p {x} vs {y}");
        }
    }

    private static double[] Interleave(double[] x, double[] y)
    {
        var z = new double[2 * x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            z[2 * i] = x[i];
            z[2 * i + 1] = y[i];
        }
        return z;
    }
}
