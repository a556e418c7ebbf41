using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dfid.Instrument.Learned;

/// <summary>
/// Multinomial logistic regression (softmax) with L2 on rows with a dense and a sparse block (<see cref="FeatureRows"/>),
/// trained by L-BFGS on the full batch. Deterministic, also across machines: zero start,
/// fixed chunking of the data, chunk gradients summed in order, sparse gradients summed column by column in row order,
/// and dot products taken over fixed 4-lane vectors (<see cref="Vector256{T}"/>, separate multiply and add) whatever
/// the CPU's vector width.
/// </summary>
internal static class SoftmaxRegression
{
    private const int Chunks = 8;

    /// <summary>Logits to probabilities, in place.</summary>
    internal static void Softmax(Span<double> p)
    {
        var max = double.NegativeInfinity;
        foreach (var v in p) max = Math.Max(max, v);
        double z = 0;
        for (var c = 0; c < p.Length; c++) { p[c] = Math.Exp(p[c] - max); z += p[c]; }
        for (var c = 0; c < p.Length; c++) p[c] /= z;
    }

    /// <summary>Length of a mixed model's weights: <c>[dense class-major (classes × dense) | biases (classes) | sparse
    /// feature-major (sparse × classes)]</c>. Feature-major sparse weights put a feature's class weights side by side,
    /// which is how a row's few non-zeros read and write them.</summary>
    public static int Length(int denseDims, int sparseDims, int classes) => classes * (denseDims + 1 + sparseDims);

