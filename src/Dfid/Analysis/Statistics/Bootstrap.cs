namespace Dfid.Analysis.Statistics;

/// <summary>Replicates of a two-stratum bootstrap: per resample the stratum means, their difference, Cohen's d and the pooled mean.</summary>
/// <param name="MeanA">Mean of the resampled group a.</param>
/// <param name="MeanB">Mean of the resampled group b.</param>
/// <param name="Difference">MeanA − MeanB.</param>
/// <param name="CohensD">Cohen's d (pooled SD) of a − b; NaN in resamples where the pooled SD is 0.</param>
/// <param name="PooledMean">Mean over both resampled groups (stratum sizes fixed).</param>
public sealed record StratifiedReplicates(double[] MeanA, double[] MeanB, double[] Difference, double[] CohensD, double[] PooledMean);

/// <summary>Percentile bootstrap resampling units with replacement within each stratum.</summary>
public static class Bootstrap
{
    private const int Blocks = 64;

    /// <summary>Resamples a and b separately (sizes kept) and records means, difference, d and the pooled mean.</summary>
    /// <param name="a">Group a (e.g. per-conversation D̄ of non-converters).</param>
    /// <param name="b">Group b (converters).</param>
    /// <param name="resamples">Number of resamples.</param>
    /// <param name="seed">Seed; the replicates depend only on the data, resamples and the seed.</param>
    /// <param name="workers">Threads (the replicates do not depend on it).</param>
    /// <remarks>An empty group gives NaN replicates for every statistic involving it.</remarks>
    public static StratifiedReplicates Stratified(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int resamples, long seed, int workers = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resamples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        var xa = a.ToArray();
        var xb = b.ToArray();
        var r = new StratifiedReplicates(new double[resamples], new double[resamples], new double[resamples], new double[resamples], new double[resamples]);
        var blockCount = Math.Min(Blocks, resamples);
        PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
        {
            var rng = new Xoshiro256(seed, block);
            int from = (int)((long)resamples * block / blockCount), to = (int)((long)resamples * (block + 1) / blockCount);
            for (var i = from; i < to; i++)
            {
                var (ma, ssa) = Resample(xa, ref rng);
                var (mb, ssb) = Resample(xb, ref rng);
                r.MeanA[i] = ma;
                r.MeanB[i] = mb;
                r.Difference[i] = ma - mb;
                r.CohensD[i] = Descriptive.CohensDFromMoments(ma, ssa, xa.Length, mb, ssb, xb.Length) ?? double.NaN;
                r.PooledMean[i] = (ma * xa.Length + mb * xb.Length) / (xa.Length + xb.Length);
            }
        });
        return r;
    }

    /// <summary>Percentile interval of the mean of one group, resampling its units.</summary>
    /// <remarks>Returns (NaN, NaN) for an empty group.</remarks>
    public static (double Low, double High) MeanInterval(ReadOnlySpan<double> x, int resamples, double level, long seed, int workers = 2)
    {
        if (x.IsEmpty) return (double.NaN, double.NaN);
        var r = Stratified(x, x[..1], resamples, seed, workers);
        return Descriptive.PercentileIntervalInplace(r.MeanA, level);
    }

    // Mean and sum of squared deviations of one resample (shifted sums for numerical stability).
    private static (double Mean, double SumSq) Resample(double[] x, ref Xoshiro256 state)
    {
        var n = x.Length;
        if (n == 0) return (double.NaN, double.NaN);
        var rng = state; // a local copy the JIT can keep in registers
        var shift = x[0];
        double s = 0, ss = 0, s2 = 0, ss2 = 0;
        var un = (uint)n;
        var i = 0;
        // Two indices per generator output and two accumulator chains.
        for (; i + 1 < n; i += 2)
        {
            rng.NextBelow2(un, out var j1, out var j2);
            var v1 = x[j1] - shift;
            var v2 = x[j2] - shift;
            s += v1;
            ss += v1 * v1;
            s2 += v2;
            ss2 += v2 * v2;
        }
        if (i < n)
        {
            var v = x[rng.NextBelow(un)] - shift;
            s += v;
            ss += v * v;
        }
        s += s2;
        ss += ss2;
        state = rng;
        var mean = s / n;
        return (mean + shift, Math.Max(0, ss - s * mean));
    }
}
