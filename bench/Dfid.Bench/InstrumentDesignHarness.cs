using System.Diagnostics;
using System.Globalization;
using Dfid.Analysis;
using Dfid.Analysis.Statistics;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Instrument.Learned;
using Dfid.Probing;

namespace Dfid.Bench;

/// <summary>
/// Design study of the learned stage model (issue 18): out-of-fold figures of feature variants on the 300 annotated
/// PersuasionForGood dialogues, each trained with the same fixed settings (L2 0.001 on both blocks, class weights
/// (n / (5·n_stage))^0.5, argmax; 5 folds by conversation). The variants are compared on the reported folds, so these
/// figures are for choosing features, not for claims: the shipped model's figures come from `instrument`, where the
/// decision rule is chosen by nested cross-validation. Also prints how many human labels the amount-aware commitment
/// rules of the act mapping change, and (<c>--sweep</c>) the full variant under fixed deciding thresholds.
/// Usage: <c>dotnet run -c Release --project bench/Dfid.Bench -- instrument-design [--sweep] [--iterations N]</c>
/// (the embeddings come from the default cache; a cold cache embeds ≈ 5,000 texts first).
/// </summary>
public sealed class InstrumentDesignHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "instrument-design";

    private sealed record Row(string Key, Conversation C, int Turn, int Label, string Text, StageContext Context, bool Converted);

    /// <summary>A feature variant: which blocks enter the model, tf or tf-idf, and whether refusals are kept off deciding.</summary>
    private sealed record Variant(string Name, bool UserContext, bool Lexical, bool Idf, bool Cues, bool Guard, bool AgentLexical = false);

    private static readonly Variant[] Variants =
    [
        new("features/1: turn + agent turn (before issue 18)", false, false, false, false, false),
        new("+ previous user turn", true, false, false, false, false),
        new("+ lexical n-grams (tf)", false, true, false, false, false),
        new("+ lexical n-grams (tf-idf)", false, true, true, false, false),
        new("+ tf-idf + cues", false, true, true, true, false),
        new("+ tf-idf + cues + refusal guard", false, true, true, true, true),
        new("+ tf-idf + cues + guard + previous user turn (shipped features)", true, true, true, true, true),
        new("  same + agent-turn n-grams (not shipped)", true, true, true, true, true, AgentLexical: true),
    ];

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        await Task.Yield();
        var i0 = Array.IndexOf(args, "--iterations");
        var iterations = i0 >= 0 ? int.Parse(args[i0 + 1], CultureInfo.InvariantCulture) : 300;
        var root = FindShared();
        var import = new PersuasionForGoodImporter().Import(new CorpusImportRequest(Path.Combine(root, "data", "persuasionforgood")));
        var annotated = import.Conversations.Where(c => c.Meta.TryGetValue("annotated", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.True).ToList();
        var mapping = ActMapping.PersuasionForGood;

        // The amount-aware commitment rules against the acts alone: how many human labels they change.
        var changed = 0;
        foreach (var c in annotated)
            for (var i = 0; i < c.Turns.Length; i++)
                if (c.Turns[i].Role == Role.User && mapping.StageOf(c.Turns[i].Annotations?.GetValueOrDefault(mapping.StageLabelSet)) != mapping.StageOfTurn(c, i))
                    changed++;
        Console.WriteLine($"commitment rules of {mapping.Source} change {changed} human stage label(s) of {annotated.Count} dialogues");

        var rows = new List<Row>();
        foreach (var c in annotated)
            for (var i = 0; i < c.Turns.Length; i++)
                if (mapping.StageOfTurn(c, i) is { } s)
                    rows.Add(new Row(LearnedModel.Key(c), c, i, (int)s, c.Turns[i].Text, StageContext.Of(c, i), c.Outcome.Converted == true));
        using var embedder = new CachingTextEmbedder(new MiniLmEmbedder(), LearnedInstrumentOptions.DefaultEmbeddingsCachePath(), ownsInner: true);
        var texts = rows.SelectMany(r => new[] { r.Text, r.Context.Agent, r.Context.PreviousUser }).OfType<string>().Distinct().ToList();
        var vectors = embedder.Embed(texts);
        var vec = texts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => vectors[x.i], StringComparer.Ordinal);
        Console.WriteLine($"{rows.Count} labelled turns, {texts.Count} texts ({embedder.Misses} embedded now)");
        var cueTable = new int[5, 3];
        foreach (var r in rows)
        {
            var cue = CommitmentCues.Read(r.Text);
            if (cue.Declines) cueTable[r.Label, 0]++;
            if (cue.NamesOnlyZero) cueTable[r.Label, 1]++;
            if (CommitmentCues.Refuses(r.Text, r.Context.Agent)) cueTable[r.Label, 2]++;
        }
        for (var c = 0; c < 5; c++)
            Console.WriteLine($"  cues in human {StateNames.Of((Stage)c),-12}: declines {cueTable[c, 0],4}, only $0 {cueTable[c, 1],3}, refuses {cueTable[c, 2],4}");

        Console.WriteLine();
        Console.WriteLine("variant | kappa_w | accuracy | resisting P / R | resisting->deciding | 60% diff (human +0.080) | 90% diff (human +0.114) | CPU-s");
        double[][]? last = null;
        foreach (var v in Variants)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var probs = OutOfFold(rows, v, vec, embedder.Dimensions, iterations);
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            var predicted = Decide(rows, probs, v.Guard, 0);
            Console.WriteLine($"{v.Name} | {Summary(rows, predicted)} | {cpu:F1}");
            if (v.Name.Contains("shipped", StringComparison.Ordinal)) last = probs;
        }
        if (args.Contains("--sweep") && last is not null)
        {
            Console.WriteLine();
            Console.WriteLine("shipped features, deciding only at p >= threshold (fixed, not nested) | kappa_w | accuracy | resisting P / R | resisting->deciding | 60% | 90%");
            foreach (var t in new[] { 0.4, 0.5, 0.6, 0.7 })
                Console.WriteLine($"threshold {t:0.0} | {Summary(rows, Decide(rows, last, true, t))}");
        }
        return 0;
    }

    private static int[] Decide(List<Row> rows, double[][] probs, bool guard, double threshold) =>
        [.. rows.Select((r, i) =>
        {
            var p = (double[])probs[i].Clone();
            var best = Array.IndexOf(p, p.Max());
            if (best == (int)Stage.Deciding && ((guard && CommitmentCues.Refuses(r.Text, r.Context.Agent)) || p[best] < threshold))
            {
                p[best] = -1;
                best = Array.IndexOf(p, p.Max());
            }
            return best;
        })];

    private static double[][] OutOfFold(List<Row> rows, Variant v, Dictionary<string, float[]> vec, int dims, int iterations)
    {
        var denseDims = dims * (v.UserContext ? 3 : 2) + StageFeatures.Scalars + (v.Cues ? StageFeatures.CueFlags : 0);
        var dense = rows.Select(r =>
        {
            var all = StageFeatures.Dense(vec[r.Text], r.Context.Agent is { } a ? vec[a] : null,
                r.Context.PreviousUser is { } u ? vec[u] : null, r.Context.Ordinal, r.Text);
            // StageFeatures.Dense is [turn | agent | previous user | scalars | cues]: drop the blocks the variant leaves out.
            var f = new List<float>(denseDims);
            f.AddRange(all.AsSpan(0, 2 * dims).ToArray());
            if (v.UserContext) f.AddRange(all.AsSpan(2 * dims, dims).ToArray());
            f.AddRange(all.AsSpan(3 * dims, StageFeatures.Scalars).ToArray());
            if (v.Cues) f.AddRange(all.AsSpan(3 * dims + StageFeatures.Scalars, StageFeatures.CueFlags).ToArray());
            return f.ToArray();
        }).ToArray();
        var lexical = rows.Select(r =>
        {
            var channels = new List<Dictionary<int, int>>();
            if (v.Lexical) channels.AddRange(StageFeatures.Lexical(r.Text));
            if (v.AgentLexical)
            {
                var a = new Dictionary<int, int>();
                LexicalFeatures.CountWords(r.Context.Agent ?? "", 'a', a);
                channels.Add(a);
            }
            return channels.ToArray();
        }).ToArray();
        var labels = rows.Select(r => r.Label).ToArray();
        var foldOf = LearnedTrainer.AssignFolds(rows.Select(r => r.Key), 5);
        var probs = new double[rows.Count][];
        for (var k = 0; k < 5; k++)
        {
            var train = Enumerable.Range(0, rows.Count).Where(i => foldOf[rows[i].Key] != k).ToArray();
            var test = Enumerable.Range(0, rows.Count).Where(i => foldOf[rows[i].Key] == k).ToArray();
            var lexicon = Lexicon.Build([.. train.Select(i => lexical[i])], LearnedTrainer.MinDocumentFrequency);
            if (!v.Idf) lexicon = new Lexicon(lexicon.Ids, [.. lexicon.Idf.Select(_ => 1f)]);
            var x = lexicon.Rows(train, dense, lexical);
            var y = train.Select(i => labels[i]).ToArray();
            var w = SoftmaxRegression.Train(x, y, 5, 1e-3, 1e-3, iterations, LearnedTrainer.ClassWeights(y, 5, 0.5));
            var held = lexicon.Rows(test, dense, lexical);
            for (var t = 0; t < test.Length; t++)
            {
                var p = new double[5];
                SoftmaxRegression.Probabilities(w, held.DenseRow(t), held.SparseIndex(t), held.SparseValue(t), 5, p);
                probs[test[t]] = p;
            }
        }
        return probs;
    }

    private static string Summary(List<Row> rows, int[] predicted)
    {
        var human = rows.Select(r => r.Label).ToArray();
        var per = Agreement.PerClass(human, predicted, 5);
        var rToD = Enumerable.Range(0, rows.Count).Count(i => human[i] == 0 && predicted[i] == 4);
        var index = rows.Select((r, i) => (r, i)).ToDictionary(x => (x.r.Key, x.r.Turn), x => x.i);
        string Diff(double position)
        {
            var at = rows.Select(r => r.C).Distinct()
                .SelectMany(c => ProbeSelector.Select(c, new ProbeOptions([position])).Select(p => (LearnedModel.Key(c), p.TurnIndex)))
                .Where(index.ContainsKey).Select(k => index[k]).ToArray();
            var contrast = OutcomeContrast.Compare([.. at.Where(i => !rows[i].Converted).Select(i => predicted[i])],
                [.. at.Where(i => rows[i].Converted).Select(i => predicted[i])]);
            return contrast.ResistingDifference.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{Agreement.CohensKappaQuadratic(human, predicted, 5):F3} | {Agreement.Accuracy(human, predicted):F3} | {per[0].Precision:F2} / {per[0].Recall:F2} | " +
            $"{rToD}/{per[0].Support} = {100.0 * rToD / per[0].Support:F1}% | {Diff(0.6)} | {Diff(0.9)}");
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "dfid.slnx"))) return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new InvalidOperationException("dfid.slnx not found");
    }
}
