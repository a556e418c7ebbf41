namespace Dfid.Analysis.Statistics;

/// <summary>How well predicted class probabilities match the observed classes.</summary>
public static class ProbabilityScores
{
    /// <summary>Multi-class Brier score: the mean over rows of Σ_c (p_c − 1[c = y])² (0 = perfect, 2 = worst).</summary>
    /// <remarks>NaN when there are no rows.</remarks>
    /// <exception cref="ArgumentException">Rows and labels differ in number, or a label is outside a row.</exception>
    public static double Brier(IReadOnlyList<double[]> probabilities, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Count != labels.Length) throw new ArgumentException("probabilities and labels differ in length.");
        if (labels.Length == 0) return double.NaN;
        double sum = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var p = probabilities[i];
            if ((uint)labels[i] >= (uint)p.Length) throw new ArgumentException($"label {labels[i]} of row {i} is not a class of its {p.Length} probabilities.");
            for (var c = 0; c < p.Length; c++)
            {
                var e = p[c] - (c == labels[i] ? 1 : 0);
                sum += e * e;
            }
        }
        return sum / labels.Length;
    }

    /// <summary>
    /// Expected calibration error of the top label: rows binned by their highest probability into
    /// <paramref name="bins"/> equal-width bins on [0, 1] (right-closed; the first bin also holds 0), then
    /// Σ_bins (n_bin / n) · |accuracy_bin − mean confidence_bin|. The top label is the first class with the highest
    /// probability.
    /// </summary>
    /// <remarks>NaN when there are no rows.</remarks>
    public static double ExpectedCalibrationError(IReadOnlyList<double[]> probabilities, ReadOnlySpan<int> labels, int bins = 10)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bins);
        if (probabilities.Count != labels.Length) throw new ArgumentException("probabilities and labels differ in length.");
        if (labels.Length == 0) return double.NaN;
        var n = new int[bins];
        var correct = new double[bins];
        var confidence = new double[bins];
        for (var i = 0; i < labels.Length; i++)
        {
            var p = probabilities[i];
            var top = 0;
            for (var c = 1; c < p.Length; c++) if (p[c] > p[top]) top = c;
            var b = Math.Clamp((int)Math.Ceiling(p[top] * bins) - 1, 0, bins - 1);
            n[b]++;
            confidence[b] += p[top];
            if (top == labels[i]) correct[b]++;
        }
        double ece = 0;
        for (var b = 0; b < bins; b++)
            if (n[b] > 0) ece += (double)n[b] / labels.Length * Math.Abs(correct[b] / n[b] - confidence[b] / n[b]);
        return ece;
    }
}
