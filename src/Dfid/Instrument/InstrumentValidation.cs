using System.Collections.Immutable;
using Dfid.Analysis;
using Dfid.Analysis.Statistics;
using Dfid.Probing;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>Settings of <see cref="InstrumentValidation"/>.</summary>
public sealed class InstrumentValidationOptions
{
    /// <summary>Bootstrap resamples of conversations for the CIs.</summary>
    /// <value>The default is 2000.</value>
    public int Resamples { get; set; } = 2000;

    /// <summary>Seed of the bootstrap.</summary>
    /// <value>The default is 20261126.</value>
    public int Seed { get; set; } = 20261126;

    /// <summary>Confidence level.</summary>
    /// <value>The default is 0.95.</value>
    public double Level { get; set; } = 0.95;

    /// <summary>Concurrent labelling calls for model-backed instruments.</summary>
    /// <value>The default is 4.</value>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Label at most this many human-labelled turns (the first ones in corpus order); <c>null</c> for all.</summary>
    public int? Limit { get; set; }

    /// <summary>Probe positions at which the outcome signal is compared (the probe rule of the protocol: the greeting
    /// skipped, the eligible user turn <c>ceil(p·n)</c>).</summary>
    /// <value>The default is 0.3, 0.6 and 0.9.</value>
    public IReadOnlyList<double> OutcomePositions { get; set; } = [0.3, 0.6, 0.9];

    /// <summary>Receives progress lines; <c>null</c> for silence.</summary>
    public IProgress<string>? Progress { get; set; }
}

/// <summary>How well the instrument's stage probabilities match the human stages (learned instrument only).</summary>
/// <param name="N">Turns scored.</param>
/// <param name="Brier">Multi-class Brier score (0 = perfect).</param>
/// <param name="ExpectedCalibrationError">Top-label expected calibration error over <paramref name="Bins"/> equal-width bins.</param>
/// <param name="Bins">Bins of the calibration error.</param>
public sealed record ProbabilityCalibration(int N, double Brier, double ExpectedCalibrationError, int Bins);

/// <summary>One stage's precision and recall.</summary>
/// <param name="Stage">Stage name.</param>
/// <param name="Support">Human count.</param>
/// <param name="Predicted">Instrument count.</param>
/// <param name="Precision">Correct / predicted (NaN when never predicted).</param>
/// <param name="Recall">Correct / support (NaN when absent).</param>
public sealed record StageScore(string Stage, int Support, int Predicted, double Precision, double Recall);

/// <summary>95% (or <see cref="InstrumentValidationOptions.Level"/>) bootstrap intervals over conversations, as [lower, upper].</summary>
/// <param name="Accuracy">Accuracy interval.</param>
/// <param name="KappaQuadratic">Quadratic-weighted κ interval.</param>
/// <param name="KrippendorffAlphaOrdinal">Ordinal α interval.</param>
public sealed record AgreementIntervals(double[] Accuracy, double[] KappaQuadratic, double[] KrippendorffAlphaOrdinal);

/// <summary>Agreement of one labelling with the human stages.</summary>
/// <param name="N">Turns compared.</param>
/// <param name="Accuracy">Share identical.</param>
/// <param name="KappaQuadratic">Quadratic-weighted Cohen's κ.</param>
/// <param name="KrippendorffAlphaOrdinal">Krippendorff's α, ordinal metric.</param>
/// <param name="Ci">Bootstrap intervals.</param>
/// <param name="Confusion">Counts <c>[human stage][instrument stage]</c> in stage order.</param>
/// <param name="PerStage">Precision and recall per stage.</param>
public sealed record AgreementFigures(
    int N,
    double Accuracy,
    double KappaQuadratic,
    double KrippendorffAlphaOrdinal,
    AgreementIntervals Ci,
    int[][] Confusion,
    IReadOnlyList<StageScore> PerStage);

