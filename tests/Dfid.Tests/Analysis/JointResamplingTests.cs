using Dfid.Analysis.Statistics;

namespace Dfid.Tests.Analysis;

/// <summary>The shared-draw permutation and bootstrap the full analysis uses, against R's exact enumeration and bootstrap.</summary>
public class JointResamplingTests
{
    private static double[] Interleave(double[] first, double[] second)
    {
        var x = new double[2 * first.Length];
        for (var i = 0; i < first.Length; i++)
        {
            x[2 * i] = first[i];
            x[2 * i + 1] = second[i];
        }
        return x;
    }

    [Fact]
    public void JointPermutation_WithIneligibleUnits_MatchesExactEnumeration()
    {
        var exact = ReferenceFixtures.Read("joint_permutation_exact.csv");
        var second = ReferenceFixtures.Read("groups_second.csv");
        double[] Second(string g) => second.Where(r => r["group"] == g).Select(r => r.Num("value")).ToArray();
        var a = Interleave(ReferenceFixtures.Group("small", "a"), Second("a"));
        var b = Interleave(ReferenceFixtures.Group("small", "b"), Second("b"));
        const int draws = 200_000;
        var p = JointPermutation.OneSided(a, b, 2, draws, seed: 21, workers: 2);
        for (var e = 0; e < 2; e++)
        {
            var pe = exact[e].Num("p_exact");
            var se = Math.Sqrt(pe * (1 - pe) / draws);
            Assert.True(Math.Abs(p[e]!.Value - pe) <= 4 * se + 1.0 / draws, $"endpoint {e}: {p[e]} vs exact {pe}");
        }
        Assert.Equal(p, JointPermutation.OneSided(a, b, 2, draws, seed: 21, workers: 1));
    }

    [Fact]
    public void JointPermutation_EndpointWithoutEligibleUnitsInAStratum_IsNull()
    {
        double[] a = [1, double.NaN, 2, double.NaN];
        double[] b = [0, 1, 1, double.NaN, 0, double.NaN];
        var p = JointPermutation.OneSided(a, b, 2, 1000, 1, 2);
        Assert.NotNull(p[0]);
        Assert.Null(p[1]);
    }

    [Fact]
    public void JointBootstrap_OneColumn_MatchesRPercentileInterval()
    {
        var a = ReferenceFixtures.Group("main", "a");
        var b = ReferenceFixtures.Group("main", "b");
        var reps = JointBootstrap.Run(a, b, 1, 40_000, seed: 8, workers: 2)[0];
        var expected = ReferenceFixtures.Read("bootstrap.csv").ToDictionary(r => r["stat"]);
        foreach (var (stat, values) in new[] { ("delta", reps.Difference), ("d", reps.CohensD), ("mean_a", reps.MeanA) })
        {
            var (lo, hi) = Descriptive.PercentileInterval(values, 0.95);
            var tol = 0.06 * expected[stat].Num("sd");
            Assert.True(Math.Abs(lo - expected[stat].Num("ci_low")) <= tol, $"{stat} low {lo}");
            Assert.True(Math.Abs(hi - expected[stat].Num("ci_high")) <= tol, $"{stat} high {hi}");
        }
    }

    [Fact]
    public void JointBootstrap_ColumnsAreResampledTogether()
    {
        // Column 2 is column 1 doubled: in every resample its mean must be exactly twice column 1's.
        var a = ReferenceFixtures.Group("main", "a");
        var b = ReferenceFixtures.Group("main", "b");
        var reps = JointBootstrap.Run(Interleave(a, a.Select(x => 2 * x).ToArray()), Interleave(b, b.Select(x => 2 * x).ToArray()), 2, 500, 3, 2);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(2 * reps[0].Difference[i], reps[1].Difference[i], 9);
            Assert.Equal(reps[0].CohensD[i], reps[1].CohensD[i], 9);
        }
    }
}
