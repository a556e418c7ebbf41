namespace Dfid.Instrument.Learned;

/// <summary>
/// Multinomial logistic regression (softmax) with L2, trained by L-BFGS on the full batch. Deterministic:
/// zero start, fixed chunking of the data, chunk gradients summed in order.
/// </summary>
internal static class SoftmaxRegression
{
    private const int Chunks = 8;

    /// <summary>Weights laid out class-major, <c>classes × (dims + 1)</c>, bias last in each row.</summary>
    public static double[] Train(IReadOnlyList<float[]> x, int[] y, int classes, double l2, int maxIterations,
        double[]? sampleWeights = null, CancellationToken cancellationToken = default)
    {
        if (x.Count != y.Length) throw new ArgumentException("features and labels differ in length.");
        if (x.Count == 0) throw new ArgumentException("no training examples.");
        var dims = x[0].Length;
        var w = new double[classes * (dims + 1)];
        var weights = sampleWeights ?? Enumerable.Repeat(1.0, y.Length).ToArray();
        var total = weights.Sum();
        double Objective(double[] theta, double[] grad) => Loss(x, y, weights, total, classes, dims, l2, theta, grad);
        Lbfgs.Minimise(Objective, w, maxIterations, cancellationToken);
        return w;
    }

    /// <summary>Class probabilities of one feature vector.</summary>
    public static void Probabilities(ReadOnlySpan<double> w, ReadOnlySpan<float> x, int classes, Span<double> p)
    {
        var dims = x.Length;
        var stride = dims + 1;
        var max = double.NegativeInfinity;
        for (var c = 0; c < classes; c++)
        {
            var row = w.Slice(c * stride, stride);
            double s = row[dims];
            for (var j = 0; j < dims; j++) s += row[j] * x[j];
            p[c] = s;
            if (s > max) max = s;
        }
        double z = 0;
        for (var c = 0; c < classes; c++) { p[c] = Math.Exp(p[c] - max); z += p[c]; }
        for (var c = 0; c < classes; c++) p[c] /= z;
    }

    private static double Loss(IReadOnlyList<float[]> x, int[] y, double[] sw, double total, int classes, int dims,
        double l2, double[] w, double[] grad)
    {
        var n = x.Count;
        var stride = dims + 1;
        var partLoss = new double[Chunks];
        var partGrad = new double[Chunks][];
        Parallel.For(0, Chunks, k =>
        {
            var g = new double[w.Length];
            var p = new double[classes];
            double loss = 0;
            var from = (int)((long)n * k / Chunks);
            var to = (int)((long)n * (k + 1) / Chunks);
            for (var i = from; i < to; i++)
            {
                var xi = x[i];
                Probabilities(w, xi, classes, p);
                loss -= sw[i] * Math.Log(Math.Max(p[y[i]], 1e-300));
                for (var c = 0; c < classes; c++)
                {
                    var r = sw[i] * (p[c] - (y[i] == c ? 1 : 0));
                    if (r == 0) continue;
                    var off = c * stride;
                    for (var j = 0; j < dims; j++) g[off + j] += r * xi[j];
                    g[off + dims] += r;
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
                    var si = new double[n];
                    var yi = new double[n];
                    for (var i = 0; i < n; i++) { si[i] = xNew[i] - x[i]; yi[i] = gNew[i] - g[i]; }
                    var sy = Dot(si, yi);
                    if (sy > 1e-12)
                    {
                        if (s.Count == memory) { s.RemoveAt(0); yv.RemoveAt(0); rho.RemoveAt(0); }
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