/// <summary>The labels file behind a validation (<c>dfid instrument validate --labels</c>).</summary>
/// <param name="File">The labels file.</param>
/// <param name="Rule">How one stage per turn was chosen (<see cref="LabelsFileHumanLabels.Rule"/>).</param>
/// <param name="Annotators">The annotators whose labels were used.</param>
/// <param name="TurnsWithSeveralAnnotators">Turns labelled by more than one annotator.</param>
/// <param name="Disagreements">Turns whose annotators chose different stages.</param>
public sealed record ValidationLabels(string File, string Rule, IReadOnlyList<string> Annotators, int TurnsWithSeveralAnnotators, int Disagreements);

/// <summary>The result of validating an instrument against human stage labels.</summary>
/// <param name="Instrument">Instrument name.</param>
/// <param name="LabelSet">Annotation key of the human acts, or <c>dfid.labels/1</c> for a labels file.</param>
/// <param name="Mapping">Mapping file used, or the labels file.</param>
/// <param name="OutOfFold">Whether every label came from a model that did not see the turn's conversation.</param>
/// <param name="Conversations">Conversations with at least one compared turn.</param>
/// <param name="N">Turns compared.</param>
/// <param name="Accuracy">Share identical.</param>
/// <param name="KappaQuadratic">Quadratic-weighted Cohen's κ.</param>
/// <param name="KrippendorffAlphaOrdinal">Krippendorff's α (ordinal).</param>
/// <param name="Ci">Bootstrap intervals over conversations.</param>
/// <param name="Confusion">Counts <c>[human][instrument]</c>.</param>
/// <param name="PerStage">Precision and recall per stage.</param>
/// <param name="Baseline">The same figures for always predicting the human majority stage.</param>
/// <param name="BaselineStage">The majority stage.</param>
/// <param name="UserTurnsWithoutStage">User turns of annotated conversations whose acts map to no stage (not scored); 0 for a labels file.</param>
/// <param name="Failures">Turns the instrument failed to label (not scored).</param>
/// <param name="FailureExamples">Up to 5 failure messages with their place.</param>
/// <param name="Resamples">Bootstrap resamples.</param>
/// <param name="Seed">Bootstrap seed.</param>
/// <param name="OutcomeSignal">Criterion validity: the outcome signal at each probe position, human labels beside the
/// instrument's on the same turns (conversations with a known outcome).</param>
/// <param name="Refusals">Human-resisting turns the instrument put at deciding.</param>
/// <param name="Calibration">Brier score and calibration error of the stage probabilities; null for instruments
/// without probabilities.</param>
public sealed record ValidationReport(
    string Instrument,
    string LabelSet,
    string Mapping,
    bool OutOfFold,
    int Conversations,
    int N,
    double Accuracy,
    double KappaQuadratic,
    double KrippendorffAlphaOrdinal,
    AgreementIntervals Ci,
    int[][] Confusion,
    IReadOnlyList<StageScore> PerStage,
    AgreementFigures Baseline,
    string BaselineStage,
    int UserTurnsWithoutStage,
    int Failures,
    IReadOnlyList<string> FailureExamples,
    int Resamples,
    int Seed,
    IReadOnlyList<OutcomeSignal> OutcomeSignal,
    RefusalCheck Refusals,
    ProbabilityCalibration? Calibration)
{
    /// <summary>The labels file the human stages came from (<c>--labels</c>), or null for act annotations.</summary>
    public ValidationLabels? Labels { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new NaNAsNullConverter() },
    };

    /// <summary>The report as JSON (snake_case fields: <c>n</c>, <c>accuracy</c>, <c>kappa_quadratic</c>,
    /// <c>krippendorff_alpha_ordinal</c>, <c>ci</c>, <c>confusion</c>, <c>per_stage</c>, <c>baseline</c>, ...); NaN is written as null.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private sealed class NaNAsNullConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(Math.Round(value, 6));
            else writer.WriteNullValue();
        }
    }
}

/// <summary>Validates an instrument against human-labelled user turns (acts mapped to stages).</summary>
public static class InstrumentValidation
{
    private const int K = 5;

