namespace Dfid.Analysis.Statistics;

/// <summary>The outcome of a one-sided two-group permutation test.</summary>
/// <param name="Observed">Observed contrast mean(a) − mean(b).</param>
/// <param name="PValue">(1 + #{draws with contrast ≥ observed}) / (1 + draws).</param>
/// <param name="Draws">Number of permutation draws.</param>
/// <param name="AtLeastAsExtreme">Draws whose contrast was ≥ the observed one.</param>
public readonly record struct PermutationResult(double Observed, double PValue, int Draws, int AtLeastAsExtreme);

/// <summary>One-sided permutation test for mean(a) − mean(b) &gt; 0, shuffling group labels across units.</summary>
public static class PermutationTest
{
    private const int Blocks = 64;

    /// <summary>Tests H1: mean(<paramref name="a"/>) &gt; mean(<paramref name="b"/>) by random relabelling.</summary>
    /// <param name="a">Values of group a (here: per-conversation D̄ of the non-converters).</param>
    /// <param name="b">Values of group b (the converters).</param>
    /// <param name="draws">Random permutations.</param>
    /// <param name="seed">Seed; the result depends only on the data, <paramref name="draws"/> and the seed.</param>
    /// <param name="workers">Threads (the result does not depend on it).</param>
    /// <remarks>
    /// With the total fixed, the contrast is monotone in the sum of one group, so each draw only sums a uniformly
    /// random subset of the smaller group's size (partial Fisher–Yates). Draws are split into 64 fixed blocks, each
    /// with its own seeded stream, so any number of workers gives the same answer. Ties with the observed contrast
    /// (up to a rounding tolerance of 1e-10 × Σ|x|) count as at least as extreme.
    /// Returns p = 1 and a NaN contrast when a group is empty.
    /// </remarks>
    public static PermutationResult OneSided(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int draws, long seed, int workers = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        if (a.IsEmpty || b.IsEmpty) return new PermutationResult(double.NaN, 1.0, draws, draws);
        var (pooled, observed, drawA, k, threshold) = OneSidedSetup.Of(a, b);
        var n = pooled.Length;

        var counts = new int[Blocks];
        var blockCount = Math.Min(Blocks, draws);
        RunBlocks(blockCount, workers, n, (block, work) =>
        {
            Array.Copy(pooled, work, n);
            int from = (int)((long)draws * block / blockCount), to = (int)((long)draws * (block + 1) / blockCount);
            counts[block] = CountBlock(work, k, to - from, drawA, threshold, new Xoshiro256(seed, block));
        });
        var extreme = 0;
        foreach (var c in counts) extreme += c;
        return OneSidedSetup.Result(observed, extreme, draws);
    }

    // The hot loop: a static method with everything in locals so the JIT keeps the generator state in registers.
    private static int CountBlock(double[] work, int k, int draws, bool drawA, double threshold, Xoshiro256 rng)
    {
        var n = work.Length;
        var hits = 0;
        for (var d = 0; d < draws; d++)
        {
            double s = 0;
            for (var i = 0; i < k; i++)
            {
                var j = i + (int)rng.NextBelow((uint)(n - i));
                var t = work[j];
                work[j] = work[i];
                work[i] = t;
                s += t;
            }
            if (drawA ? s >= threshold : s <= threshold) hits++;
        }
        return hits;
    }

    /// <summary>Runs blocks 0..count−1 on up to <paramref name="workers"/> threads, each with its own scratch buffer.</summary>
    internal static void RunBlocks(int count, int workers, int scratch, Action<int, double[]> body)
    {
        if (workers <= 1 || count <= 1)
        {
            var work = new double[scratch];
            for (var i = 0; i < count; i++) body(i, work);
            return;
        }
        var next = -1;
        var threads = Math.Min(workers, count);
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            var work = new double[scratch];
            int block;
            while ((block = Interlocked.Increment(ref next)) < count) body(block, work);
        });
    }
}

/// <summary>
/// What a one-sided two-group permutation test of a mean contrast compares every draw with, shared by the unit-by-unit
/// (<see cref="PermutationTest"/>) and the count-based (<see cref="CountResampling"/>) draws.
/// </summary>
/// <remarks>
/// With the total fixed, contrast = sA/na − (S − sA)/nb rises with sA: a draw is at least as extreme when the sum of the
/// smaller group's drawn members is ≥ group a's observed sum (or ≤ group b's), up to a rounding tolerance of 1e-10 × Σ|x|.
/// </remarks>
/// <param name="Pooled">Both groups, a first.</param>
/// <param name="Observed">Mean of a minus mean of b.</param>
/// <param name="DrawA">Whether draws take group a's size (it is the smaller one).</param>
/// <param name="K">Members per draw.</param>
/// <param name="Threshold">The drawn sum that counts as at least as extreme (≥ when <paramref name="DrawA"/>, else ≤).</param>
internal readonly record struct OneSidedSetup(double[] Pooled, double Observed, bool DrawA, int K, double Threshold)
{
    /// <summary>The setup of groups <paramref name="a"/> and <paramref name="b"/> (both non-empty).</summary>
    public static OneSidedSetup Of(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int na = a.Length, nb = b.Length;
        var pooled = new double[na + nb];
        a.CopyTo(pooled);
        b.CopyTo(pooled.AsSpan(na));
        double sumA = 0, sumB = 0, absTotal = 0;
        foreach (var v in a) { sumA += v; absTotal += Math.Abs(v); }
        foreach (var v in b) { sumB += v; absTotal += Math.Abs(v); }
        var tol = 1e-10 * (absTotal + 1);
        var drawA = na <= nb;
        return new OneSidedSetup(pooled, sumA / na - sumB / nb, drawA, drawA ? na : nb, drawA ? sumA - tol : sumB + tol);
    }

    /// <summary>The result from the count of draws at least as extreme (p = (1 + extreme) / (1 + draws)).</summary>
    public static PermutationResult Result(double observed, int extreme, int draws) =>
        new(observed, (1.0 + extreme) / (1.0 + draws), draws, extreme);
}
