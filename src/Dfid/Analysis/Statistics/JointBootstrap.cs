using System.Numerics;
using System.Runtime.InteropServices;

namespace Dfid.Analysis.Statistics;

/// <summary>One bootstrap of conversations within strata serving several per-conversation endpoints at once.</summary>
/// <remarks>
/// Each unit carries K values (NaN = not eligible for that endpoint). Every resample draws the units of each
/// stratum once, with replacement, and each endpoint's statistic is computed on the eligible units of that
/// resample, so endpoints with exclusions see a random stratum size, exactly as their estimator would on a
/// resampled study. Drawing indices once for all endpoints is what makes a full analysis fast; the inner loop
/// is branch-free and vectorised (values stored shifted and multiplied by an eligibility weight of 0 or 1).
/// </remarks>
internal static class JointBootstrap
{
    private const int Blocks = 64;

    /// <summary>Replicates per endpoint; <paramref name="a"/> and <paramref name="b"/> are row-major [unit × K].</summary>
    public static StratifiedReplicates[] Run(double[] a, double[] b, int k, int resamples, long seed, int workers)
    {
        var reps = new StratifiedReplicates[k];
        for (var e = 0; e < k; e++)
            reps[e] = new StratifiedReplicates(new double[resamples], new double[resamples], new double[resamples], new double[resamples], new double[resamples]);
        var sa = new Stratum(a, k);
        var sb = new Stratum(b, k);
        var blockCount = Math.Min(Blocks, resamples);
        PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
        {
            var rng = new Xoshiro256(seed, block);
            var accA = new double[3 * sa.Width];
            var accB = new double[3 * sb.Width];
            int from = (int)((long)resamples * block / blockCount), to = (int)((long)resamples * (block + 1) / blockCount);
            for (var i = from; i < to; i++)
            {
                sa.Accumulate(accA, ref rng);
                sb.Accumulate(accB, ref rng);
                for (var e = 0; e < k; e++)
                {
                    var (ma, ssa, ca) = sa.Moments(accA, e);
                    var (mb, ssb, cb) = sb.Moments(accB, e);
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

    /// <summary>One stratum's units, padded to whole vectors: shifted values × weight, and weights.</summary>
    private sealed class Stratum
    {
        private readonly double[] _values;
        private readonly double[] _weights;
        private readonly double[] _shift;
        private readonly int _n;

        public Stratum(double[] x, int k)
        {
            var lanes = Vector<double>.Count;
            Width = (k + lanes - 1) / lanes * lanes;
            _n = x.Length / k;
            _shift = new double[Width];
            for (var e = 0; e < k; e++)
                for (var u = 0; u < _n; u++)
                    if (!double.IsNaN(x[u * k + e])) { _shift[e] = x[u * k + e]; break; }
            _values = new double[_n * Width];
            _weights = new double[_n * Width];
            for (var u = 0; u < _n; u++)
                for (var e = 0; e < k; e++)
                {
                    var v = x[u * k + e];
                    if (double.IsNaN(v)) continue;
                    _values[u * Width + e] = v - _shift[e];
                    _weights[u * Width + e] = 1;
                }
        }

        public int Width { get; }

        // acc = [sum (Width) | sum of squares (Width) | count (Width)], all shifted. Accumulators live in locals
        // (one, two or three vectors cover up to 12 endpoints on AVX2) so the loop carries no memory dependency.
        public void Accumulate(double[] acc, ref Xoshiro256 state)
        {
            Array.Clear(acc);
            if (_n == 0) return;
            var rng = state;
            var lanes = Vector<double>.Count;
            var vectors = Width / lanes;
            ref var values = ref MemoryMarshal.GetArrayDataReference(_values);
            ref var weights = ref MemoryMarshal.GetArrayDataReference(_weights);
            var un = (uint)_n;
            var width = (nuint)Width;
            var l = (nuint)lanes;
            Vector<double> s0 = default, s1 = default, s2 = default, q0 = default, q1 = default, q2 = default, c0 = default, c1 = default, c2 = default;
            if (vectors <= 3)
            {
                for (var i = 0; i < _n; i++)
                {
                    var row = rng.NextBelow(un) * width;
                    var x = Vector.LoadUnsafe(ref values, row);
                    s0 += x;
                    q0 += x * x;
                    c0 += Vector.LoadUnsafe(ref weights, row);
                    if (vectors > 1)
                    {
                        x = Vector.LoadUnsafe(ref values, row + l);
                        s1 += x;
                        q1 += x * x;
                        c1 += Vector.LoadUnsafe(ref weights, row + l);
                    }
                    if (vectors > 2)
                    {
                        x = Vector.LoadUnsafe(ref values, row + 2 * l);
                        s2 += x;
                        q2 += x * x;
                        c2 += Vector.LoadUnsafe(ref weights, row + 2 * l);
                    }
                }
                Store(acc, 0, s0, q0, c0);
                if (vectors > 1) Store(acc, 1, s1, q1, c1);
                if (vectors > 2) Store(acc, 2, s2, q2, c2);
            }
            else
            {
                // Many endpoints (many positions): plain scalar loop.
                for (var i = 0; i < _n; i++)
                {
                    var row = (int)rng.NextBelow(un) * Width;
                    for (var e = 0; e < Width; e++)
                    {
                        var x = _values[row + e];
                        acc[e] += x;
                        acc[Width + e] += x * x;
                        acc[2 * Width + e] += _weights[row + e];
                    }
                }
            }
            state = rng;
        }

        private void Store(double[] acc, int v, Vector<double> s, Vector<double> q, Vector<double> c)
        {
            var lanes = Vector<double>.Count;
            s.CopyTo(acc, v * lanes);
            q.CopyTo(acc, Width + v * lanes);
            c.CopyTo(acc, 2 * Width + v * lanes);
        }

        public (double Mean, double SumSq, int Count) Moments(double[] acc, int e)
        {
            var c = (int)acc[2 * Width + e];
            if (c == 0) return (double.NaN, double.NaN, 0);
            var s = acc[e];
            var m = s / c;
            return (m + _shift[e], Math.Max(0, acc[Width + e] - s * m), c);
        }
    }
}
