using System.Text.Json;
using System.Text.Json.Serialization;
using Dfid.Analysis.Statistics;
using Dfid.Corpus;
using Dfid.Instrument.Learned;
using Dfid.Probing;

namespace Dfid.Willingness;

/// <summary>Options of <see cref="WillingnessValidation.Run"/>.</summary>
public sealed record WillingnessValidationOptions
{
    /// <summary>Bootstrap resamples of conversations (within outcome strata) for the intervals.</summary>
    /// <value>The default is 2,000.</value>
    public int Resamples { get; init; } = 2000;

    /// <summary>Seed of the resampling.</summary>
    /// <value>The default is 20261126.</value>
    public long Seed { get; init; } = 20261126;

    /// <summary>Two-sided level of the intervals.</summary>
    /// <value>The default is 0.95.</value>
    public double Level { get; init; } = 0.95;

    /// <summary>The probe positions at which P(converted) is also scored (one point per conversation, as the probes select them).</summary>
    /// <value>The default is 30%, 60% and 90%.</value>
    public IReadOnlyList<double> Positions { get; init; } = [0.3, 0.6, 0.9];

    /// <summary>Calibration bins (equal width on [0, 1]).</summary>
    /// <value>The default is 10.</value>
    public int Bins { get; init; } = 10;
}

/// <summary>A value with its bootstrap percentile interval (null where undefined).</summary>
/// <param name="Value">The estimate.</param>
/// <param name="Low">Lower bound.</param>
/// <param name="High">Upper bound.</param>
public sealed record IntervalEstimate(double? Value, double? Low, double? High);

/// <summary>How well P(converted) separates the outcomes at one set of points, model against the position-only baseline.</summary>
/// <param name="Points">"all" (every point where a user turn was due) or a probe position ("30%").</param>
/// <param name="NotConverted">Points of non-converted conversations.</param>
/// <param name="Converted">Points of converted conversations.</param>
/// <param name="Auc">Out-of-fold AUC of the model.</param>
/// <param name="Brier">Out-of-fold Brier score of the model.</param>
/// <param name="BaselineAuc">Out-of-fold AUC of the position-only model.</param>
/// <param name="BaselineBrier">Out-of-fold Brier score of the position-only model.</param>
/// <param name="AucGain">Model AUC − baseline AUC (paired: the same resamples).</param>
public sealed record OutcomeScores(string Points, int NotConverted, int Converted, IntervalEstimate Auc, double? Brier,
    IntervalEstimate BaselineAuc, double? BaselineBrier, IntervalEstimate AucGain);

/// <summary>Real exits against the predicted hazard among the non-converters' at-risk points with a given number of user turns so far.</summary>
/// <param name="UserTurns">User turns before the point ("0–2", "12+").</param>
/// <param name="AtRisk">At-risk points.</param>
/// <param name="Exits">Real exits among them.</param>
/// <param name="Expected">Σ predicted hazard (model).</param>
/// <param name="BaselineExpected">Σ predicted hazard (position-only).</param>
public sealed record HazardByPosition(string UserTurns, int AtRisk, int Exits, double Expected, double BaselineExpected);

/// <summary>The exit hazard against real exits.</summary>
/// <param name="AtRisk">At-risk points (non-converters' points).</param>
/// <param name="Exits">Real exits.</param>
/// <param name="Expected">Σ predicted hazard over the at-risk points (model).</param>
/// <param name="BaselineExpected">The same for the position-only model.</param>
/// <param name="Auc">AUC of the hazard for exit vs continuation at the at-risk points.</param>
/// <param name="BaselineAuc">The same for the position-only model.</param>
/// <param name="Brier">Brier score of the hazard.</param>
/// <param name="BaselineBrier">Brier score of the position-only hazard.</param>
/// <param name="ByPosition">Observed and expected exits by user turns so far.</param>
/// <param name="Calibration">Calibration table of the hazard.</param>
/// <param name="MarginalExits">All points (both outcomes): real exits against Σ P(exit) = Σ (1 − P(converted))·hazard, what a
/// gated simulator offered the exit draws.</param>
/// <param name="MarginalExpected">Σ (1 − P(converted))·hazard over all points.</param>
public sealed record HazardScores(int AtRisk, int Exits, double Expected, double BaselineExpected, IntervalEstimate Auc, IntervalEstimate BaselineAuc,
    double? Brier, double? BaselineBrier, IReadOnlyList<HazardByPosition> ByPosition, IReadOnlyList<CalibrationBin> Calibration,
    int MarginalExits, double MarginalExpected);

