using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dfid.Instrument.Learned;

/// <summary>
/// Multinomial logistic regression (softmax) with L2, trained by L-BFGS on the full batch. Deterministic, also across
/// machines: zero start, fixed chunking of the data, chunk gradients summed in order, and dot products taken over
/// fixed 4-lane vectors (<see cref="Vector256{T}"/>, separate multiply and add) whatever the CPU's vector width.
/// </summary>
internal static partial class SoftmaxRegression
{
    private const int Chunks = 8;

    /// <summary>Weights laid out class-major, <c>classes × (dims + 1)</c>, bias last in each row.</summary>
    public static double[] Train(IReadOnlyList<float[]> x, int[] y, int classes, double l2, int maxIterations,
        double[]? sampleWeights = null, CancellationToken cancellationToken = default)
    {
        if (x.Count != y.Length) throw new ArgumentException("features and labels differ in length.");
        if (x.Count == 0) throw new ArgumentException("no training examples.");
        var dims = x[0].Length;
        // One row-major double matrix: the loss reads every row hundreds of times, and vector loops want one type.
        var rows = new double[x.Count * dims];
        for (var i = 0; i < x.Count; i++)
        {
            if (x[i].Length != dims) throw new ArgumentException($"feature vector {i} has {x[i].Length} values, not {dims}.");
            for (var j = 0; j < dims; j++) rows[i * dims + j] = x[i][j];
        }
        var w = new double[classes * (dims + 1)];
        var weights = sampleWeights ?? Enumerable.Repeat(1.0, y.Length).ToArray();
        var total = weights.Sum();
        double Objective(double[] theta, double[] grad) => Loss(rows, y, weights, total, classes, dims, l2, theta, grad);
        Lbfgs.Minimise(Objective, w, maxIterations, cancellationToken);
        return w;
    }

    /// <summary>Class probabilities of one feature vector.</summary>
    public static void Probabilities(ReadOnlySpan<double> w, ReadOnlySpan<float> x, int classes, Span<double> p)
    {
        Span<double> row = x.Length <= 2048 ? stackalloc double[x.Length] : new double[x.Length];
        for (var j = 0; j < x.Length; j++) row[j] = x[j];
        Probabilities(w, row, classes, p);
    }

    /// <summary>Class probabilities of one feature vector.</summary>
    public static void Probabilities(ReadOnlySpan<double> w, ReadOnlySpan<double> x, int classes, Span<double> p)
    {
        var dims = x.Length;
        var stride = dims + 1;
        for (var c = 0; c < classes; c++)
        {
            var row = w.Slice(c * stride, stride);
            p[c] = row[dims] + Dot(row[..dims], x);
        }
        Softmax(p[..classes]);
    }

    /// <summary>Logits to probabilities, in place.</summary>
    private static void Softmax(Span<double> p)
    {
        var max = double.NegativeInfinity;
        foreach (var v in p) max = Math.Max(max, v);
        double z = 0;
        for (var c = 0; c < p.Length; c++) { p[c] = Math.Exp(p[c] - max); z += p[c]; }
        for (var c = 0; c < p.Length; c++) p[c] /= z;
    }

