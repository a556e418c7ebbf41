using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument.Learned;
using Dfid.Probing;

namespace Dfid.Willingness;

/// <summary>The trained weights as cached: an outcome and a hazard model per fold and over all conversations.</summary>
/// <param name="Format"><see cref="FormatTag"/>.</param>
/// <param name="TrainingHash">SHA-256 of the training data, features, options and stage model.</param>
/// <param name="Features">Feature layout version.</param>
/// <param name="StageModelHash">Training hash of the learned stage model whose probabilities are features.</param>
/// <param name="EmbeddingDimensions">Sentence vector length.</param>
/// <param name="Folds">Number of folds.</param>
/// <param name="FoldOf">Conversation key → fold.</param>
/// <param name="OutcomeFolds">P(converted) models, one per fold, each fitted without its fold's conversations.</param>
/// <param name="OutcomeFull">P(converted) fitted on every conversation (serves conversations outside the training data).</param>
/// <param name="HazardFolds">Exit hazard models (non-converters' at-risk points), one per fold.</param>
/// <param name="HazardFull">Exit hazard fitted on every non-converter.</param>
/// <param name="Conversations">Training conversations.</param>
/// <param name="Converted">Of which converted.</param>
/// <param name="OutcomeRows">Points of the outcome model.</param>
/// <param name="HazardRows">At-risk points of the hazard model.</param>
/// <param name="HazardEvents">Of which real exits.</param>
/// <param name="L2">L2 penalty.</param>
/// <param name="MaxIterations">L-BFGS iteration cap.</param>
/// <param name="TrainedAt">When it was trained.</param>
internal sealed record WillingnessWeights(
    string Format,
    string TrainingHash,
    string Features,
    string StageModelHash,
    int EmbeddingDimensions,
    int Folds,
    Dictionary<string, int> FoldOf,
    Submodel[] OutcomeFolds,
    Submodel OutcomeFull,
    Submodel[] HazardFolds,
    Submodel HazardFull,
    int Conversations,
    int Converted,
    int OutcomeRows,
    int HazardRows,
    int HazardEvents,
    double L2,
    int MaxIterations,
    DateTimeOffset TrainedAt)
{
    public const string FormatTag = "dfid.willingness-model/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public void Save(string path)
    {
        AtomicFile.Write(path, stream =>
        {
            JsonSerializer.Serialize(stream, this, Json);
            return 0;
        });
    }

    public static WillingnessWeights? TryLoad(string path, string expectedHash)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<WillingnessWeights>(File.ReadAllText(path), Json);
            // A file written by another feature layout under the same hash (a layout change without a version bump) is retrained.
            var dims = m is null ? -1 : WillingnessFeatures.DenseLength(m.EmbeddingDimensions);
            return m is not null && m.Format == FormatTag && m.TrainingHash == expectedHash && m.Features == WillingnessFeatures.Version
                && m.OutcomeFolds.Append(m.OutcomeFull).Concat(m.HazardFolds).Append(m.HazardFull).All(s => s.DenseDims == dims) ? m : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or NotSupportedException)
        {
            return null; // a damaged cache file is retrained and overwritten
        }
    }
}

