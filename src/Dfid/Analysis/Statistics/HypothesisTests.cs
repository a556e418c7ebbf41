namespace Dfid.Analysis.Statistics;

/// <summary>Exact and asymptotic tests on counts, matching R's conventions.</summary>
public static class HypothesisTests
{
    // R's fisher.test/binom.test count outcomes "as or less likely" with this relative tolerance.
    private const double RelErr = 1 + 1e-7;

    /// <summary>Two-sided Fisher exact p for the 2×2 table [[a, b], [c, d]], as R's <c>fisher.test</c>:
    /// the sum of the hypergeometric probabilities not exceeding the observed one (relative tolerance 1e-7).</summary>
    /// <remarks>Returns 1 when a margin is 0 (only one table is possible).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static double FisherExactTwoSided(int a, int b, int c, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(a);
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        // x = a ~ Hypergeometric(m = a + c white, n = b + d black, k = a + b drawn).
        int m = a + c, n = b + d, k = a + b;
        int lo = Math.Max(0, k - n), hi = Math.Min(k, m);
        if (lo == hi) return 1.0;
        // Probabilities up to a common factor by the ratio recurrence from the mode, then normalised (as R does).
        var len = hi - lo + 1;
        Span<double> w = len <= 4096 ? stackalloc double[len] : new double[len];
        var mode = (int)Math.Floor((k + 1.0) * (m + 1.0) / (m + n + 2.0));
        mode = Math.Clamp(mode, lo, hi);
        w[mode - lo] = 1.0;
        for (var x = mode; x < hi; x++)
            w[x + 1 - lo] = w[x - lo] * ((double)(m - x) * (k - x)) / ((double)(x + 1) * (n - k + x + 1));
        for (var x = mode; x > lo; x--)
            w[x - 1 - lo] = w[x - lo] * ((double)x * (n - k + x)) / ((double)(m - x + 1) * (k - x + 1));
        double total = 0;
        foreach (var v in w) total += v;
        var observed = w[a - lo] * RelErr;
        double p = 0;
        foreach (var v in w)
            if (v <= observed) p += v;
        return Math.Min(1.0, p / total);
    }

    /// <summary>Two-sided exact binomial p for success probability 1/2, as R's <c>binom.test(x, n, 0.5)</c>.</summary>
    /// <remarks>Returns 1 when n = 0.</remarks>
    public static double BinomialTwoSidedHalf(int x, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(x, n);
        if (n == 0 || 2 * x == n) return 1.0;
        // Symmetric null: the outcomes as or less likely than x are the two tails beyond min(x, n − x).
        var tail = BinomialHalfLowerTail(Math.Min(x, n - x), n);
        return Math.Min(1.0, 2 * tail);
    }

    /// <summary>Exact two-sided McNemar p: the binomial test on the discordant pairs
    /// (<paramref name="b"/> = yes→no, <paramref name="c"/> = no→yes), as R's <c>binom.test(b, b + c)</c>.</summary>
    /// <remarks>Returns 1 when there are no discordant pairs.</remarks>
    public static double McNemarExact(int b, int c) => BinomialTwoSidedHalf(b, b + c);

    /// <summary>McNemar χ² p with continuity correction, as R's <c>mcnemar.test(correct = TRUE)</c>:
    /// (|b − c| − 1)² / (b + c) on 1 degree of freedom (0 when b = c).</summary>
    /// <remarks>Returns null when b + c = 0 (R gives NaN).</remarks>
    public static double? McNemarChiSquare(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        if (b + c == 0) return null;
        // R applies the correction only when the table is asymmetric (b ≠ c); with b = c the statistic is 0.
        var diff = b == c ? 0.0 : Math.Abs(b - c) - 1.0;
        var stat = diff * diff / (b + c);
        // P(χ²₁ > s) = erfc(sqrt(s / 2)).
        return MathNet.Numerics.SpecialFunctions.Erfc(Math.Sqrt(stat / 2));
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, 1/2).</summary>
    private static double BinomialHalfLowerTail(int k, int n)
    {
        // Terms from k downward by the ratio C(n, i−1)/C(n, i) = i / (n − i + 1), anchored at log C(n, k) − n log 2.
        var logTop = MathNet.Numerics.SpecialFunctions.FactorialLn(n)
            - MathNet.Numerics.SpecialFunctions.FactorialLn(k)
            - MathNet.Numerics.SpecialFunctions.FactorialLn(n - k)
            - n * Math.Log(2);
        double term = 1, sum = 1;
        for (var i = k; i > 0; i--)
        {
            term *= i / (double)(n - i + 1);
            sum += term;
            if (term < 1e-18 * sum) break;
        }
        return Math.Exp(logTop) * sum;
    }
}
