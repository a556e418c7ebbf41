using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dfid.Corpus;
using Dfid.Embeddings;

namespace Dfid.Instrument.Learned;

/// <summary>One human-labelled user turn for the stage model.</summary>
internal sealed record StageExample(string ConversationKey, int TurnIndex, string Text, StageContext Context, int Label);

/// <summary>Collects examples, hashes them, trains (or loads) the fold and full models.</summary>
internal static class LearnedTrainer
{
    /// <summary>Lexical n-grams must occur in at least this many training turns of a model to become its features.</summary>
    public const int MinDocumentFrequency = 2;

    public static List<TrainingExample> ActionExamples(ActMapping mapping, IReadOnlyList<Conversation> corpus)
    {
        var list = new List<TrainingExample>();
        foreach (var c in corpus)
        {
            var key = LearnedModel.Key(c);
            for (var i = 0; i < c.Turns.Length; i++)
            {
                if (mapping.ActionOfTurn(c, i) is not { } label) continue;
                var (context, ordinal) = TurnFeatures.Context(c, i);
                list.Add(new TrainingExample(key, i, c.Turns[i].Text, context, ordinal, (int)label));
            }
        }
        return list;
    }

    public static List<StageExample> StageExamples(ActMapping mapping, IReadOnlyList<Conversation> corpus) =>
        StageExamples(mapping.StageOfTurn, corpus);

    /// <summary>The user turns of <paramref name="corpus"/> that <paramref name="stageOf"/> gives a human stage.</summary>
    public static List<StageExample> StageExamples(Func<Conversation, int, Stage?> stageOf, IReadOnlyList<Conversation> corpus)
    {
        var list = new List<StageExample>();
        foreach (var c in corpus)
        {
            var key = LearnedModel.Key(c);
            for (var i = 0; i < c.Turns.Length; i++)
                if (c.Turns[i].Role == Role.User && stageOf(c, i) is { } label)
                    list.Add(new StageExample(key, i, c.Turns[i].Text, StageContext.Of(c, i), (int)label));
        }
        return list;
    }

