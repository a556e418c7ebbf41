using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Embeddings;

namespace Dfid.Instrument.Learned;

/// <summary>What a learned model predicts.</summary>
internal enum LearnedTarget
{
    Stage,
    Action,
}

/// <summary>One human-labelled training turn.</summary>
internal sealed record TrainingExample(string ConversationKey, int TurnIndex, string Text, string? Context, int Ordinal, int Label);

/// <summary>A trained classifier set: one model per fold (each excluding its fold's conversations) and a full model.</summary>
internal sealed record LearnedModel(
    string Format,
    string Target,
    string TrainingHash,
    string MappingSource,
    string MappingHash,
    string Features,
    int EmbeddingDimensions,
    string[] Classes,
    int Folds,
    Dictionary<string, int> FoldOf,
    double[][] FoldWeights,
    double[] FullWeights,
    int Examples,
    int[] ClassCounts,
    double L2,
    DateTimeOffset TrainedAt)
{
    public const string FormatTag = "dfid.learned-model/1";

    public int FeatureLength => TurnFeatures.Length(EmbeddingDimensions);

    /// <summary>The weights to use for a conversation: its fold's model if it was trained on, else the full model.</summary>
    public (double[] Weights, int? Fold) WeightsFor(string conversationKey) =>
        FoldOf.TryGetValue(conversationKey, out var fold) ? (FoldWeights[fold], fold) : (FullWeights, null);

    public static string Key(Conversation c) => c.Source.Dataset + "/" + c.Id;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public static LearnedModel? TryLoad(string path, string expectedHash)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<LearnedModel>(File.ReadAllText(path), Json);
            return m is not null && m.Format == FormatTag && m.TrainingHash == expectedHash ? m : null;
        }
        catch (JsonException)
        {
            return null; // a damaged cache file is retrained and overwritten
        }
    }
}

/// <summary>Collects examples, hashes them, trains (or loads) the fold and full models.</summary>
internal static class LearnedTrainer
{
    public static List<TrainingExample> Examples(LearnedTarget target, ActMapping mapping, IReadOnlyList<Conversation> corpus)
    {
        var list = new List<TrainingExample>();
        foreach (var c in corpus)
        {
            var key = LearnedModel.Key(c);
            for (var i = 0; i < c.Turns.Length; i++)
            {
                int? label = target == LearnedTarget.Stage
                    ? (int?)mapping.StageOfTurn(c, i)
                    : (int?)mapping.ActionOfTurn(c, i);
                if (label is null) continue;
                var (context, ordinal) = TurnFeatures.Context(c, i);
                list.Add(new TrainingExample(key, i, c.Turns[i].Text, context, ordinal, label.Value));
            }
        }
        return list;
    }