    /// <summary>Labels every human-labelled user turn with <paramref name="instrument"/> (causal context) and compares.</summary>
    /// <exception cref="DfidException">No user turn carries a mapped label, or an act is missing from the mapping.</exception>
    public static Task<ValidationReport> RunAsync(IReadOnlyList<Conversation> corpus, IInstrument instrument, ActMapping mapping,
        InstrumentValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(instrument);
        ArgumentNullException.ThrowIfNull(mapping);
        var items = new List<(Conversation C, int Turn, Stage Human)>();
        var without = 0;
        foreach (var c in corpus)
        {
            // Only conversations that carry the label set count their unmapped user turns (others were never annotated).
            var annotated = c.Turns.Any(t => t.Annotations?.ContainsKey(mapping.StageLabelSet) == true);
            for (var i = 0; i < c.Turns.Length; i++)
            {
                if (c.Turns[i].Role != Role.User) continue;
                if (mapping.StageOfTurn(c, i) is { } s) items.Add((c, i, s));
                else if (annotated) without++;
            }
        }
        if (items.Count == 0)
            throw new DfidException($"no user turn carries a '{mapping.StageLabelSet}' annotation that {mapping.Source} maps to a stage; " +
                "validate needs a human-labelled corpus (e.g. PersuasionForGood with 300_dialog.csv), --label-set/--mapping, or a labels file (--labels FILE).", 1);
        return CompareAsync(items, without, instrument, mapping.StageLabelSet, mapping.Source, null, options, cancellationToken);
    }

