namespace Dfid.Analysis.Statistics;

/// <summary>
/// Exact draws from the binomial and hypergeometric distributions, by inversion starting at the mode: the probability of
/// the mode comes from log-factorials, the others from the ratio of neighbouring probabilities, visited outwards from
/// the mode until the uniform draw is covered. Expected work is of the order of the standard deviation, not of n.
/// </summary>
/// <remarks>
/// Inversion in any fixed order of the outcomes is exact; here the order is mode, mode−1, mode+1, mode−2, … . A uniform
/// that the summed probabilities (short of 1 by rounding, ~1e-10 at most) do not reach is drawn again.
/// </remarks>
internal static class ExactDraws
{
    private const int TableSize = 1024;
    private static readonly double[] LogFactorialTable = BuildTable();

    /// <summary>ln(n!) for n ≥ 0: a table below 1,024, Stirling's series above (error below 1e-16 relative there).</summary>
    public static double LogFactorial(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n < TableSize) return LogFactorialTable[n];
        var x = (double)n + 1;
        var inv = 1 / x;
        var inv2 = inv * inv;
        // ln Γ(x) = (x − ½) ln x − x + ½ ln 2π + 1/(12x) − 1/(360x³) + 1/(1260x⁵) − 1/(1680x⁷).
        return (x - 0.5) * Math.Log(x) - x + 0.91893853320467274178 + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)));
    }

    /// <summary>A draw from Binomial(<paramref name="n"/>, <paramref name="p"/>).</summary>
    public static long Binomial(ref Xoshiro256 rng, long n, double p)
    {
        if (n <= 0 || p <= 0) return 0;
        if (p >= 1) return n;
        var q = 1 - p;
        var mode = Math.Min(n, (long)Math.Floor((n + 1) * p));
        var logPmf = LogFactorial(n) - LogFactorial(mode) - LogFactorial(n - mode) + mode * Math.Log(p) + (n - mode) * double.LogP1(-p);
        var pmfMode = Math.Exp(logPmf);
        var odds = p / q;
        while (true)
        {
            var u = rng.NextDouble();
            var total = pmfMode;
            if (u < total) return mode;
            // Walk down (k → k−1: × k/((n−k+1)·odds)) and up (k → k+1: × (n−k)/(k+1)·odds) alternately.
            long lo = mode, hi = mode;
            double pLo = pmfMode, pHi = pmfMode;
            while (lo > 0 || hi < n)
            {
                if (lo > 0)
                {
                    pLo *= lo / ((n - lo + 1) * odds);
                    lo--;
                    total += pLo;
                    if (u < total) return lo;
                }
                if (hi < n)
                {
                    pHi *= (n - hi) / (hi + 1.0) * odds;
                    hi++;
                    total += pHi;
                    if (u < total) return hi;
                }
                if (pLo == 0 && pHi == 0) break;
            }
        }
    }

    /// <summary>
    /// A draw from the hypergeometric distribution: successes among <paramref name="draws"/> taken without replacement from
    /// <paramref name="population"/> items of which <paramref name="successes"/> are successes.
    /// </summary>
    public static long Hypergeometric(ref Xoshiro256 rng, long population, long successes, long draws)
    {
        long failures = population - successes;
        long min = Math.Max(0, draws - failures), max = Math.Min(draws, successes);
        if (min >= max) return min;
        var mode = Math.Clamp((long)Math.Floor((draws + 1.0) * (successes + 1.0) / (population + 2.0)), min, max);
        var logPmf = LogFactorial(successes) - LogFactorial(mode) - LogFactorial(successes - mode)
            + LogFactorial(failures) - LogFactorial(draws - mode) - LogFactorial(failures - draws + mode)
            - LogFactorial(population) + LogFactorial(draws) + LogFactorial(population - draws);
        var pmfMode = Math.Exp(logPmf);
        while (true)
        {
            var u = rng.NextDouble();
            var total = pmfMode;
            if (u < total) return mode;
            long lo = mode, hi = mode;
            double pLo = pmfMode, pHi = pmfMode;
            while (lo > min || hi < max)
            {
                if (lo > min)
                {
                    // p(k−1)/p(k) = k (failures − draws + k) / ((successes − k + 1)(draws − k + 1)).
                    pLo *= (double)lo * (failures - draws + lo) / ((double)(successes - lo + 1) * (draws - lo + 1));
                    lo--;
                    total += pLo;
                    if (u < total) return lo;
                }
                if (hi < max)
                {
                    // p(k+1)/p(k) = (successes − k)(draws − k) / ((k + 1)(failures − draws + k + 1)).
                    pHi *= (double)(successes - hi) * (draws - hi) / ((hi + 1.0) * (failures - draws + hi + 1));
                    hi++;
                    total += pHi;
                    if (u < total) return hi;
                }
                if (pLo == 0 && pHi == 0) break;
            }
        }
    }

    /// <summary>Counts of a uniform draw with replacement of <paramref name="n"/> items from categories of the given sizes
    /// (a multinomial with probabilities size/total), by conditional binomials.</summary>
    public static void Multinomial(ref Xoshiro256 rng, long n, ReadOnlySpan<long> sizes, long total, Span<long> counts)
    {
        for (var i = 0; i < sizes.Length; i++)
        {
            if (n == 0 || total <= 0) { counts[i] = 0; continue; }
            var c = sizes[i] >= total ? n : Binomial(ref rng, n, (double)sizes[i] / total);
            counts[i] = c;
            n -= c;
            total -= sizes[i];
        }
    }

    /// <summary>Counts of a uniform draw without replacement of <paramref name="n"/> items from categories of the given sizes
    /// (a multivariate hypergeometric), by conditional hypergeometric draws.</summary>
    public static void MultivariateHypergeometric(ref Xoshiro256 rng, long n, ReadOnlySpan<long> sizes, long total, Span<long> counts)
    {
        for (var i = 0; i < sizes.Length; i++)
        {
            if (n == 0) { counts[i] = 0; continue; }
            var c = sizes[i] >= total ? n : Hypergeometric(ref rng, total, sizes[i], n);
            counts[i] = c;
            n -= c;
            total -= sizes[i];
        }
    }

    private static double[] BuildTable()
    {
        var t = new double[TableSize];
        for (var i = 2; i < TableSize; i++) t[i] = t[i - 1] + Math.Log(i);
        return t;
    }
}
