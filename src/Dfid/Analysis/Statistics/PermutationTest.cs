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
        int na = a.Length, nb = b.Length, n = na + nb;
        var pooled = new double[n];
        a.CopyTo(pooled);
        b.CopyTo(pooled.AsSpan(na));
        double sumA = 0, sumB = 0, absTotal = 0;
        foreach (var v in a) { sumA += v; absTotal += Math.Abs(v); }
        foreach (var v in b) { sumB += v; absTotal += Math.Abs(v); }
        var observed = sumA / na - sumB / nb;
        var tol = 1e-10 * (absTotal + 1);
        // contrast = sA/na − (S − sA)/nb rises with sA: count draws of group a's sum ≥ observed (or of b's sum ≤ observed).
        var drawA = na <= nb;
        var k = drawA ? na : nb;
        var threshold = drawA ? sumA - tol : sumB + tol;

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
        return new PermutationResult(observed, (1.0 + extreme) / (1.0 + draws), draws, extreme);
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