    /// <summary>
    /// Trains from zero weights. <paramref name="l2Dense"/> and <paramref name="l2Sparse"/> penalise the two blocks
    /// (biases are free); <paramref name="sampleWeights"/> weigh the rows (null = all 1).
    /// </summary>
    public static double[] Train(FeatureRows x, int[] y, int classes, double l2Dense, double l2Sparse, int maxIterations,
        double[]? sampleWeights = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count != y.Length) throw new ArgumentException("features and labels differ in length.");
        if (x.Count == 0) throw new ArgumentException("no training examples.");
        var w = new double[Length(x.DenseDims, x.SparseDims, classes)];
        var weights = sampleWeights ?? Enumerable.Repeat(1.0, y.Length).ToArray();
        var total = weights.Sum();
        var loss = new Loss(x, y, weights, total, classes, l2Dense, l2Sparse);
        Lbfgs.Minimise(loss.Evaluate, w, maxIterations, cancellationToken);
        return w;
    }

    /// <summary>Class logits of one row, with the weights as stored (float; the dense products in float, as in training).</summary>
    public static void Logits(ReadOnlySpan<float> w, ReadOnlySpan<float> dense, ReadOnlySpan<int> index,
        ReadOnlySpan<double> value, int classes, Span<double> logits)
    {
        var d = dense.Length;
        var bias = w.Slice(classes * d, classes);
        var sparse = w[(classes * (d + 1))..];
        for (var c = 0; c < classes; c++) logits[c] = bias[c] + DotS(w.Slice(c * d, d), dense);
        for (var k = 0; k < index.Length; k++)
        {
            var wj = sparse.Slice(index[k] * classes, classes);
            for (var c = 0; c < classes; c++) logits[c] += wj[c] * value[k];
        }
    }

    /// <summary>Class probabilities of one row; the weights are rounded to float first, as a stored model's are.</summary>
    public static void Probabilities(ReadOnlySpan<double> w, ReadOnlySpan<float> dense, ReadOnlySpan<int> index,
        ReadOnlySpan<double> value, int classes, Span<double> p)
    {
        var wf = new float[w.Length];
        for (var j = 0; j < w.Length; j++) wf[j] = (float)w[j];
        Logits(wf, dense, index, value, classes, p);
        Softmax(p[..classes]);
    }

    /// <summary>The weighted mean log loss plus the two L2 terms, and its gradient; buffers are reused across calls.</summary>
    private sealed class Loss
    {
        private readonly FeatureRows _x;
        private readonly int[] _y;
        private readonly double[] _sw;
        private readonly double _total;
        private readonly int _classes;
        private readonly double _l2Dense;
        private readonly double _l2Sparse;
        private readonly double[] _residual;
        private readonly float[][] _chunkGrad;
        private readonly double[][] _chunkBias;
        private readonly float[] _denseWeights;
        private readonly double[] _chunkLoss = new double[Chunks];
        // The sparse block transposed (compressed columns, rows ascending within a column) for the gradient.
        private readonly int[] _colStart;
        private readonly int[] _colRow;
        private readonly double[] _colValue;

        public Loss(FeatureRows x, int[] y, double[] sw, double total, int classes, double l2Dense, double l2Sparse)
        {
            (_x, _y, _sw, _total, _classes, _l2Dense, _l2Sparse) = (x, y, sw, total, classes, l2Dense, l2Sparse);
            _residual = new double[x.Count * classes];
            _chunkGrad = Enumerable.Range(0, Chunks).Select(_ => new float[classes * x.DenseDims]).ToArray();
            _chunkBias = Enumerable.Range(0, Chunks).Select(_ => new double[classes]).ToArray();
            _denseWeights = new float[classes * x.DenseDims];
            _colStart = new int[x.SparseDims + 1];
            foreach (var j in x.Index) _colStart[j + 1]++;
            for (var j = 0; j < x.SparseDims; j++) _colStart[j + 1] += _colStart[j];
            _colRow = new int[x.Index.Length];
            _colValue = new double[x.Index.Length];
            var fill = (int[])_colStart.Clone();
            for (var i = 0; i < x.Count; i++)
                for (var k = x.RowStart[i]; k < x.RowStart[i + 1]; k++)
                {
                    var at = fill[x.Index[k]]++;
                    _colRow[at] = i;
                    _colValue[at] = x.Value[k];
                }
        }

        public double Evaluate(double[] w, double[] grad)
        {
            var d = _x.DenseDims;
            var classes = _classes;
            var n = _x.Count;
            var biasAt = classes * d;
            var sparseAt = classes * (d + 1);
            // The dense products run in float, eight lanes (the features are float; sums of ~1,000 terms lose ~1e-6).
            for (var j = 0; j < biasAt; j++) _denseWeights[j] = (float)w[j];
            var wd = _denseWeights;
            Parallel.For(0, Chunks, k =>
            {
                var g = _chunkGrad[k];
                var gb = _chunkBias[k];
                Array.Clear(g);
                Array.Clear(gb);
                Span<double> logits = stackalloc double[4];
                Span<float> rf = stackalloc float[4];
                var p = new double[4 * classes];
                var residual = new double[4 * classes];
                var sparse = w.AsSpan(sparseAt);
                double loss = 0;
                var from = (int)((long)n * k / Chunks);
                var to = (int)((long)n * (k + 1) / Chunks);
                for (var i = from; i < to; i += 4)
                {
                    var m = Math.Min(4, to - i);
                    var x0 = _x.DenseRow(i);
                    var x1 = m > 1 ? _x.DenseRow(i + 1) : x0;
                    var x2 = m > 2 ? _x.DenseRow(i + 2) : x0;
                    var x3 = m > 3 ? _x.DenseRow(i + 3) : x0;
                    for (var c = 0; c < classes; c++)
                    {
                        Dot4S(wd.AsSpan(c * d, d), x0, x1, x2, x3, logits);
                        for (var r = 0; r < m; r++) p[r * classes + c] = w[biasAt + c] + logits[r];
                    }
                    for (var r = 0; r < m; r++)
                    {
                        var pr = p.AsSpan(r * classes, classes);
                        var idx = _x.SparseIndex(i + r);
                        var val = _x.SparseValue(i + r);
                        for (var q = 0; q < idx.Length; q++)
                        {
                            var wj = sparse.Slice(idx[q] * classes, classes);
                            var v = val[q];
                            for (var c = 0; c < classes; c++) pr[c] += wj[c] * v;
                        }
                    }
                    for (var r = 0; r < 4; r++)
                    {
                        if (r >= m)
                        {
                            for (var c = 0; c < classes; c++) residual[c * 4 + r] = 0;
                            continue;
                        }
                        var pr = p.AsSpan(r * classes, classes);
                        Softmax(pr);
                        var yi = _y[i + r];
                        var s = _sw[i + r];
                        loss -= s * Math.Log(Math.Max(pr[yi], 1e-300));
                        for (var c = 0; c < classes; c++)
                        {
                            var v = s * (pr[c] - (yi == c ? 1 : 0));
                            residual[c * 4 + r] = v;
                            _residual[(i + r) * classes + c] = v;
                        }
                    }
                    for (var c = 0; c < classes; c++)
                    {
                        var rc = residual.AsSpan(c * 4, 4);
                        for (var r = 0; r < 4; r++) rf[r] = (float)rc[r];
                        Axpy4S(rf, x0, x1, x2, x3, g.AsSpan(c * d, d));
                        gb[c] += rc[0] + rc[1] + rc[2] + rc[3];
                    }
                }
                _chunkLoss[k] = loss;
            });
            double f = 0;
            Array.Clear(grad, 0, sparseAt);
            for (var k = 0; k < Chunks; k++)
            {
                f += _chunkLoss[k];
                var g = _chunkGrad[k];
                for (var j = 0; j < biasAt; j++) grad[j] += g[j];
                for (var c = 0; c < classes; c++) grad[biasAt + c] += _chunkBias[k][c];
            }
            // Sparse gradient column by column: every column's sum runs over its rows in ascending order.
            var cols = _x.SparseDims;
            Parallel.For(0, Chunks, k =>
            {
                var from = (int)((long)cols * k / Chunks);
                var to = (int)((long)cols * (k + 1) / Chunks);
                var all = grad.AsSpan(sparseAt);
                for (var j = from; j < to; j++)
                {
                    var acc = all.Slice(j * classes, classes);
                    acc.Clear();
                    for (var e = _colStart[j]; e < _colStart[j + 1]; e++)
                    {
                        var v = _colValue[e];
                        var r = _residual.AsSpan(_colRow[e] * classes, classes);
                        for (var c = 0; c < classes; c++) acc[c] += r[c] * v;
                    }
                }
            });
            f /= _total;
            var inv = 1.0 / _total;
            for (var i = 0; i < grad.Length; i++) grad[i] *= inv;
            // L2 on the dense and sparse weights, not on the biases.
            for (var i = 0; i < biasAt; i++)
            {
                var v = w[i];
                f += 0.5 * _l2Dense * v * v;
                grad[i] += _l2Dense * v;
            }
            for (var i = sparseAt; i < w.Length; i++)
            {
                var v = w[i];
                f += 0.5 * _l2Sparse * v * v;
                grad[i] += _l2Sparse * v;
            }
            return f;
        }
    }
    /// <summary>Σ w·x in float, eight lanes per step in one accumulator reduced in a fixed order (the same arithmetic
    /// as each row of <see cref="Dot4S"/>, so training and scoring agree).</summary>
    private static double DotS(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        if (x.Length < w.Length) throw new ArgumentException("vectors differ in length.");
        ref var rw = ref MemoryMarshal.GetReference(w);
        ref var rx = ref MemoryMarshal.GetReference(x);
        var acc = Vector256<float>.Zero;
        nuint j = 0, n = (nuint)w.Length;
        for (; j + 8 <= n; j += 8) acc += Vector256.LoadUnsafe(ref rw, j) * Vector256.LoadUnsafe(ref rx, j);
        return ReduceS(acc, w[(int)j..], x[(int)j..]);
    }

    /// <summary>Dot products of w with four float rows at once: each load of w serves four rows.</summary>
    private static void Dot4S(ReadOnlySpan<float> w, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2,
        ReadOnlySpan<float> x3, Span<double> result)
    {
        if (x0.Length < w.Length || x1.Length < w.Length || x2.Length < w.Length || x3.Length < w.Length)
            throw new ArgumentException("vectors differ in length.");
        ref var rw = ref MemoryMarshal.GetReference(w);
        ref var r0 = ref MemoryMarshal.GetReference(x0);
        ref var r1 = ref MemoryMarshal.GetReference(x1);
        ref var r2 = ref MemoryMarshal.GetReference(x2);
        ref var r3 = ref MemoryMarshal.GetReference(x3);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint j = 0, n = (nuint)w.Length;
        for (; j + 8 <= n; j += 8)
        {
            var wv = Vector256.LoadUnsafe(ref rw, j);
            a0 += wv * Vector256.LoadUnsafe(ref r0, j);
            a1 += wv * Vector256.LoadUnsafe(ref r1, j);
            a2 += wv * Vector256.LoadUnsafe(ref r2, j);
            a3 += wv * Vector256.LoadUnsafe(ref r3, j);
        }
        var tail = (int)j;
        result[0] = ReduceS(a0, w[tail..], x0[tail..]);
        result[1] = ReduceS(a1, w[tail..], x1[tail..]);
        result[2] = ReduceS(a2, w[tail..], x2[tail..]);
        result[3] = ReduceS(a3, w[tail..], x3[tail..]);
    }

    private static double ReduceS(Vector256<float> acc, ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        var s = (acc.GetElement(0) + acc.GetElement(1)) + (acc.GetElement(2) + acc.GetElement(3))
            + ((acc.GetElement(4) + acc.GetElement(5)) + (acc.GetElement(6) + acc.GetElement(7)));
        for (var j = 0; j < w.Length; j++) s += w[j] * x[j];
        return s;
    }

    /// <summary>g += r0·x0 + r1·x1 + r2·x2 + r3·x3 in float: each load and store of g serves four rows.</summary>
    private static void Axpy4S(ReadOnlySpan<float> r, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2,
        ReadOnlySpan<float> x3, Span<float> g)
    {
        if (r.Length < 4 || x0.Length < g.Length || x1.Length < g.Length || x2.Length < g.Length || x3.Length < g.Length)
            throw new ArgumentException("vectors differ in length.");
        ref var rg = ref MemoryMarshal.GetReference(g);
        ref var p0 = ref MemoryMarshal.GetReference(x0);
        ref var p1 = ref MemoryMarshal.GetReference(x1);
        ref var p2 = ref MemoryMarshal.GetReference(x2);
        ref var p3 = ref MemoryMarshal.GetReference(x3);
        Vector256<float> c0 = Vector256.Create(r[0]), c1 = Vector256.Create(r[1]), c2 = Vector256.Create(r[2]), c3 = Vector256.Create(r[3]);
        nuint j = 0, n = (nuint)g.Length;
        for (; j + 8 <= n; j += 8)
        {
            var sum = c0 * Vector256.LoadUnsafe(ref p0, j) + c1 * Vector256.LoadUnsafe(ref p1, j)
                + c2 * Vector256.LoadUnsafe(ref p2, j) + c3 * Vector256.LoadUnsafe(ref p3, j);
            (Vector256.LoadUnsafe(ref rg, j) + sum).StoreUnsafe(ref rg, j);
        }
        for (var k = (int)j; k < g.Length; k++) g[k] += r[0] * x0[k] + r[1] * x1[k] + r[2] * x2[k] + r[3] * x3[k];
    }
}