    /// <summary>
    /// Labels every turn of a labels file with <paramref name="instrument"/> (causal context) and compares with the human
    /// stages (one per turn: <see cref="LabelsFileHumanLabels.Rule"/>). Turns are taken in corpus order, as in the
    /// act-mapping path, so the same turns give the same figures and intervals.
    /// </summary>
    /// <param name="corpus">The conversations the labels are about.</param>
    /// <param name="instrument">The instrument to validate.</param>
    /// <param name="labels">The human labels.</param>
    /// <param name="options">Resampling, concurrency, limit.</param>
    /// <param name="cancellationToken">Cancels the labelling.</param>
    /// <exception cref="DfidException">A label names a conversation or turn the corpus does not have (the message names it).</exception>
    public static Task<ValidationReport> RunAsync(IReadOnlyList<Conversation> corpus, IInstrument instrument, LabelsFileHumanLabels labels,
        InstrumentValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(instrument);
        ArgumentNullException.ThrowIfNull(labels);
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < corpus.Count; i++) order.TryAdd(corpus[i].Id, i);
        var missing = labels.Turns.Where(t => !order.TryGetValue(t.ConversationId, out var at) || t.TurnIndex >= corpus[at].Turns.Length
            || corpus[at].Turns[t.TurnIndex].Role != Role.User).ToList();
        if (missing.Count > 0)
            throw new DfidException($"{labels.Source}: {missing.Count} labelled turn(s) are not user turns of the corpus, e.g. conversation " +
                $"'{missing[0].ConversationId}' turn {missing[0].TurnIndex}; pass the corpus the labels were made on (check with `dfid labels validate {labels.Source} --corpus CORPUS`).", 1);
        var items = labels.Turns
            .Select(t => (C: corpus[order[t.ConversationId]], Turn: t.TurnIndex, Human: t.Stage))
            .OrderBy(x => order[x.C.Id]).ThenBy(x => x.Turn)
            .ToList();
        var reference = new ValidationLabels(labels.Source, labels.Rule, labels.Annotators, labels.TurnsWithSeveralAnnotators, labels.Disagreements);
        return CompareAsync(items, 0, instrument, LabelsFile.Format, labels.Source, reference, options, cancellationToken);
    }

    /// <summary>
    /// Labels every turn of a training set with <paramref name="instrument"/> and compares with its human stages. For the
    /// learned instrument trained on that set every label comes from the fold model that did not see the turn's
    /// conversation: its out-of-fold agreement where it was trained.
    /// </summary>
    /// <param name="training">The training sources' labelled turns.</param>
    /// <param name="instrument">The instrument.</param>
    /// <param name="options">Resampling and progress.</param>
    /// <param name="cancellationToken">Cancels the labelling.</param>
    public static Task<ValidationReport> RunAsync(TrainingSet training, IInstrument instrument, InstrumentValidationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(instrument);
        var items = new List<(Conversation C, int Turn, Stage Human)>();
        foreach (var c in training.Conversations)
            for (var i = 0; i < c.Turns.Length; i++)
                if (training.StageOf(c, i) is { } s) items.Add((c, i, s));
        return CompareAsync(items, 0, instrument, "train", training.ToString(), null, options, cancellationToken);
    }

    private static async Task<ValidationReport> CompareAsync(List<(Conversation C, int Turn, Stage Human)> items, int without, IInstrument instrument,
        string labelSet, string source, ValidationLabels? reference, InstrumentValidationOptions? options, CancellationToken cancellationToken)
    {
        options ??= new InstrumentValidationOptions();
        if (options.Limit is { } limit && limit < items.Count) items = items.Take(limit).ToList();
        options.Progress?.Report($"labelling {items.Count} human-labelled user turns with {instrument.Name}");

        var requests = items.Select(x => new LabelRequest(x.C, x.Turn)).ToList();
        var results = await LabelAllAsync(instrument, requests, options, cancellationToken);

        var failures = new List<string>();
        var groups = new Dictionary<string, (List<int> H, List<int> P)>(StringComparer.Ordinal);
        var order = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            var r = results[i];
            if (!r.IsOk || r.Value is null)
            {
                failures.Add($"conversation {items[i].C.Id}, turn {items[i].Turn}: {r.Status}: {r.Error}");
                continue;
            }
            var key = items[i].C.Source.Dataset + "/" + items[i].C.Id;
            if (!groups.TryGetValue(key, out var g)) { groups[key] = g = ([], []); order.Add(key); }
            g.H.Add((int)items[i].Human);
            g.P.Add((int)r.Value.Stage);
        }
        if (groups.Count == 0)
            throw new DfidException($"the instrument failed on all {items.Count} turns; first failure: {failures.FirstOrDefault()}", 1);

        var pairs = order.Select(k => (groups[k].H.ToArray(), groups[k].P.ToArray())).ToList();
        var resamples = Agreement.DrawResamples(pairs.Count, options.Resamples, new Random(options.Seed));
        var figures = Figures(pairs, resamples, options.Level);
        var human = pairs.SelectMany(p => p.Item1).ToArray();
        var majority = Agreement.MajorityClass(human, K);
        var baselinePairs = pairs.Select(p => (p.Item1, p.Item1.Select(_ => majority).ToArray())).ToList();
        var baseline = Figures(baselinePairs, resamples, options.Level);
        var outOfFold = instrument is LearnedInstrument li && items.All(x => li.IsTrainingConversation(x.C));
        var labelled = Enumerable.Range(0, items.Count).Where(i => results[i].IsOk && results[i].Value is not null).ToArray();
        var signal = OutcomeSignals(items, results, options.OutcomePositions);
        var refusals = CriterionValidity.Refusals(labelled.Select(i => (items[i].Human, results[i].Value!.Stage)));
        ProbabilityCalibration? calibration = null;
        if (instrument is LearnedInstrument learned && labelled.Length > 0)
        {
            var p = learned.Probabilities([.. labelled.Select(i => requests[i])], cancellationToken);
            int[] stages = [.. labelled.Select(i => (int)items[i].Human)];
            calibration = new ProbabilityCalibration(labelled.Length, ProbabilityScores.Brier(p, stages),
                ProbabilityScores.ExpectedCalibrationError(p, stages, CalibrationBins), CalibrationBins);
        }
        return new ValidationReport(instrument.Name, labelSet, source, outOfFold, pairs.Count,
            figures.N, figures.Accuracy, figures.KappaQuadratic, figures.KrippendorffAlphaOrdinal, figures.Ci, figures.Confusion,
            figures.PerStage, baseline, StateNames.Of((Stage)majority), without, failures.Count, failures.Take(5).ToArray(),
            options.Resamples, options.Seed, signal, refusals, calibration)
        { Labels = reference };
    }

    private const int CalibrationBins = 10;

    /// <summary>The outcome signal at each position: the probed turns (protocol probe rule) of conversations with a known
    /// outcome that carry a human stage and an instrument label.</summary>
    private static IReadOnlyList<OutcomeSignal> OutcomeSignals(List<(Conversation C, int Turn, Stage Human)> items,
        IReadOnlyList<Answer<DecisionState>> results, IReadOnlyList<double> positions)
    {
        var at = new Dictionary<(Conversation, int), int>();
        for (var i = 0; i < items.Count; i++) at.TryAdd((items[i].C, items[i].Turn), i);
        var probed = new List<CriterionItem>();
        foreach (var position in positions)
            foreach (var c in items.Select(x => x.C).Distinct())
            {
                if (c.Outcome.Converted is not { } converted) continue;
                foreach (var probe in ProbeSelector.Select(c, new ProbeOptions([position])))
                    if (at.TryGetValue((c, probe.TurnIndex), out var i) && results[i] is { IsOk: true, Value: { } state })
                        probed.Add(new CriterionItem(position, converted, items[i].Human, state.Stage));
            }
        return CriterionValidity.OutcomeSignals(probed);
    }

    /// <summary>Agreement figures of grouped (human, instrument) stage indices.</summary>
    public static AgreementFigures Figures(IReadOnlyList<(int[] Reference, int[] Predicted)> groups, IReadOnlyList<int[]> resamples, double level)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var h = groups.SelectMany(g => g.Reference).ToArray();
        var p = groups.SelectMany(g => g.Predicted).ToArray();
        double[] Ci(Func<int[], int[], double> stat)
        {
            var ci = Agreement.BootstrapCi(groups, stat, resamples, level);
            return [ci.Lower, ci.Upper];
        }
        var m = Agreement.ConfusionMatrix(h, p, K);
        var confusion = Enumerable.Range(0, K).Select(i => Enumerable.Range(0, K).Select(j => m[i, j]).ToArray()).ToArray();
        var per = Agreement.PerClass(h, p, K)
            .Select(s => new StageScore(StateNames.Of((Stage)s.Class), s.Support, s.Predicted, s.Precision, s.Recall))
            .ToImmutableArray();
        return new AgreementFigures(h.Length, Agreement.Accuracy(h, p), Agreement.CohensKappaQuadratic(h, p, K),
            Agreement.KrippendorffAlphaOrdinal(h, p, K),
            new AgreementIntervals(Ci((a, b) => Agreement.Accuracy(a, b)), Ci((a, b) => Agreement.CohensKappaQuadratic(a, b, K)),
                Ci((a, b) => Agreement.KrippendorffAlphaOrdinal(a, b, K))),
            confusion, per);
    }

    internal static async Task<IReadOnlyList<Answer<DecisionState>>> LabelAllAsync(IInstrument instrument, IReadOnlyList<LabelRequest> requests,
        InstrumentValidationOptions options, CancellationToken ct)
    {
        if (instrument is LearnedInstrument learned)
        {
            var all = new List<Answer<DecisionState>>(requests.Count);
            for (var start = 0; start < requests.Count; start += 512)
            {
                var batch = requests.Skip(start).Take(512).ToList();
                all.AddRange(await learned.LabelManyAsync(batch, ct));
                options.Progress?.Report($"  {all.Count}/{requests.Count} labelled");
            }
            return all;
        }
        var results = new Answer<DecisionState>[requests.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, requests.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxConcurrency), CancellationToken = ct },
            async (i, token) =>
            {
                // A failed call is a recorded failure, not the end of the validation; a spent budget does stop it
                // (every further call would fail the same way).
                results[i] = await Models.AnswerGuard.RunAsync(t => instrument.LabelAsync(requests[i], t), null, token);
                var n = Interlocked.Increment(ref done);
                if (n % 50 == 0 || n == requests.Count) options.Progress?.Report($"  {n}/{requests.Count} labelled");
            });
        return results;
    }
}