    /// <summary>SHA-256 over the model format, feature layout, options, embedder, the training sources (when given) and every
    /// training turn with its context and label.</summary>
    public static string Hash(LearnedTarget target, LearnedInstrumentOptions o, ITextEmbedder embedder,
        IEnumerable<(string Key, int Turn, string Text, string? Context, string? Context2, int Label)> examples, string? sources = null)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) { h.AppendData(Encoding.UTF8.GetBytes(s)); h.AppendData([0]); }
        Add(LearnedModel.FormatTag);
        Add(target == LearnedTarget.Stage ? StageFeatures.Version : TurnFeatures.Version);
        Add(target.ToString());
        Add(o.Mapping.Hash);
        Add(string.Create(CultureInfo.InvariantCulture, $"{o.Folds}|{o.L2:R}|{o.MaxIterations}|w{o.ClassWeightPower:R}"));
        if (target == LearnedTarget.Stage)
            Add(string.Create(CultureInfo.InvariantCulture,
                $"inner{o.InnerFolds}|it{o.StageIterations}|lex{o.LexicalL2:R}|df{MinDocumentFrequency}|cap{o.MaxResistingAtDeciding:R}|margin{StageDecisionRule.ShiftMargin:R}|" +
                $"shifts{string.Join(",", StageDecisionRule.Shifts)}|thresholds{string.Join(",", StageDecisionRule.Thresholds)}"));
        Add($"{embedder.ModelId}|{embedder.Dimensions}");
        // Absent for a model trained on the run's own corpus, so those hashes (and cached models) stay as they were.
        if (sources is not null) Add("sources|" + sources);
        foreach (var e in examples.OrderBy(e => e.Key, StringComparer.Ordinal).ThenBy(e => e.Turn))
        {
            Add(e.Key);
            Add(e.Turn.ToString(CultureInfo.InvariantCulture));
            Add(e.Text);
            Add(e.Context ?? "\u0001none");
            Add(e.Context2 ?? "\u0001none");
            Add(e.Label.ToString(CultureInfo.InvariantCulture));
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

    /// <summary>Loads the model of these training turns from the cache, or trains and saves it.</summary>
    /// <param name="target">Stage or action model.</param>
    /// <param name="classes">Class names in label order.</param>
    /// <param name="options">Training options (the mapping labels the corpus unless <paramref name="stageOf"/> is given).</param>
    /// <param name="corpus">The training conversations.</param>
    /// <param name="embedder">The sentence embedder.</param>
    /// <param name="ct">Cancels training.</param>
    /// <param name="stageOf">Stage model only: the human stage of a user turn (a labels file, several sources); null: the mapping's acts.</param>
    /// <param name="sources">Identity of the training sources, hashed into the training hash; null for the run's own corpus.</param>
    public static LearnedModel LoadOrTrain(LearnedTarget target, string[] classes, LearnedInstrumentOptions options,
        IReadOnlyList<Conversation> corpus, ITextEmbedder embedder, CancellationToken ct,
        Func<Conversation, int, Stage?>? stageOf = null, string? sources = null)
    {
        options.Validate();
        var name = target.ToString().ToLowerInvariant();
        List<TrainingExample>? actions = null;
        List<StageExample>? stages = null;
        string hash;
        IReadOnlyList<string> keys;
        if (target == LearnedTarget.Stage)
        {
            stages = StageExamples(stageOf ?? options.Mapping.StageOfTurn, corpus);
            keys = [.. stages.Select(e => e.ConversationKey)];
            hash = Hash(target, options, embedder, stages.Select(e => (e.ConversationKey, e.TurnIndex, e.Text, e.Context.Agent, e.Context.PreviousUser, e.Label)), sources);
        }
        else
        {
            actions = ActionExamples(options.Mapping, corpus);
            keys = [.. actions.Select(e => e.ConversationKey)];
            hash = Hash(target, options, embedder, actions.Select(e => (e.ConversationKey, e.TurnIndex, e.Text, e.Context, (string?)null, e.Label)));
        }
        var conversations = keys.Distinct().Count();
        if (conversations < options.Folds)
            throw new DfidException(sources is not null
                ? $"learned {name} model: the training sources ({sources}) have human labels in {conversations} conversation(s); at least {options.Folds} " +
                  "(the number of folds) are needed. Add labelled conversations (dfid annotate) or a corpus with mapped acts."
                : $"learned {name} model: {conversations} conversation(s) carry '{LabelSet(target, options.Mapping)}' labels " +
                  $"mapped by {options.Mapping.Source}; at least {options.Folds} (the number of folds) are needed. " +
                  "Use an annotated corpus (e.g. the PersuasionForGood 300 annotated dialogues), or train on one from another corpus " +
                  "(learned: { kind: learned, train: [p4g.jsonl] }, or --train FILE), or on your own labels (dfid annotate).", 1);
        var path = Path.Combine(options.CacheDirectory, $"learned-{name}-{hash[..16]}.json");
        if (!options.ForceRetrain && LearnedModel.TryLoad(path, hash) is { } cached)
        {
            options.Progress?.Report($"learned {name} model loaded from {path}");
            return cached;
        }
        var model = target == LearnedTarget.Stage
            ? StageTrainer.Train(stages!, classes, options, embedder, hash, ct)
            : TrainActions(actions!, classes, options, embedder, hash, ct);
        model.Save(path);
        options.Progress?.Report($"learned {name} model saved to {path}");
        return model;
    }

    private static LearnedModel TrainActions(List<TrainingExample> examples, string[] classes, LearnedInstrumentOptions options,
        ITextEmbedder embedder, string hash, CancellationToken ct)
    {
        var conversations = examples.Select(e => e.ConversationKey).Distinct().Count();
        options.Progress?.Report($"training learned action model: {examples.Count} turns, {conversations} conversations, {options.Folds} folds");
        var dense = FeaturiseActions(examples, embedder, ct);
        var labels = examples.Select(e => e.Label).ToArray();
        var foldOf = AssignFolds(examples.Select(e => e.ConversationKey), options.Folds);
        var weights = ClassWeights(labels, classes.Length, options.ClassWeightPower);
        var empty = new Lexicon([], []);
        var noLexical = new Dictionary<int, int>[examples.Count][];
        Array.Fill(noLexical, []);
        Submodel Fit(int[] rows)
        {
            var x = empty.Rows(rows, dense, noLexical);
            var w = SoftmaxRegression.Train(x, [.. rows.Select(i => labels[i])], classes.Length, options.L2, 0, options.MaxIterations,
                weights is null ? null : [.. rows.Select(i => weights[i])], ct);
            return Submodel.From(w, x.DenseDims, empty, null);
        }
        var folds = new Submodel[options.Folds];
        for (var k = 0; k < options.Folds; k++)
        {
            folds[k] = Fit([.. Enumerable.Range(0, examples.Count).Where(i => foldOf[examples[i].ConversationKey] != k)]);
            options.Progress?.Report($"  fold {k + 1}/{options.Folds} trained");
        }
        var full = Fit([.. Enumerable.Range(0, examples.Count)]);
        return new LearnedModel(LearnedModel.FormatTag, "action", hash, options.Mapping.Source, options.Mapping.Hash, TurnFeatures.Version,
            embedder.Dimensions, classes, options.Folds, foldOf, folds, full, examples.Count, Counts(labels, classes.Length),
            options.L2, 0, 0, options.Clock.GetUtcNow());
    }

    /// <summary>Per-turn weights <c>(n / (K · n_class))^power</c>, or null when <paramref name="power"/> is 0.</summary>
    public static double[]? ClassWeights(int[] labels, int classes, double power)
    {
        if (power == 0) return null;
        var freq = Counts(labels, classes);
        return [.. labels.Select(l => Math.Pow((double)labels.Length / (classes * freq[l]), power))];
    }

    public static int[] Counts(IEnumerable<int> labels, int classes)
    {
        var counts = new int[classes];
        foreach (var l in labels) counts[l]++;
        return counts;
    }

    private static string LabelSet(LearnedTarget t, ActMapping m) => t == LearnedTarget.Stage ? m.StageLabelSet : m.ActionLabelSet;

    private static float[][] FeaturiseActions(List<TrainingExample> examples, ITextEmbedder embedder, CancellationToken ct)
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