    public static string Hash(LearnedTarget target, LearnedInstrumentOptions o, ITextEmbedder embedder, List<TrainingExample> examples)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) { h.AppendData(Encoding.UTF8.GetBytes(s)); h.AppendData([0]); }
        Add(LearnedModel.FormatTag);
        Add(TurnFeatures.Version);
        Add(target.ToString());
        Add(o.Mapping.Hash);
        Add($"{o.Folds}|{o.L2:R}|{o.MaxIterations}" + (o.ClassWeightPower != 0 ? $"|w{o.ClassWeightPower:R}" : ""));
        Add($"{embedder.ModelId}|{embedder.Dimensions}");
        foreach (var e in examples.OrderBy(e => e.ConversationKey, StringComparer.Ordinal).ThenBy(e => e.TurnIndex))
        {
            Add(e.ConversationKey);
            Add(e.TurnIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(e.Text);
            Add(e.Context ?? "\u0001none");
            Add(e.Label.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>Folds by conversation: keys sorted by their SHA-256, dealt round-robin (balanced, independent of corpus order).</summary>
    public static Dictionary<string, int> AssignFolds(IEnumerable<string> keys, int folds)
    {
        var ordered = keys.Distinct(StringComparer.Ordinal)
            .OrderBy(k => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(k))), StringComparer.Ordinal)
            .ToList();
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < ordered.Count; i++) map[ordered[i]] = i % folds;
        return map;
    }

    public static LearnedModel LoadOrTrain(LearnedTarget target, string[] classes, LearnedInstrumentOptions options,
        IReadOnlyList<Conversation> corpus, ITextEmbedder embedder, CancellationToken ct)
    {
        options.Validate();
        var examples = Examples(target, options.Mapping, corpus);
        var conversations = examples.Select(e => e.ConversationKey).Distinct().Count();
        if (conversations < options.Folds)
            throw new DfidException(
                $"learned {target.ToString().ToLowerInvariant()} model: {conversations} conversation(s) carry '{LabelSet(target, options.Mapping)}' labels " +
                $"mapped by {options.Mapping.Source}; at least {options.Folds} (the number of folds) are needed. " +
                "Use an annotated corpus (e.g. the PersuasionForGood 300 annotated dialogues).", 1);
        var hash = Hash(target, options, embedder, examples);
        var path = Path.Combine(options.CacheDirectory, $"learned-{target.ToString().ToLowerInvariant()}-{hash[..16]}.json");
        if (!options.ForceRetrain && LearnedModel.TryLoad(path, hash) is { } cached)
        {
            options.Progress?.Report($"learned {target.ToString().ToLowerInvariant()} model loaded from {path}");
            return cached;
        }
        options.Progress?.Report($"training learned {target.ToString().ToLowerInvariant()} model: {examples.Count} turns, {conversations} conversations, {options.Folds} folds");
        var features = Featurise(examples, embedder, ct);
        var labels = examples.Select(e => e.Label).ToArray();
        var foldOf = AssignFolds(examples.Select(e => e.ConversationKey), options.Folds);
        double[]? weights = null;
        if (options.ClassWeightPower != 0)
        {
            var freq = new int[classes.Length];
            foreach (var l in labels) freq[l]++;
            weights = labels.Select(l => Math.Pow((double)labels.Length / (classes.Length * freq[l]), options.ClassWeightPower)).ToArray();
        }
        var foldWeights = new double[options.Folds][];
        for (var k = 0; k < options.Folds; k++)
        {
            var idx = Enumerable.Range(0, examples.Count).Where(i => foldOf[examples[i].ConversationKey] != k).ToArray();
            foldWeights[k] = SoftmaxRegression.Train(idx.Select(i => features[i]).ToArray(), idx.Select(i => labels[i]).ToArray(),
                classes.Length, options.L2, options.MaxIterations, weights is null ? null : idx.Select(i => weights[i]).ToArray(), ct);
            options.Progress?.Report($"  fold {k + 1}/{options.Folds} trained");
        }
        var full = SoftmaxRegression.Train(features, labels, classes.Length, options.L2, options.MaxIterations, weights, ct);
        var counts = new int[classes.Length];
        foreach (var l in labels) counts[l]++;
        var model = new LearnedModel(LearnedModel.FormatTag, target.ToString().ToLowerInvariant(), hash, options.Mapping.Source,
            options.Mapping.Hash, TurnFeatures.Version, embedder.Dimensions, classes, options.Folds, foldOf, foldWeights, full,
            examples.Count, counts, options.L2, DateTimeOffset.UtcNow);
        model.Save(path);
        options.Progress?.Report($"learned {target.ToString().ToLowerInvariant()} model saved to {path}");
        return model;
    }

    private static string LabelSet(LearnedTarget t, ActMapping m) => t == LearnedTarget.Stage ? m.StageLabelSet : m.ActionLabelSet;

    private static float[][] Featurise(List<TrainingExample> examples, ITextEmbedder embedder, CancellationToken ct)
    {
        var texts = new List<string>(examples.Count * 2);
        foreach (var e in examples)
        {
            texts.Add(e.Text);
            if (e.Context is not null) texts.Add(e.Context);
        }
        var vectors = embedder.Embed(texts, ct);
        var result = new float[examples.Count][];
        var at = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            var tv = vectors[at++];
            var cv = e.Context is not null ? vectors[at++] : null;
            result[i] = TurnFeatures.Build(tv, cv, e.Ordinal, e.Text);
        }
        return result;
    }
}
