using Dfid.Analysis;

namespace Dfid.Instrument.Learned;

/// <summary>
/// How a stage model turns its logits into calibrated probabilities and a stage. Probabilities: softmax(logits /
/// <see cref="Temperature"/>). Stage: the highest of ln p + <see cref="PriorShift"/> · offset (a class-weighting of the
/// decision, offsets ln(n / (K · n_class)) of the model's training turns), except that <c>deciding</c> needs its own
/// probability to reach <see cref="DecidingThreshold"/> and is never given to a turn that refuses
/// (<see cref="CommitmentCues.Refuses"/>: "no thanks", "$0", "not today", a bare yes to "So $0?"); the next best stage
/// is taken instead.
/// </summary>
/// <param name="Temperature">Temperature of the calibrated probabilities (1 = the model's own).</param>
/// <param name="PriorShift">Weight of the class offsets in the decision (0 = argmax of the probabilities).</param>
/// <param name="PriorOffsets">ln(n / (K · n_class)) per class.</param>
/// <param name="DecidingThreshold">Smallest calibrated p(deciding) at which deciding may be chosen (0 = no threshold).</param>
internal sealed record StageDecisionRule(double Temperature, double PriorShift, double[] PriorOffsets, double DecidingThreshold)
{
    private const int Resisting = (int)Stage.Resisting;
    private const int Deciding = (int)Stage.Deciding;

    /// <summary>Probabilities from logits, in place.</summary>
    public void Calibrate(Span<double> logits)
    {
        for (var c = 0; c < logits.Length; c++) logits[c] /= Temperature;
        SoftmaxRegression.Softmax(logits);
    }

    /// <summary>The stage for calibrated probabilities <paramref name="p"/>.</summary>
    public int Decide(ReadOnlySpan<double> p, bool refusal) => Decide(p, refusal, PriorShift, DecidingThreshold);

    private int Decide(ReadOnlySpan<double> p, bool refusal, double shift, double threshold)
    {
        var best = -1;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < p.Length; c++)
        {
            if (c == Deciding && (refusal || p[c] < threshold)) continue;
            var score = Math.Log(Math.Max(p[c], 1e-300)) + shift * PriorOffsets[c];
            if (score > bestScore)
            {
                bestScore = score;
                best = c;
            }
        }
        return best;
    }

    /// <summary>A larger shift is taken only when it raises the inner folds' κ by more than this: differences below it are
    /// noise at these sample sizes (κ's standard error is ≈ 0.02), and a rule that flips on them is not reproducible.</summary>
    public const double ShiftMargin = 0.005;

    /// <summary>The shifts and thresholds tried by <see cref="Select"/>.</summary>
    public static readonly double[] Shifts = [-0.5, -0.25, 0, 0.25, 0.5, 0.75, 1.0];

    public static readonly double[] Thresholds = [0, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];

    /// <summary>ln(n / (K · n_class)) of class counts (a class never seen counts as one turn).</summary>
    public static double[] Offsets(IReadOnlyList<int> classCounts)
    {
        var n = classCounts.Sum();
        return [.. classCounts.Select(k => Math.Log((double)n / (classCounts.Count * Math.Max(1, k))))];
    }

    /// <summary>
    /// Chooses the rule from out-of-fold logits of turns the models did not train on (inner folds): the temperature
    /// minimising the log loss; the prior shift maximising quadratic-weighted κ with the human stages (smaller shifts first;
    /// a larger one must beat the best so far by <see cref="ShiftMargin"/>); then the smallest
    /// deciding threshold at which at most <paramref name="maxResistingAtDeciding"/> of the human-resisting turns are
    /// put at deciding (the largest threshold when none reaches it).
    /// </summary>
    public static StageDecisionRule Select(IReadOnlyList<double[]> logits, IReadOnlyList<int> labels, IReadOnlyList<bool> refusal,
        double[] offsets, double maxResistingAtDeciding)
    {
        var temperature = FitTemperature(logits, labels);
        var rule = new StageDecisionRule(temperature, 0, offsets, 0);
        var p = logits.Select(l =>
        {
            var q = (double[])l.Clone();
            rule.Calibrate(q);
            return q;
        }).ToArray();
        var k = offsets.Length;
        var human = labels.ToArray();
        var bestShift = 0.0;
        var bestKappa = double.NegativeInfinity;
        foreach (var shift in Shifts.OrderBy(Math.Abs).ThenBy(s => s))
        {
            var predicted = p.Select((q, i) => rule.Decide(q, refusal[i], shift, 0)).ToArray();
            var kappa = Agreement.CohensKappaQuadratic(human, predicted, k);
            if (kappa > bestKappa + ShiftMargin)
            {
                bestKappa = kappa;
                bestShift = shift;
            }
        }
        var resisting = Enumerable.Range(0, human.Length).Where(i => human[i] == Resisting).ToArray();
        var threshold = Thresholds[^1];
        foreach (var t in Thresholds)
        {
            var atDeciding = resisting.Count(i => rule.Decide(p[i], refusal[i], bestShift, t) == Deciding);
            if (resisting.Length == 0 || atDeciding <= maxResistingAtDeciding * resisting.Length)
            {
                threshold = t;
                break;
            }
        }
        return rule with { PriorShift = bestShift, DecidingThreshold = threshold };
    }

    /// <summary>The temperature minimising the mean log loss, by golden-section search over 1/T in [0.2, 5].</summary>
    public static double FitTemperature(IReadOnlyList<double[]> logits, IReadOnlyList<int> labels)
    {
        double Loss(double beta)
        {
            double sum = 0;
            for (var i = 0; i < logits.Count; i++)
            {
                var l = logits[i];
                var max = double.NegativeInfinity;
                foreach (var v in l) max = Math.Max(max, beta * v);
                double z = 0;
                foreach (var v in l) z += Math.Exp(beta * v - max);
                sum += Math.Log(z) + max - beta * l[labels[i]];
            }
            return sum / logits.Count;
        }
        // The loss is convex in beta = 1/T, so golden-section search finds the minimum.
        double a = 0.2, b = 5;
        var g = (Math.Sqrt(5) - 1) / 2;
        double c = b - g * (b - a), d = a + g * (b - a);
        double fc = Loss(c), fd = Loss(d);
        for (var it = 0; it < 60; it++)
        {
            if (fc <= fd)
            {
                b = d;
                d = c;
                fd = fc;
                c = b - g * (b - a);
                fc = Loss(c);
            }
            else
            {
                a = c;
                c = d;
                fc = fd;
                d = a + g * (b - a);
                fd = Loss(d);
            }
        }
        return 1 / ((a + b) / 2);
    }
}
