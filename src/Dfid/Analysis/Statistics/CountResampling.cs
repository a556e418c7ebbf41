namespace Dfid.Analysis.Statistics;

/// <summary>
/// The bootstrap and permutation tests of large studies, drawn as counts of distinct values instead of unit by unit:
/// the same distributions as <see cref="JointBootstrap"/>, <see cref="JointPermutation"/>, <see cref="Bootstrap"/> and
/// <see cref="PermutationTest"/>, at a cost that grows with the number of distinct per-conversation values (a few dozen:
/// D̄ is a mean of a few whole numbers) rather than with the number of conversations.
/// </summary>
/// <remarks>
/// <para>
/// A bootstrap resample of a stratum of n units draws n units with replacement; what its statistics see is how often
/// each distinct row of values was drawn, and those counts are multinomial (n; size/n per distinct row). A permutation
/// draw takes a uniformly random subset of k units; the counts per distinct value are multivariate hypergeometric. Both
/// are drawn exactly (<see cref="ExactDraws"/>).
/// </para>
/// <para>
/// Endpoints are resampled one by one, each with its own stream, except the columns a statistic combines (the
/// prediction-powered correction adds the instrument's error column to the depth and real-stage columns), which are
/// resampled together: marginal intervals and one-sided p-values only need each endpoint's own distribution. Blocks of
/// draws have their own streams, so the result does not depend on the number of workers. The draws differ from the
/// unit-by-unit methods, so a run analysed by both gives the same numbers only up to Monte Carlo error.
/// </para>
/// </remarks>
internal static class CountResampling
{
    private const int Blocks = 64;
    private const double Tolerance = 1e-9;