/// <summary>What <c>dfid willingness validate</c> reports.</summary>
/// <param name="TrainingHash">The model's training hash.</param>
/// <param name="Conversations">Conversations with a known outcome.</param>
/// <param name="ConvertedConversations">Of which converted.</param>
/// <param name="Points">Points where a user turn was due.</param>
/// <param name="Folds">Cross-fitting folds.</param>
/// <param name="OutOfFold">Points served by a fold model that never saw their conversation's outcome (all of them when the
/// corpus is the training corpus).</param>
/// <param name="Outcome">P(converted): over all points, then per probe position.</param>
/// <param name="Calibration">Calibration table of P(converted) over all points (out-of-fold).</param>
/// <param name="Hazard">The exit hazard against real exits.</param>
/// <param name="Resamples">Bootstrap resamples.</param>
/// <param name="Seed">Seed.</param>
public sealed record WillingnessReport(string TrainingHash, int Conversations, int ConvertedConversations, int Points, int Folds, int OutOfFold,
    IReadOnlyList<OutcomeScores> Outcome, IReadOnlyList<CalibrationBin> Calibration, HazardScores Hazard, int Resamples, long Seed)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The report as indented JSON (snake_case names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>
/// Out-of-fold validation of the willingness model on a corpus: AUC (with a bootstrap CI over conversations within outcome
/// strata) and Brier score of P(converted) over all points and at the probe positions, a calibration table, and the exit
/// hazard against real exits, each beside a position-only baseline cross-fitted on the same folds.
/// </summary>
public static class WillingnessValidation
{
    /// <summary>Validates <paramref name="model"/> on <paramref name="corpus"/> (normally its training corpus: every point is then scored
    /// by the fold model that excluded its conversation, as a gated simulator is served).</summary>
    public static WillingnessReport Run(WillingnessModel model, IReadOnlyList<Conversation> corpus, WillingnessValidationOptions? options = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        options ??= new WillingnessValidationOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Resamples);
        var data = WillingnessData.From(corpus);
        if (data.Points.Count == 0) throw new DfidException("willingness validate: the corpus has no conversation with a known outcome and a user turn.", 1);
        var keys = Enumerable.Range(0, data.Points.Count).Select(data.Key).ToList();
        var features = WillingnessFeatures.Build(data.Points, model.Stages, EmbedderOf(model), cancellationToken);
        var served = WillingnessModel.Apply(model.Weights, keys, features);
        progress?.Report($"scored {data.Points.Count} points; fitting the position-only baseline");
        var (baseOutcome, baseHazard) = Baseline(model, data, cancellationToken);

        var n = data.Points.Count;
        var cluster = data.ConversationOf;
        var stratum = data.Conversations.Select(c => c.Outcome.Converted == true ? 1 : 0).ToArray();
        var resamples = BinaryPrediction.DrawClusterResamples(stratum, options.Resamples, options.Seed);
        var p = served.Select(e => e.PConverted).ToArray();
        var y = data.Outcome;

        var outcome = new List<OutcomeScores> { Scores("all", Enumerable.Range(0, n).ToArray()) };
        foreach (var position in options.Positions)
        {
            var at = new HashSet<(int, int)>();
            for (var k = 0; k < data.Conversations.Count; k++)
                foreach (var probe in ProbeSelector.Select(data.Conversations[k], new ProbeOptions([position], SkipGreeting: true)))
                    at.Add((k, probe.TurnIndex));
            var rows = Enumerable.Range(0, n).Where(i => !data.IsEnd[i] && at.Contains((cluster[i], data.Points[i].TurnIndex))).ToArray();
            outcome.Add(Scores($"{position * 100:0}%", rows));
        }

        OutcomeScores Scores(string name, int[] rows)
        {
            var py = BinaryPrediction.Gather<int>(y, rows);
            var pm = BinaryPrediction.Gather<double>(p, rows);
            var pb = BinaryPrediction.Gather<double>(baseOutcome, rows);
            var sub = BinaryPrediction.Gather<int>(cluster, rows);
            double Auc(double[] score, int[] r) => BinaryPrediction.Auc(BinaryPrediction.Gather<double>(score, r), BinaryPrediction.Gather<int>(py, r));
            var model = BinaryPrediction.Replicates(sub, resamples, r => Auc(pm, r));
            var baseline = BinaryPrediction.Replicates(sub, resamples, r => Auc(pb, r));
            var gain = model.Zip(baseline, (a, b) => a - b).ToArray();
            var auc = BinaryPrediction.Auc(pm, py);
            var baseAuc = BinaryPrediction.Auc(pb, py);
            return new OutcomeScores(name, py.Count(v => v == 0), py.Count(v => v == 1), Interval(auc, model, options.Level),
                Finite(BinaryPrediction.Brier(pm, py)), Interval(baseAuc, baseline, options.Level), Finite(BinaryPrediction.Brier(pb, py)),
                Interval(auc - baseAuc, gain, options.Level));
        }

        // The hazard at the non-converters' points.
        var risk = Enumerable.Range(0, n).Where(data.AtRisk).ToArray();
        var ev = risk.Select(i => data.IsExit(i) ? 1 : 0).ToArray();
        var h = risk.Select(i => served[i].Hazard).ToArray();
        var hb = risk.Select(i => baseHazard[i]).ToArray();
        var riskCluster = risk.Select(i => cluster[i]).ToArray();
        double HAuc(double[] score, int[] r) => BinaryPrediction.Auc(BinaryPrediction.Gather<double>(score, r), BinaryPrediction.Gather<int>(ev, r));
        var hModel = BinaryPrediction.Replicates(riskCluster, resamples, r => HAuc(h, r));
        var hBase = BinaryPrediction.Replicates(riskCluster, resamples, r => HAuc(hb, r));
        var byPosition = new List<HazardByPosition>();
        foreach (var (from, to) in new[] { (0, 2), (3, 5), (6, 8), (9, 11), (12, int.MaxValue) })
        {
            var idx = Enumerable.Range(0, risk.Length).Where(j => WillingnessFeatures.Ordinal(data.Points[risk[j]].Conversation, data.Points[risk[j]].TurnIndex) is var o && o >= from && o <= to).ToArray();
            if (idx.Length == 0) continue;
            byPosition.Add(new HazardByPosition(to == int.MaxValue ? $"{from}+" : $"{from}–{to}", idx.Length, idx.Sum(j => ev[j]), idx.Sum(j => h[j]), idx.Sum(j => hb[j])));
        }
        var marginal = served.Select(e => e.PExit).Sum();
        var hazard = new HazardScores(risk.Length, ev.Sum(), h.Sum(), hb.Sum(),
            Interval(BinaryPrediction.Auc(h, ev), hModel, options.Level), Interval(BinaryPrediction.Auc(hb, ev), hBase, options.Level),
            Finite(BinaryPrediction.Brier(h, ev)), Finite(BinaryPrediction.Brier(hb, ev)), byPosition, BinaryPrediction.Calibration(h, ev, options.Bins),
            Enumerable.Range(0, n).Count(data.IsExit), marginal);

        var w = model.Weights;
        return new WillingnessReport(w.TrainingHash, data.Conversations.Count, stratum.Sum(), n, w.Folds, served.Count(e => e.Fold is not null),
            outcome, BinaryPrediction.Calibration(p, y, options.Bins), hazard, options.Resamples, options.Seed);
    }

    /// <summary>The position-only models (one-hot user ordinal), cross-fitted on the model's folds: out-of-fold P(converted) of
    /// every point and hazard of every point.</summary>
    private static (double[] Outcome, double[] Hazard) Baseline(WillingnessModel model, WillingnessData data, CancellationToken ct)
    {
        var w = model.Weights;
        var options = new WillingnessOptions { L2 = w.L2, MaxIterations = w.MaxIterations };
        var n = data.Points.Count;
        var x = data.Points.Select(p => WillingnessFeatures.Position(WillingnessFeatures.Ordinal(p.Conversation, p.TurnIndex))).ToArray();
        var foldOf = WillingnessTrainer.Folds(data, w.Folds);
        var fold = Enumerable.Range(0, n).Select(i => foldOf.TryGetValue(data.Key(i), out var f) ? f : 0).ToArray();
        var outcome = new double[n];
        var hazard = new double[n];
        for (var k = 0; k < w.Folds; k++)
        {
            var train = Enumerable.Range(0, n).Where(i => fold[i] != k).ToArray();
            var o = WillingnessTrainer.Fit(x, train, i => data.Outcome[i], options, ct);
            var hz = WillingnessTrainer.Fit(x, [.. train.Where(data.AtRisk)], i => data.IsExit(i) ? 1 : 0, options, ct);
            for (var i = 0; i < n; i++)
                if (fold[i] == k)
                {
                    outcome[i] = WillingnessTrainer.Probability(o, x[i]);
                    hazard[i] = WillingnessTrainer.Probability(hz, x[i]);
                }
        }
        return (outcome, hazard);
    }

    private static Embeddings.ITextEmbedder EmbedderOf(WillingnessModel model) => model.Embedder;

    private static IntervalEstimate Interval(double value, double[] replicates, double level)
    {
        var (lo, hi) = Descriptive.PercentileInterval(replicates, level);
        return new IntervalEstimate(Finite(value), Finite(lo), Finite(hi));
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