    /// <summary>Σ a·b in one 4-lane accumulator, reduced in a fixed order (the same result on every CPU, and the
    /// same as each row of <see cref="Dot4"/>).</summary>
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (b.Length < a.Length) throw new ArgumentException("vectors differ in length.");
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<double>.Zero;
        nuint j = 0, n = (nuint)a.Length;
        for (; j + 4 <= n; j += 4) acc += Vector256.LoadUnsafe(ref ra, j) * Vector256.LoadUnsafe(ref rb, j);
        return Reduce(acc, a[(int)j..], b[(int)j..]);
    }

    /// <summary>The dot products of <paramref name="w"/> with four rows at once: each load of w serves four rows, and
    /// four independent sums keep the adder busy.</summary>
    private static void Dot4(ReadOnlySpan<double> w, ReadOnlySpan<double> x0, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2,
        ReadOnlySpan<double> x3, Span<double> result)
    {
        if (x0.Length < w.Length || x1.Length < w.Length || x2.Length < w.Length || x3.Length < w.Length)
            throw new ArgumentException("vectors differ in length.");
        ref var rw = ref MemoryMarshal.GetReference(w);
        ref var r0 = ref MemoryMarshal.GetReference(x0);
        ref var r1 = ref MemoryMarshal.GetReference(x1);
        ref var r2 = ref MemoryMarshal.GetReference(x2);
        ref var r3 = ref MemoryMarshal.GetReference(x3);
        Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint j = 0, n = (nuint)w.Length;
        for (; j + 4 <= n; j += 4)
        {
            var wv = Vector256.LoadUnsafe(ref rw, j);
            a0 += wv * Vector256.LoadUnsafe(ref r0, j);
            a1 += wv * Vector256.LoadUnsafe(ref r1, j);
            a2 += wv * Vector256.LoadUnsafe(ref r2, j);
            a3 += wv * Vector256.LoadUnsafe(ref r3, j);
        }
        var tail = (int)j;
        result[0] = Reduce(a0, w[tail..], x0[tail..]);
        result[1] = Reduce(a1, w[tail..], x1[tail..]);
        result[2] = Reduce(a2, w[tail..], x2[tail..]);
        result[3] = Reduce(a3, w[tail..], x3[tail..]);
    }

    private static double Reduce(Vector256<double> acc, ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var s = acc.GetElement(0) + acc.GetElement(1) + acc.GetElement(2) + acc.GetElement(3);
        for (var j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }

    /// <summary>g += r0·x0 + r1·x1 + r2·x2 + r3·x3: each load and store of g serves four rows.</summary>
    private static void Axpy4(ReadOnlySpan<double> r, ReadOnlySpan<double> x0, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2,
        ReadOnlySpan<double> x3, Span<double> g)
    {
        if (r.Length < 4 || x0.Length < g.Length || x1.Length < g.Length || x2.Length < g.Length || x3.Length < g.Length)
            throw new ArgumentException("vectors differ in length.");
        ref var rg = ref MemoryMarshal.GetReference(g);
        ref var p0 = ref MemoryMarshal.GetReference(x0);
        ref var p1 = ref MemoryMarshal.GetReference(x1);
        ref var p2 = ref MemoryMarshal.GetReference(x2);
        ref var p3 = ref MemoryMarshal.GetReference(x3);
        Vector256<double> c0 = Vector256.Create(r[0]), c1 = Vector256.Create(r[1]), c2 = Vector256.Create(r[2]), c3 = Vector256.Create(r[3]);
        nuint j = 0, n = (nuint)g.Length;
        for (; j + 4 <= n; j += 4)
        {
            var sum = c0 * Vector256.LoadUnsafe(ref p0, j) + c1 * Vector256.LoadUnsafe(ref p1, j)
                + c2 * Vector256.LoadUnsafe(ref p2, j) + c3 * Vector256.LoadUnsafe(ref p3, j);
            (Vector256.LoadUnsafe(ref rg, j) + sum).StoreUnsafe(ref rg, j);
        }
        for (var k = (int)j; k < g.Length; k++) g[k] += r[0] * x0[k] + r[1] * x1[k] + r[2] * x2[k] + r[3] * x3[k];
    }

    private static double Loss(double[] x, int[] y, double[] sw, double total, int classes, int dims,
        double l2, double[] w, double[] grad)
    {
        var n = y.Length;
        var stride = dims + 1;
        var partLoss = new double[Chunks];
        var partGrad = new double[Chunks][];
        Parallel.For(0, Chunks, k =>
        {
            var g = new double[w.Length];
            var p = new double[4 * classes];
            ReadOnlySpan<double> Row(int i) => x.AsSpan(i * dims, dims);
            double loss = 0;
            var from = (int)((long)n * k / Chunks);
            var to = (int)((long)n * (k + 1) / Chunks);
            // Rows in blocks of four (a short last block padded with a zero-weight copy of its first row).
            Span<double> logits = stackalloc double[4];
            var residual = new double[4 * classes];
            for (var i = from; i < to; i += 4)
            {
                var m = Math.Min(4, to - i);
                var x0 = Row(i);
                var x1 = m > 1 ? Row(i + 1) : x0;
                var x2 = m > 2 ? Row(i + 2) : x0;
                var x3 = m > 3 ? Row(i + 3) : x0;
                for (var c = 0; c < classes; c++)
                {
                    var row = w.AsSpan(c * stride, stride);
                    Dot4(row[..dims], x0, x1, x2, x3, logits);
                    for (var r = 0; r < 4; r++) p[r * classes + c] = row[dims] + logits[r];
                }
                for (var r = 0; r < 4; r++)
                {
                    var pr = p.AsSpan(r * classes, classes);
                    if (r >= m)
                    {
                        for (var c = 0; c < classes; c++) residual[c * 4 + r] = 0;
                        continue;
                    }
                    Softmax(pr);
                    var yi = y[i + r];
                    loss -= sw[i + r] * Math.Log(Math.Max(pr[yi], 1e-300));
                    for (var c = 0; c < classes; c++) residual[c * 4 + r] = sw[i + r] * (pr[c] - (yi == c ? 1 : 0));
                }
                for (var c = 0; c < classes; c++)
                {
                    var rc = residual.AsSpan(c * 4, 4);
                    Axpy4(rc, x0, x1, x2, x3, g.AsSpan(c * stride, dims));
                    g[c * stride + dims] += rc[0] + rc[1] + rc[2] + rc[3];
                }
            }
            partLoss[k] = loss;
            partGrad[k] = g;
        });
        double f = 0;
        Array.Clear(grad);
        for (var k = 0; k < Chunks; k++)
        {
            f += partLoss[k];
            var g = partGrad[k];
            for (var i = 0; i < grad.Length; i++) grad[i] += g[i];
        }
        f /= total;
        for (var i = 0; i < grad.Length; i++) grad[i] /= total;
        // L2 on the weights, not on the biases.
        for (var c = 0; c < classes; c++)
            for (var j = 0; j < dims; j++)
            {
                var v = w[c * stride + j];
                f += 0.5 * l2 * v * v;
                grad[c * stride + j] += l2 * v;
            }
        return f;
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