    /// <summary>Bootstrap replicates per column of row-major [unit × <paramref name="k"/>] strata; the columns of each of
    /// <paramref name="groups"/> are resampled together (every column must be in exactly one group).</summary>
    public static StratifiedReplicates[] Bootstrap(double[] a, double[] b, int k, IReadOnlyList<int[]> groups, int resamples, long seed, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resamples);
        var reps = new StratifiedReplicates[k];
        for (var e = 0; e < k; e++)
            reps[e] = new StratifiedReplicates(new double[resamples], new double[resamples], new double[resamples], new double[resamples], new double[resamples]);
        for (var g = 0; g < groups.Count; g++)
        {
            var columns = groups[g];
            var sa = Distinct.Of(a, k, columns);
            var sb = Distinct.Of(b, k, columns);
            var groupSeed = Xoshiro256.Derive(seed, g);
            var blockCount = Math.Min(Blocks, resamples);
            PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
            {
                var rng = new Xoshiro256(groupSeed, block);
                var ca = new long[sa.Sizes.Length];
                var cb = new long[sb.Sizes.Length];
                int from = (int)((long)resamples * block / blockCount), to = (int)((long)resamples * (block + 1) / blockCount);
                for (var i = from; i < to; i++)
                {
                    ExactDraws.Multinomial(ref rng, sa.Units, sa.Sizes, sa.Units, ca);
                    ExactDraws.Multinomial(ref rng, sb.Units, sb.Sizes, sb.Units, cb);
                    for (var c = 0; c < columns.Length; c++)
                    {
                        var (ma, ssa, na) = sa.Moments(ca, c);
                        var (mb, ssb, nb) = sb.Moments(cb, c);
                        var r = reps[columns[c]];
                        r.MeanA[i] = ma;
                        r.MeanB[i] = mb;
                        r.Difference[i] = ma - mb;
                        r.CohensD[i] = Descriptive.CohensDFromMoments(ma, ssa, na, mb, ssb, nb) ?? double.NaN;
                        r.PooledMean[i] = na + nb == 0 ? double.NaN : ((na == 0 ? 0 : ma * na) + (nb == 0 ? 0 : mb * nb)) / (na + nb);
                    }
                }
            });
        }
        return reps;
    }

    /// <summary>One-sided p-values of the first <paramref name="columns"/> columns (as <see cref="JointPermutation.OneSided"/>:
    /// null when a stratum has no eligible unit; a draw leaving a group without eligible units counts as extreme).</summary>
    public static double?[] Permutation(double[] a, double[] b, int k, int columns, int draws, long seed, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        int na = a.Length / k, nb = b.Length / k, n = na + nb;
        var pooled = new double[n * k];
        Array.Copy(a, pooled, a.Length);
        Array.Copy(b, 0, pooled, a.Length, b.Length);
        var drawA = na <= nb;
        var kDraw = drawA ? na : nb;
        var result = new double?[columns];
        for (var e = 0; e < columns; e++)
        {
            double totalS = 0, sA = 0;
            long totalC = 0, cA = 0;
            for (var u = 0; u < n; u++)
            {
                var v = pooled[u * k + e];
                if (double.IsNaN(v)) continue;
                totalS += v;
                totalC++;
                if (u < na) { sA += v; cA++; }
            }
            if (cA == 0 || totalC - cA == 0) continue;
            var observed = sA / cA - (totalS - sA) / (totalC - cA);
            var values = Distinct.Of(pooled, k, [e]);
            var columnSeed = Xoshiro256.Derive(seed, e);
            var blockCount = Math.Min(Blocks, draws);
            var hits = new int[blockCount];
            PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
            {
                var rng = new Xoshiro256(columnSeed, block);
                var counts = new long[values.Sizes.Length];
                int from = (int)((long)draws * block / blockCount), to = (int)((long)draws * (block + 1) / blockCount);
                var h = 0;
                for (var d = from; d < to; d++)
                {
                    ExactDraws.MultivariateHypergeometric(ref rng, kDraw, values.Sizes, n, counts);
                    var (s, w) = values.Sum(counts, 0);
                    var rest = totalC - w;
                    if (w == 0 || rest == 0) { h++; continue; }
                    double drawn = s / w, other = (totalS - s) / rest;
                    if ((drawA ? drawn - other : other - drawn) >= observed - Tolerance) h++;
                }
                hits[block] = h;
            });
            result[e] = (1.0 + hits.Sum()) / (1.0 + draws);
        }
        return result;
    }

    /// <summary><see cref="Statistics.Bootstrap.Stratified"/> drawn as counts.</summary>
    public static StratifiedReplicates Stratified(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int resamples, long seed, int workers)
    {
        var r = Bootstrap(a.ToArray(), b.ToArray(), 1, [[0]], resamples, seed, workers)[0];
        // As Stratified: the pooled mean of a resample with an empty group is NaN.
        if (a.IsEmpty || b.IsEmpty) Array.Fill(r.PooledMean, double.NaN);
        return r;
    }

    /// <summary><see cref="PermutationTest.OneSided"/> drawn as counts.</summary>
    public static PermutationResult OneSided(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int draws, long seed, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        if (a.IsEmpty || b.IsEmpty) return new PermutationResult(double.NaN, 1.0, draws, draws);
        var (pooled, observed, drawA, k, threshold) = OneSidedSetup.Of(a, b);
        var n = pooled.Length;
        var values = Distinct.Of(pooled, 1, [0]);
        var blockCount = Math.Min(Blocks, draws);
        var hits = new int[blockCount];
        PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
        {
            var rng = new Xoshiro256(seed, block);
            var counts = new long[values.Sizes.Length];
            int from = (int)((long)draws * block / blockCount), to = (int)((long)draws * (block + 1) / blockCount);
            var h = 0;
            for (var d = from; d < to; d++)
            {
                ExactDraws.MultivariateHypergeometric(ref rng, k, values.Sizes, n, counts);
                var (s, _) = values.Sum(counts, 0);
                if (drawA ? s >= threshold : s <= threshold) h++;
            }
            hits[block] = h;
        });
        return OneSidedSetup.Result(observed, hits.Sum(), draws);
    }

    /// <summary>The distinct rows of some columns of a stratum, with how many units have each (largest first).</summary>
    private sealed class Distinct
    {
        private readonly double[] _rows;   // [distinct row × columns], NaN = not eligible
        private readonly double[] _shift;  // per column, a value of it (for stable sums of squares)

        private Distinct(double[] rows, long[] sizes, int columns, long units, double[] shift)
        {
            _rows = rows;
            Sizes = sizes;
            Columns = columns;
            Units = units;
            _shift = shift;
        }

        public long[] Sizes { get; }

        public int Columns { get; }

        public long Units { get; }

        public static Distinct Of(double[] x, int k, int[] columns)
        {
            var n = x.Length / k;
            var g = columns.Length;
            var counts = new Dictionary<RowKey, long>();
            var key = new double[g];
            for (var u = 0; u < n; u++)
            {
                for (var c = 0; c < g; c++) key[c] = x[u * k + columns[c]];
                var rk = new RowKey(key);
                counts[rk] = counts.TryGetValue(rk, out var m) ? m + 1 : 1;
                if (m == 0) key = new double[g];
            }
            var ordered = counts.OrderByDescending(kv => kv.Value).ToList();
            var rows = new double[ordered.Count * g];
            var sizes = new long[ordered.Count];
            for (var i = 0; i < ordered.Count; i++)
            {
                ordered[i].Key.Values.CopyTo(rows, i * g);
                sizes[i] = ordered[i].Value;
            }
            var shift = new double[g];
            for (var c = 0; c < g; c++)
                for (var i = 0; i < ordered.Count; i++)
                    if (!double.IsNaN(rows[i * g + c])) { shift[c] = rows[i * g + c]; break; }
            return new Distinct(rows, sizes, g, n, shift);
        }

        /// <summary>Sum of column <paramref name="c"/> over the drawn units, and how many of them are eligible.</summary>
        public (double Sum, long Eligible) Sum(long[] counts, int c)
        {
            double s = 0;
            long w = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                var count = counts[i];
                if (count == 0) continue;
                var v = _rows[i * Columns + c];
                if (double.IsNaN(v)) continue;
                s += count * v;
                w += count;
            }
            return (s, w);
        }

        /// <summary>Mean, sum of squared deviations and eligible count of column <paramref name="c"/> over the drawn units.</summary>
        public (double Mean, double SumSq, int Count) Moments(long[] counts, int c)
        {
            double s = 0, ss = 0;
            long w = 0;
            var shift = _shift[c];
            for (var i = 0; i < counts.Length; i++)
            {
                var count = counts[i];
                if (count == 0) continue;
                var v = _rows[i * Columns + c];
                if (double.IsNaN(v)) continue;
                var x = v - shift;
                s += count * x;
                ss += count * x * x;
                w += count;
            }
            if (w == 0) return (double.NaN, double.NaN, 0);
            var m = s / w;
            return (m + shift, Math.Max(0, ss - s * m), (int)w);
        }
    }

    /// <summary>A row of doubles compared bit for bit (all NaNs alike).</summary>
    private readonly struct RowKey(double[] values) : IEquatable<RowKey>
    {
        private readonly int _hash = Hash(values);

        public double[] Values { get; } = values;

        public bool Equals(RowKey other)
        {
            if (_hash != other._hash) return false;
            for (var i = 0; i < Values.Length; i++)
                if (Bits(Values[i]) != Bits(other.Values[i])) return false;
            return true;
        }

        public override bool Equals(object? obj) => obj is RowKey k && Equals(k);

        public override int GetHashCode() => _hash;

        private static long Bits(double v) => double.IsNaN(v) ? long.MinValue : BitConverter.DoubleToInt64Bits(v == 0 ? 0.0 : v);

        private static int Hash(double[] values)
        {
            var h = new HashCode();
            foreach (var v in values) h.Add(Bits(v));
            return h.ToHashCode();
        }
    }
}
