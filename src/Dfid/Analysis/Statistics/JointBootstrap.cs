namespace Dfid.Analysis.Statistics;

/// <summary>One bootstrap of conversations within strata serving several per-conversation endpoints at once.</summary>
/// <remarks>
/// Each unit carries K values (NaN = not eligible for that endpoint). Every resample draws the units of each
/// stratum once, with replacement, and each endpoint's statistic is computed on the eligible units of that
/// resample, so endpoints with exclusions see a random stratum size, exactly as their estimator would on a
/// resampled study. Drawing indices once for all endpoints is what makes a full analysis fast.
/// </remarks>
internal static class JointBootstrap
{
    private const int Blocks = 64;

    /// <summary>Replicates per endpoint; <paramref name="a"/> and <paramref name="b"/> are row-major [unit × K].</summary>
    public static StratifiedReplicates[] Run(double[] a, double[] b, int k, int resamples, long seed, int workers)
    {
        var na = a.Length / k;
        var nb = b.Length / k;
        var reps = new StratifiedReplicates[k];
        for (var e = 0; e < k; e++)
            reps[e] = new StratifiedReplicates(new double[resamples], new double[resamples], new double[resamples], new double[resamples], new double[resamples]);
        var shiftA = Shifts(a, k);
        var shiftB = Shifts(b, k);
        var blockCount = Math.Min(Blocks, resamples);
        PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
        {
            var rng = new Xoshiro256(seed, block);
            var accA = new double[3 * k];
            var accB = new double[3 * k];
            int from = (int)((long)resamples * block / blockCount), to = (int)((long)resamples * (block + 1) / blockCount);
            for (var i = from; i < to; i++)
            {
                Accumulate(a, na, k, shiftA, accA, ref rng);
                Accumulate(b, nb, k, shiftB, accB, ref rng);
                for (var e = 0; e < k; e++)
                {
                    var (ma, ssa, ca) = Moments(accA, e, shiftA[e]);
                    var (mb, ssb, cb) = Moments(accB, e, shiftB[e]);
                    var r = reps[e];
                    r.MeanA[i] = ma;
                    r.MeanB[i] = mb;
                    r.Difference[i] = ma - mb;
                    r.CohensD[i] = Descriptive.CohensDFromMoments(ma, ssa, ca, mb, ssb, cb) ?? double.NaN;
                    r.PooledMean[i] = ca + cb == 0 ? double.NaN : ((ca == 0 ? 0 : ma * ca) + (cb == 0 ? 0 : mb * cb)) / (ca + cb);
                }
            }
        });
        return reps;
    }

    private static double[] Shifts(double[] x, int k)
    {
        var shift = new double[k];
        for (var e = 0; e < k; e++)
            for (var u = e; u < x.Length; u += k)
                if (!double.IsNaN(x[u])) { shift[e] = x[u]; break; }
        return shift;
    }

    // acc holds per endpoint: shifted sum, shifted sum of squares, count.
    private static void Accumulate(double[] x, int n, int k, double[] shift, double[] acc, ref Xoshiro256 state)
    {
        Array.Clear(acc);
        if (n == 0) return;
        var rng = state;
        for (var i = 0; i < n; i++)
        {
            var row = (int)rng.NextBelow((uint)n) * k;
            for (var e = 0; e < k; e++)
            {
                var v = x[row + e];
                if (double.IsNaN(v)) continue;
                v -= shift[e];
                acc[3 * e] += v;
                acc[3 * e + 1] += v * v;
                acc[3 * e + 2] += 1;
            }
        }
        state = rng;
    }

    private static (double Mean, double SumSq, int Count) Moments(double[] acc, int e, double shift)
    {
        var c = (int)acc[3 * e + 2];
        if (c == 0) return (double.NaN, double.NaN, 0);
        var s = acc[3 * e];
        var m = s / c;
        return (m + shift, Math.Max(0, acc[3 * e + 1] - s * m), c);
    }
}