/// <summary>Limited-memory BFGS with a backtracking (Armijo) line search.</summary>
internal static class Lbfgs
{
    public static int Minimise(Func<double[], double[], double> f, double[] x, int maxIterations,
        CancellationToken cancellationToken, int memory = 10, double gradientTolerance = 1e-6)
    {
        var n = x.Length;
        var g = new double[n];
        var fx = f(x, g);
        var s = new List<double[]>();
        var yv = new List<double[]>();
        var rho = new List<double>();
        var d = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        var alphaBuf = new double[memory];
        var sScratch = new double[n];
        var yScratch = new double[n];
        var iter = 0;
        for (; iter < maxIterations; iter++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (MaxAbs(g) < gradientTolerance) break;
            // Two-loop recursion: d = -H g.
            Array.Copy(g, d, n);
            for (var i = s.Count - 1; i >= 0; i--)
            {
                alphaBuf[i] = rho[i] * Dot(s[i], d);
                Axpy(-alphaBuf[i], yv[i], d);
            }
            var gamma = s.Count > 0 ? Dot(s[^1], yv[^1]) / Dot(yv[^1], yv[^1]) : 1.0 / Math.Max(1e-12, Math.Sqrt(Dot(g, g)));
            for (var i = 0; i < n; i++) d[i] *= gamma;
            for (var i = 0; i < s.Count; i++)
            {
                var beta = rho[i] * Dot(yv[i], d);
                Axpy(alphaBuf[i] - beta, s[i], d);
            }
            for (var i = 0; i < n; i++) d[i] = -d[i];
            var slope = Dot(g, d);
            if (slope >= 0)
            {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                s.Clear(); yv.Clear(); rho.Clear();
                for (var i = 0; i < n; i++) d[i] = -g[i] / Math.Max(1e-12, Math.Sqrt(Dot(g, g)));
                slope = Dot(g, d);
            }
            var step = 1.0;
            double fNew;
            var accepted = false;
            for (var ls = 0; ls < 40; ls++)
            {
                for (var i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
                fNew = f(xNew, gNew);
                if (fNew <= fx + 1e-4 * step * slope)
                {
                    // Computed into scratch arrays; an accepted pair is swapped with the one that drops out of the
                    // memory, so steps allocate nothing (the arithmetic is the same).
                    var si = sScratch;
                    var yi = yScratch;
                    for (var i = 0; i < n; i++) { si[i] = xNew[i] - x[i]; yi[i] = gNew[i] - g[i]; }
                    var sy = Dot(si, yi);
                    if (sy > 1e-12)
                    {
                        if (s.Count == memory)
                        {
                            sScratch = s[0];
                            yScratch = yv[0];
                            s.RemoveAt(0); yv.RemoveAt(0); rho.RemoveAt(0);
                        }
                        else
                        {
                            sScratch = new double[n];
                            yScratch = new double[n];
                        }
                        s.Add(si); yv.Add(yi); rho.Add(1 / sy);
                    }
                    var improvement = fx - fNew;
                    Array.Copy(xNew, x, n);
                    Array.Copy(gNew, g, n);
                    fx = fNew;
                    accepted = true;
                    if (improvement <= 1e-10 * Math.Max(1, Math.Abs(fx))) return iter + 1;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) break;
        }
        return iter;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double MaxAbs(double[] a)
    {
        double m = 0;
        foreach (var v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (var i = 0; i < x.Length; i++) y[i] += a * x[i];
    }
}
