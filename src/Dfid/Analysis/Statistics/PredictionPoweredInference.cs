namespace Dfid.Analysis.Statistics;

/// <summary>Replicates of a two-stratum prediction-powered bootstrap.</summary>
/// <param name="ThetaA">Estimate in stratum a per resample (NaN when the resample holds no labelled unit of a).</param>
/// <param name="ThetaB">Estimate in stratum b per resample.</param>
/// <param name="Difference">ThetaA − ThetaB.</param>
public sealed record PpiReplicates(double[] ThetaA, double[] ThetaB, double[] Difference);

/// <summary>Prediction-powered inference (Angelopoulos et al. 2023) for means: predictions on every unit,
/// corrected by the prediction error measured on the human-labelled units.</summary>
public static class PredictionPoweredInference
{
    private const int Blocks = 64;

    /// <summary>The PPI mean: mean(predictions on all units) − mean(prediction − human on the labelled units).</summary>
    /// <param name="predictionsAll">Model predictions on all units.</param>
    /// <param name="predictionsLabelled">Model predictions on the labelled units.</param>
    /// <param name="humanLabelled">Human values on the labelled units (same order).</param>
    /// <remarks>Returns NaN when there are no units or no labelled units.</remarks>
    /// <exception cref="ArgumentException">The labelled spans differ in length.</exception>
    public static double Mean(ReadOnlySpan<double> predictionsAll, ReadOnlySpan<double> predictionsLabelled, ReadOnlySpan<double> humanLabelled)
    {
        if (predictionsLabelled.Length != humanLabelled.Length)
            throw new ArgumentException("labelled predictions and human values differ in length", nameof(humanLabelled));
        if (predictionsAll.IsEmpty || humanLabelled.IsEmpty) return double.NaN;
        double rect = 0;
        for (var i = 0; i < humanLabelled.Length; i++) rect += predictionsLabelled[i] - humanLabelled[i];
        return Descriptive.Mean(predictionsAll) - rect / humanLabelled.Length;
    }

    /// <summary>Per stratum θ = mean(v over all units) + mean(w over units where w is not NaN); resampling units with
    /// replacement within each stratum (a unit is a conversation: its value and rectifier move together).</summary>
    /// <param name="va">Stratum a: value of every unit (prediction-based).</param>
    /// <param name="wa">Stratum a: rectifier per unit (e.g. human − prediction), NaN for unlabelled units.</param>
    /// <param name="vb">Stratum b values.</param>
    /// <param name="wb">Stratum b rectifiers.</param>
    /// <param name="resamples">Resamples.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="workers">Threads (the replicates do not depend on it).</param>
    /// <remarks>Resamples with no labelled unit in a stratum give NaN for that stratum (dropped by the percentile interval).</remarks>
    public static PpiReplicates Stratified(
        ReadOnlySpan<double> va, ReadOnlySpan<double> wa, ReadOnlySpan<double> vb, ReadOnlySpan<double> wb,
        int resamples, long seed, int workers = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resamples);
        if (va.Length != wa.Length || vb.Length != wb.Length) throw new ArgumentException("values and rectifiers differ in length");
        double[] xa = va.ToArray(), ra = wa.ToArray(), xb = vb.ToArray(), rb = wb.ToArray();
        var result = new PpiReplicates(new double[resamples], new double[resamples], new double[resamples]);
        var blockCount = Math.Min(Blocks, resamples);
        PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
        {
            var rng = new Xoshiro256(seed, block);
            int from = (int)((long)resamples * block / blockCount), to = (int)((long)resamples * (block + 1) / blockCount);
            for (var i = from; i < to; i++)
            {
                var ta = Theta(xa, ra, ref rng);
                var tb = Theta(xb, rb, ref rng);
                result.ThetaA[i] = ta;
                result.ThetaB[i] = tb;
                result.Difference[i] = ta - tb;
            }
        });
        return result;
    }

    /// <summary>θ = mean(v) + mean of the non-NaN w, on the given units.</summary>
    /// <remarks>Returns NaN when there are no units or no labelled unit.</remarks>
    public static double Theta(ReadOnlySpan<double> v, ReadOnlySpan<double> w)
    {
        if (v.IsEmpty) return double.NaN;
        double sw = 0;
        var nw = 0;
        foreach (var x in w)
            if (!double.IsNaN(x)) { sw += x; nw++; }
        return nw == 0 ? double.NaN : Descriptive.Mean(v) + sw / nw;
    }

    private static double Theta(double[] v, double[] w, ref Xoshiro256 rng)
    {
        var n = v.Length;
        if (n == 0) return double.NaN;
        double sv = 0, sw = 0;
        var nw = 0;
        for (var i = 0; i < n; i++)
        {
            var j = rng.NextBelow((uint)n);
            sv += v[j];
            var r = w[j];
            if (!double.IsNaN(r)) { sw += r; nw++; }
        }
        return nw == 0 ? double.NaN : sv / n + sw / nw;
    }
}