/// <summary>The training data of the willingness model, drawn from a corpus: every place a real user turn was due.</summary>
/// <remarks>
/// A point is a user turn of a conversation with a known outcome (before a converted conversation's decision, with an agent
/// turn before it), plus the end of a conversation that ends on an agent turn. Outcome rows: every point, labelled with
/// the conversation's outcome. Hazard rows: the points of non-converted conversations; the event is the real exit point
/// (<see cref="ProbeSelector.ExitPoint(Conversation)"/>: the last agent turn, never answered). Converters never exit (they
/// are cut at their decision), so the hazard is the hazard of leaving for an unwilling user.
/// </remarks>
internal sealed record WillingnessData(IReadOnlyList<Conversation> Conversations, IReadOnlyList<WillingnessPoint> Points,
    int[] Outcome, int[] ConversationOf, bool[] IsEnd)
{
    public static WillingnessData From(IReadOnlyList<Conversation> corpus)
    {
        var conversations = corpus.Where(c => c.Outcome.Converted is not null).ToList();
        var points = new List<WillingnessPoint>();
        var outcome = new List<int>();
        var of = new List<int>();
        var end = new List<bool>();
        for (var k = 0; k < conversations.Count; k++)
        {
            var c = conversations[k];
            var y = c.Outcome.Converted == true ? 1 : 0;
            foreach (var t in ProbeSelector.EligibleUserTurns(c, skipGreeting: false))
            {
                points.Add(new WillingnessPoint(c, t));
                outcome.Add(y);
                of.Add(k);
                end.Add(false);
            }
            if (c.Turns.Length > 0 && c.Turns[^1].Role == Role.Agent && c.LastTurnBefore(c.Turns.Length, Role.User) >= 0)
            {
                points.Add(new WillingnessPoint(c, c.Turns.Length));
                outcome.Add(y);
                of.Add(k);
                end.Add(true);
            }
        }
        return new WillingnessData(conversations, points, [.. outcome], [.. of], [.. end]);
    }

    /// <summary>Whether point <paramref name="i"/> is a hazard row (a non-converter's point).</summary>
    public bool AtRisk(int i) => Outcome[i] == 0;

    /// <summary>Whether point <paramref name="i"/> is a real exit (the end of a non-converted conversation that ends on an agent turn).</summary>
    public bool IsExit(int i) => Outcome[i] == 0 && IsEnd[i];

    public string Key(int i) => LearnedModel.Key(Conversations[ConversationOf[i]]);
}

