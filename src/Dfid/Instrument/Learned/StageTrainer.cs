using Dfid.Embeddings;

namespace Dfid.Instrument.Learned;

/// <summary>
/// Trains the learned stage model with nested cross-validation. For each outer fold (and for the full model), the
/// decision rule (temperature, class-weighting shift, deciding threshold; <see cref="StageDecisionRule.Select"/>) is
/// chosen on out-of-fold logits of models that never saw the turns they scored: inner folds inside the outer fold's
/// training conversations, and, for the full model, the outer fold models themselves. The turns an outer fold reports
/// on are never used to choose anything about the model that labels them.
/// </summary>
internal static class StageTrainer
{
    public static LearnedModel Train(List<StageExample> examples, string[] classes, LearnedInstrumentOptions options,
        ITextEmbedder embedder, string hash, CancellationToken ct)
    {
        var started = options.Clock.GetTimestamp();
        var keys = examples.Select(e => e.ConversationKey).ToArray();
        var conversations = keys.Distinct().Count();
        options.Progress?.Report($"training learned stage model: {examples.Count} turns, {conversations} conversations, " +
                                 $"{options.Folds} folds with {options.InnerFolds} inner folds each");
        var data = Featurise(examples, embedder, ct);
        var k = classes.Length;
        var foldOf = LearnedTrainer.AssignFolds(keys, options.Folds);
        var all = Enumerable.Range(0, examples.Count).ToArray();

        Submodel Fit(int[] rows, StageDecisionRule? rule)
        {
            var lexicon = Lexicon.Build([.. rows.Select(i => data.Lexical[i])], LearnedTrainer.MinDocumentFrequency);
            var x = lexicon.Rows(rows, data.Dense, data.Lexical);
            var y = rows.Select(i => data.Labels[i]).ToArray();
            var w = SoftmaxRegression.Train(x, y, k, options.L2, options.LexicalL2, options.StageIterations,
                LearnedTrainer.ClassWeights(y, k, options.ClassWeightPower), ct);
            return Submodel.From(w, x.DenseDims, lexicon, rule);
        }

        double[] Logits(Submodel m, int i)
        {
            var l = new double[k];
            m.Logits(data.Dense[i], data.Lexical[i], k, l);
            return l;
        }

        StageDecisionRule Rule(int[] rows, IReadOnlyList<double[]> oofLogits)
        {
            var offsets = StageDecisionRule.Offsets(LearnedTrainer.Counts(rows.Select(i => data.Labels[i]), k));
            return StageDecisionRule.Select(oofLogits, [.. rows.Select(i => data.Labels[i])], [.. rows.Select(i => data.Refusal[i])],
                offsets, options.MaxResistingAtDeciding);
        }

        // The rule of a model trained on `rows`, from inner folds of those rows' conversations.
        StageDecisionRule InnerRule(int[] rows)
        {
            var inner = LearnedTrainer.AssignFolds(rows.Select(i => keys[i]), options.InnerFolds);
            if (inner.Count < options.InnerFolds || inner.Values.Distinct().Count() < 2)
                return new StageDecisionRule(1, 0, StageDecisionRule.Offsets(LearnedTrainer.Counts(rows.Select(i => data.Labels[i]), k)), 0);
            var logits = new double[rows.Length][];
            for (var j = 0; j < options.InnerFolds; j++)
            {
                var train = rows.Where(i => inner[keys[i]] != j).ToArray();
                var model = Fit(train, null);
                for (var r = 0; r < rows.Length; r++)
                    if (inner[keys[rows[r]]] == j) logits[r] = Logits(model, rows[r]);
            }
            return Rule(rows, logits);
        }

        // The outer folds are independent: two at a time keep both cores busy through the serial parts of a fit
        // (lexicon, L-BFGS bookkeeping). Every fit is deterministic, so the result does not depend on the schedule.
        var folds = new Submodel[options.Folds];
        var outer = new double[examples.Count][];
        var rules = new StageDecisionRule[options.Folds];
        Parallel.For(0, options.Folds, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct }, f =>
        {
            var rows = all.Where(i => foldOf[keys[i]] != f).ToArray();
            rules[f] = InnerRule(rows);
            folds[f] = Fit(rows, rules[f]);
            foreach (var i in all.Where(i => foldOf[keys[i]] == f)) outer[i] = Logits(folds[f], i);
        });
        for (var f = 0; f < options.Folds; f++)
            options.Progress?.Report(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  fold {f + 1}/{options.Folds} trained (temperature {rules[f].Temperature:0.00}, class shift {rules[f].PriorShift:0.00}, deciding threshold {rules[f].DecidingThreshold:0.00})"));
        var fullRule = Rule(all, outer);
        var full = Fit(all, fullRule);
        options.Progress?.Report(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"  full model trained (temperature {fullRule.Temperature:0.00}, class shift {fullRule.PriorShift:0.00}, deciding threshold {fullRule.DecidingThreshold:0.00}) " +
            $"in {options.Clock.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return new LearnedModel(LearnedModel.FormatTag, "stage", hash, options.Mapping.Source, options.Mapping.Hash, StageFeatures.Version,
            embedder.Dimensions, classes, options.Folds, foldOf, folds, full, examples.Count, LearnedTrainer.Counts(data.Labels, k),
            options.L2, options.LexicalL2, options.InnerFolds, options.Clock.GetUtcNow());
    }

    private sealed record Data(float[][] Dense, Dictionary<int, int>[][] Lexical, int[] Labels, bool[] Refusal);

    private static Data Featurise(List<StageExample> examples, ITextEmbedder embedder, CancellationToken ct)
    {
        var texts = new List<string>();
        foreach (var e in examples)
        {
            texts.Add(e.Text);
            if (e.Context.Agent is { } a) texts.Add(a);
            if (e.Context.PreviousUser is { } u) texts.Add(u);
        }
        var vectors = embedder.Embed(texts, ct);
        var dense = new float[examples.Count][];
        var at = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            var tv = vectors[at++];
            var av = e.Context.Agent is not null ? vectors[at++] : null;
            var uv = e.Context.PreviousUser is not null ? vectors[at++] : null;
            dense[i] = StageFeatures.Dense(tv, av, uv, e.Context.Ordinal, e.Text);
        }
        return new Data(dense, [.. examples.Select(e => StageFeatures.Lexical(e.Text))], [.. examples.Select(e => e.Label)],
            [.. examples.Select(e => CommitmentCues.Refuses(e.Text, e.Context.Agent))]);
    }
}