/// <summary>Hashes, trains (cross-fitted) and caches the willingness model.</summary>
internal static class WillingnessTrainer
{
    /// <summary>SHA-256 over the format, features, options, embedder, stage model and every training conversation (key,
    /// outcome, turns).</summary>
    public static string Hash(WillingnessOptions o, ITextEmbedder embedder, string stageModelHash, IReadOnlyList<Conversation> conversations)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) { h.AppendData(Encoding.UTF8.GetBytes(s)); h.AppendData([0]); }
        Add(WillingnessWeights.FormatTag);
        Add(WillingnessFeatures.Version);
        Add(string.Create(CultureInfo.InvariantCulture, $"{o.Folds}|{o.L2:R}|{o.MaxIterations}"));
        Add($"{embedder.ModelId}|{embedder.Dimensions}");
        Add(stageModelHash);
        foreach (var c in conversations.OrderBy(LearnedModel.Key, StringComparer.Ordinal))
        {
            Add(LearnedModel.Key(c));
            Add(c.Outcome.Converted == true ? "1" : "0");
            foreach (var t in c.Turns)
            {
                Add(t.Role.ToString());
                Add(t.Text);
            }
            Add("\u0001end");
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    public static WillingnessWeights LoadOrTrain(WillingnessOptions options, WillingnessData data, StageProbabilities stages,
        ITextEmbedder embedder, CancellationToken ct)
    {
        options.Validate();
        var converted = data.Conversations.Count(c => c.Outcome.Converted == true);
        if (converted < options.Folds || data.Conversations.Count - converted < options.Folds)
            throw new DfidException(
                $"willingness model: the training corpus has {converted} converted and {data.Conversations.Count - converted} not-converted conversations with a known outcome; " +
                $"each outcome needs at least {options.Folds} (the number of folds). Train on a corpus with real outcomes of both kinds.", 1);
        var hash = Hash(options, embedder, stages.ModelHash, data.Conversations);
        var path = Path.Combine(options.CacheDirectory, $"willingness-{hash[..16]}.json");
        if (!options.ForceRetrain && WillingnessWeights.TryLoad(path, hash) is { } cached)
        {
            options.Progress?.Report($"willingness model loaded from {path}");
            return cached;
        }
        var features = Featurise(data, stages, embedder, options.Progress, ct);
        var model = Train(options, data, features, hash, stages.ModelHash, embedder.Dimensions, ct);
        model.Save(path);
        options.Progress?.Report($"willingness model saved to {path}");
        return model;
    }

    public static float[][] Featurise(WillingnessData data, StageProbabilities stages, ITextEmbedder embedder, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report($"willingness features: {data.Points.Count} points of {data.Conversations.Count} conversations (stage probabilities and MiniLM of every user and agent turn)");
        return WillingnessFeatures.Build(data.Points, stages, embedder, ct);
    }

    /// <summary>Folds by conversation over every training conversation (whatever its outcome), as the learned instrument deals them.</summary>
    public static Dictionary<string, int> Folds(WillingnessData data, int folds) =>
        LearnedTrainer.AssignFolds(data.Conversations.Select(LearnedModel.Key), folds);

    public static WillingnessWeights Train(WillingnessOptions options, WillingnessData data, float[][] features, string hash, string stageHash,
        int embeddingDims, CancellationToken ct)
    {
        var foldOf = Folds(data, options.Folds);
        var n = data.Points.Count;
        var fold = Enumerable.Range(0, n).Select(i => foldOf[data.Key(i)]).ToArray();
        var hazardRows = Enumerable.Range(0, n).Where(data.AtRisk).ToArray();
        var exits = hazardRows.Count(data.IsExit);
        options.Progress?.Report($"training willingness model: {n} points ({hazardRows.Length} at risk of exit, {exits} exits), " +
            $"{data.Conversations.Count} conversations, {options.Folds} folds");
        var clock = options.Clock.GetTimestamp();
        Submodel FitOutcome(IEnumerable<int> rows) => Fit(features, [.. rows], i => data.Outcome[i], options, ct);
        Submodel FitHazard(IEnumerable<int> rows) => Fit(features, [.. rows], i => data.IsExit(i) ? 1 : 0, options, ct);
        var outcomeFolds = new Submodel[options.Folds];
        var hazardFolds = new Submodel[options.Folds];
        for (var k = 0; k < options.Folds; k++)
        {
            outcomeFolds[k] = FitOutcome(Enumerable.Range(0, n).Where(i => fold[i] != k));
            hazardFolds[k] = FitHazard(hazardRows.Where(i => fold[i] != k));
        }
        var outcomeFull = FitOutcome(Enumerable.Range(0, n));
        var hazardFull = FitHazard(hazardRows);
        options.Progress?.Report($"willingness model trained in {options.Clock.GetElapsedTime(clock).TotalSeconds:0.0} s");
        return new WillingnessWeights(WillingnessWeights.FormatTag, hash, WillingnessFeatures.Version, stageHash, embeddingDims, options.Folds, foldOf,
            outcomeFolds, outcomeFull, hazardFolds, hazardFull, data.Conversations.Count, data.Conversations.Count(c => c.Outcome.Converted == true),
            n, hazardRows.Length, exits, options.L2, options.MaxIterations, options.Clock.GetUtcNow());
    }

    /// <summary>A two-class softmax (logistic) model of <paramref name="label"/> on the dense rows <paramref name="rows"/>.</summary>
    public static Submodel Fit(float[][] features, int[] rows, Func<int, int> label, WillingnessOptions options, CancellationToken ct)
    {
        var x = Rows(features, rows);
        var w = SoftmaxRegression.Train(x, [.. rows.Select(label)], 2, options.L2, 0, options.MaxIterations, null, ct);
        return Submodel.From(w, x.DenseDims, new Lexicon([], []), null);
    }

    public static FeatureRows Rows(float[][] features, int[] rows)
    {
        var d = rows.Length == 0 ? 0 : features[rows[0]].Length;
        var dense = new float[rows.Length * d];
        for (var k = 0; k < rows.Length; k++) Array.Copy(features[rows[k]], 0, dense, k * d, d);
        return new FeatureRows(d, 0, dense, new int[rows.Length + 1], [], []);
    }

    /// <summary>P(class 1) of a two-class model on one row.</summary>
    public static double Probability(Submodel model, float[] row)
    {
        Span<double> logits = stackalloc double[2];
        model.Logits(row, null, 2, logits);
        return 1 / (1 + Math.Exp(logits[0] - logits[1]));
    }
}
