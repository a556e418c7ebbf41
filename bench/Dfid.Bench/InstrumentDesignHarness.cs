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
/// Design study of the learned stage model (issue 18): out-of-fold figures of feature and training variants on the 300
/// annotated PersuasionForGood dialogues, with fixed hyperparameters per run (so the figures of the best variant are
/// optimistic; the shipped model chooses its hyperparameters by nested cross-validation, measured by `instrument`).
/// Usage: <c>dotnet run -c Release --project bench/Dfid.Bench -- instrument-design [--user-context] [--lexical] [--agent-lexical]
/// [--cues] [--idf] [--min-df N] [--l2 X] [--l2-sparse X] [--class-weight-power P] [--iterations N]</c>.
/// </summary>
public sealed class InstrumentDesignHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "instrument-design";

    private sealed record Row(string Key, Conversation C, int Turn, int Label, string Text, string? Agent, string? PrevUser, int Ordinal, bool Converted);

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        await Task.Yield();
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        double D(string name, string fallback) => double.Parse(Arg(name, fallback), CultureInfo.InvariantCulture);
        var userContext = args.Contains("--user-context");
        var lexical = args.Contains("--lexical");
        var agentLexical = args.Contains("--agent-lexical");
        var cues = args.Contains("--cues");
        var idf = args.Contains("--idf");
        var minDf = int.Parse(Arg("--min-df", "2"), CultureInfo.InvariantCulture);
        var l2 = D("--l2", "0.001");
        var l2Sparse = D("--l2-sparse", "0.001");
        var power = D("--class-weight-power", "0.5");
        var iterations = int.Parse(Arg("--iterations", "300"), CultureInfo.InvariantCulture);
        var guard = args.Contains("--guard");

        var root = FindShared();
        var import = new PersuasionForGoodImporter().Import(new CorpusImportRequest(Path.Combine(root, "data", "persuasionforgood")));
        var annotated = import.Conversations.Where(c => c.Meta.TryGetValue("annotated", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.True).ToList();
        var mapping = ActMapping.PersuasionForGood;
        // The amount-aware commitment rules against the acts alone: how many training labels they change.
        var changed = new List<string>();
        foreach (var c in annotated)
            for (var i = 0; i < c.Turns.Length; i++)
            {
                if (c.Turns[i].Role != Role.User) continue;
                var acts = c.Turns[i].Annotations?.GetValueOrDefault(mapping.StageLabelSet);
                var plain = mapping.StageOf(acts);
                var ruled = mapping.StageOfTurn(c, i);
                if (plain != ruled) changed.Add($"{c.Id}#{i} [{acts}] {plain} -> {ruled}");
            }
        Console.WriteLine($"commitment rules change {changed.Count} human stage label(s)");
        if (Environment.GetEnvironmentVariable("DFID_DESIGN_SHOW") == "4") foreach (var line in changed) Console.Error.WriteLine("  " + line);
        var rows = new List<Row>();
        foreach (var c in annotated)
            for (var i = 0; i < c.Turns.Length; i++)
            {
                if (mapping.StageOfTurn(c, i) is not { } s) continue;
                string? agent = null, prevUser = null;
                var ordinal = 0;
                for (var j = i - 1; j >= 0; j--)
                {
                    if (c.Turns[j].Role == Role.Agent) agent ??= c.Turns[j].Text;
                    if (c.Turns[j].Role == Role.User) { prevUser ??= c.Turns[j].Text; ordinal++; }
                }
                rows.Add(new Row(LearnedModel.Key(c), c, i, (int)s, c.Turns[i].Text, agent, prevUser, ordinal, c.Outcome.Converted == true));
            }
        using var embedder = new CachingTextEmbedder(new MiniLmEmbedder(), LearnedInstrumentOptions.DefaultEmbeddingsCachePath(), ownsInner: true);
        var sw = Stopwatch.StartNew();
        var texts = rows.SelectMany(r => new[] { r.Text, r.Agent ?? "", r.PrevUser ?? "" }).Distinct().ToList();
        var vectors = embedder.Embed(texts);
        var vec = texts.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => vectors[x.i], StringComparer.Ordinal);
        Console.WriteLine($"{rows.Count} rows, {texts.Count} texts embedded in {sw.Elapsed.TotalSeconds:F1} s ({embedder.Misses} new)");

        var dims = embedder.Dimensions;
        var denseDims = dims * (userContext ? 3 : 2) + 3 + (cues ? 4 : 0);
        float[] Dense(Row r)
        {
            var f = new float[denseDims];
            var at = 0;
            void Put(float[]? v)
            {
                if (v is not null) for (var j = 0; j < dims; j++) f[at + j] = v[j];
                at += dims;
            }
            Put(vec[r.Text]);
            Put(r.Agent is null ? null : vec[r.Agent]);
            if (userContext) Put(r.PrevUser is null ? null : vec[r.PrevUser]);
            f[at++] = Math.Min(r.Ordinal, 20) / 20f;
            f[at++] = r.Ordinal == 0 ? 1 : 0;
            f[at++] = (float)(Math.Log(1 + r.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length) / 4);
            if (cues)
            {
                var cue = CommitmentCues.Read(r.Text);
                f[at++] = cue.NamesPositiveAmount ? 1 : 0;
                f[at++] = cue.NamesOnlyZero ? 1 : 0;
                f[at++] = cue.Declines ? 1 : 0;
                f[at++] = cue.IsRefusal ? 1 : 0;
            }
            return f;
        }
        var counts = rows.Select(r =>
        {
            var list = new List<Dictionary<int, int>>();
            if (lexical) list.AddRange(StageFeatures.Lexical(r.Text));
            if (agentLexical)
            {
                var a = new Dictionary<int, int>();
                LexicalFeatures.CountWords(r.Agent ?? "", 'a', a);
                list.Add(a);
            }
            return list;
        }).ToList();
        var dense = rows.Select(Dense).ToArray();
        var labels = rows.Select(r => r.Label).ToArray();
        var foldOf = LearnedTrainer.AssignFolds(rows.Select(r => r.Key), 5);
        var predicted = new int[rows.Count];
        var probs = new double[rows.Count][];
        sw.Restart();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (var k = 0; k < 5; k++)
        {
            var train = Enumerable.Range(0, rows.Count).Where(i => foldOf[rows[i].Key] != k).ToArray();
            var test = Enumerable.Range(0, rows.Count).Where(i => foldOf[rows[i].Key] == k).ToArray();
            var vocab = Vocabulary(train.Select(i => counts[i]), minDf, idf, out var idfOf);
            var xTrain = Build(train, dense, counts, vocab, idfOf, denseDims);
            var freq = new int[5];
            foreach (var i in train) freq[labels[i]]++;
            var sampleWeights = train.Select(i => Math.Pow((double)train.Length / (5.0 * freq[labels[i]]), power)).ToArray();
            var w = SoftmaxRegression.TrainMixed(xTrain, train.Select(i => labels[i]).ToArray(), 5, l2, l2Sparse, iterations, sampleWeights);
            var xTest = Build(test, dense, counts, vocab, idfOf, denseDims);
            for (var t = 0; t < test.Length; t++)
            {
                var p = new double[5];
                SoftmaxRegression.MixedProbabilities(w, xTest.DenseRow(t), xTest.SparseIndex(t), xTest.SparseValue(t), 5, p);
                if (guard && CommitmentCues.Read(rows[test[t]].Text).IsRefusal) p[4] = 0;
                probs[test[t]] = p;
                predicted[test[t]] = Array.IndexOf(p, p.Max());
            }
            Console.Error.WriteLine($"fold {k}: {vocab.Count} sparse features, {xTrain.Index.Length / (double)xTrain.Count:F0} non-zeros per row");
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine($"5 fold models: {sw.Elapsed.TotalSeconds:F1} s wall, {cpu:F1} CPU-s");
        var cueTable = new int[5, 4];
        for (var i = 0; i < rows.Count; i++)
        {
            var cue = CommitmentCues.Read(rows[i].Text);
            if (cue.Declines) cueTable[labels[i], 0]++;
            if (cue.NamesOnlyZero) cueTable[labels[i], 1]++;
            if (cue.IsRefusal) cueTable[labels[i], 2]++;
            if (cue.NamesPositiveAmount) cueTable[labels[i], 3]++;
        }
        for (var c = 0; c < 5; c++)
            Console.WriteLine($"  cues in human {StateNames.Of((Stage)c),-12}: declines {cueTable[c, 0],4} only-zero {cueTable[c, 1],3} refusal {cueTable[c, 2],4} positive-amount {cueTable[c, 3],4}");
        if (Environment.GetEnvironmentVariable("DFID_DESIGN_SHOW") == "2")
            for (var i = 0; i < rows.Count; i++)
                if (CommitmentCues.Read(rows[i].Text).IsRefusal && labels[i] != 0)
                    Console.Error.WriteLine($"    refusal cue in {StateNames.Of((Stage)labels[i])} [{rows[i].C.Turns[rows[i].Turn].Annotations?["ee_act"]}] A: {Cut(rows[i].Agent)} || U: {Cut(rows[i].Text)}");
        Report(rows, labels, predicted, probs);
        if (args.Contains("--sweep"))
        {
            foreach (var tau in new[] { 0.4, 0.5, 0.6, 0.7 })
            {
                var alt = probs.Select(p =>
                {
                    var best = Array.IndexOf(p, p.Max());
                    if (best != 4 || p[4] >= tau) return best;
                    var q = (double[])p.Clone();
                    q[4] = 0;
                    return Array.IndexOf(q, q.Max());
                }).ToArray();
                Console.WriteLine($"-- deciding only when p >= {tau}");
                Report(rows, labels, alt, probs);
            }
            var quad = probs.Select(p =>
            {
                var best = 0;
                var bestCost = double.MaxValue;
                for (var s = 0; s < 5; s++)
                {
                    var cost = 0.0;
                    for (var k = 0; k < 5; k++) cost += p[k] * (s - k) * (s - k);
                    if (cost < bestCost) { bestCost = cost; best = s; }
                }
                return best;
            }).ToArray();
            Console.WriteLine("-- quadratic-cost decision");
            Report(rows, labels, quad, probs);
        }
        return 0;
    }

    private static void Report(List<Row> rows, int[] human, int[] predicted, double[][] probs)
    {
        var per = Agreement.PerClass(human, predicted, 5);
        var resistingToDeciding = Enumerable.Range(0, rows.Count).Count(i => human[i] == 0 && predicted[i] == 4);
        var logLoss = -Enumerable.Range(0, rows.Count).Average(i => Math.Log(Math.Max(probs[i][human[i]], 1e-12)));
        Console.WriteLine($"kappa_w {Agreement.CohensKappaQuadratic(human, predicted, 5):F3} acc {Agreement.Accuracy(human, predicted):F3} " +
                          $"alpha {Agreement.KrippendorffAlphaOrdinal(human, predicted, 5):F3} log-loss {logLoss:F3}");
        foreach (var s in per)
            Console.WriteLine($"  {StateNames.Of((Stage)s.Class),-12} support {s.Support,4} predicted {s.Predicted,4} P {s.Precision:F3} R {s.Recall:F3}");
        if (Environment.GetEnvironmentVariable("DFID_DESIGN_SHOW") == "1")
            foreach (var i in Enumerable.Range(0, rows.Count).Where(i => human[i] == 0 && predicted[i] == 4))
                Console.Error.WriteLine($"    R->D [{rows[i].C.Turns[rows[i].Turn].Annotations?["ee_act"]}] A: {Cut(rows[i].Agent)} || U: {Cut(rows[i].Text)} || cue {CommitmentCues.Read(rows[i].Text)}");
        Console.WriteLine($"  human resisting labelled deciding: {resistingToDeciding}/{per[0].Support} = {resistingToDeciding / (double)per[0].Support:P1}");
        var index = rows.Select((r, i) => (r, i)).ToDictionary(x => (x.r.Key, x.r.Turn), x => x.i);
        foreach (var pos in new[] { 0.3, 0.6, 0.9 })
        {
            var at = new List<int>();
            foreach (var c in rows.Select(r => r.C).Distinct())
                foreach (var p in ProbeSelector.Select(c, new ProbeOptions([pos])))
                    if (index.TryGetValue((LearnedModel.Key(c), p.TurnIndex), out var i)) at.Add(i);
            string Side(Func<int, int> stage)
            {
                var non = at.Where(i => !rows[i].Converted).ToArray();
                var con = at.Where(i => rows[i].Converted).ToArray();
                int a = non.Count(i => stage(i) == 0), b = con.Count(i => stage(i) == 0);
                var pv = HypothesisTests.FisherExactTwoSided(a, non.Length - a, b, con.Length - b);
                return $"{a / (double)non.Length:F3} vs {b / (double)con.Length:F3} (diff {a / (double)non.Length - b / (double)con.Length:+0.000;-0.000}, p {pv:F3})";
            }
            if (Environment.GetEnvironmentVariable("DFID_DESIGN_SHOW") == "3" && pos == 0.6)
                foreach (var i in at.Where(i => human[i] == 0 || predicted[i] == 0))
                    Console.Error.WriteLine($"    p60 conv={rows[i].Converted} human {StateNames.Of((Stage)human[i])} instr {StateNames.Of((Stage)predicted[i])} p=[{string.Join(" ", probs[i].Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)))}] [{rows[i].C.Turns[rows[i].Turn].Annotations?["ee_act"]}] A: {Cut(rows[i].Agent)} || U: {Cut(rows[i].Text)}");
            Console.WriteLine($"  probe {pos:0.0} n={at.Count}: human {Side(i => human[i])}; instrument {Side(i => predicted[i])}");
        }
    }

    private static string Cut(string? s) => s is null ? "" : s.Length <= 160 ? s : s[..160];

    private static Dictionary<int, int> Vocabulary(IEnumerable<List<Dictionary<int, int>>> docs, int minDf, bool idf, out double[] idfOf)
    {
        var df = new Dictionary<int, int>();
        var n = 0;
        foreach (var d in docs)
        {
            n++;
            foreach (var ch in d)
                foreach (var k in ch.Keys) df[k] = df.TryGetValue(k, out var v) ? v + 1 : 1;
        }
        var keep = df.Where(x => x.Value >= minDf).Select(x => x.Key).Order().ToList();
        var vocab = keep.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i);
        idfOf = keep.Select(k => idf ? Math.Log((1.0 + n) / (1.0 + df[k])) + 1 : 1.0).ToArray();
        return vocab;
    }

    private static FeatureRows Build(int[] idx, float[][] dense, List<List<Dictionary<int, int>>> counts, Dictionary<int, int> vocab, double[] idfOf, int denseDims)
    {
        var d = new float[idx.Length * denseDims];
        var start = new int[idx.Length + 1];
        var index = new List<int>();
        var value = new List<double>();
        for (var r = 0; r < idx.Length; r++)
        {
            Array.Copy(dense[idx[r]], 0, d, r * denseDims, denseDims);
            var entries = new SortedDictionary<int, double>();
            foreach (var ch in counts[idx[r]])
            {
                var part = new List<(int, double)>();
                foreach (var (k, c) in ch)
                    if (vocab.TryGetValue(k, out var j)) part.Add((j, (1 + Math.Log(c)) * idfOf[j]));
                var norm = Math.Sqrt(part.Sum(x => x.Item2 * x.Item2));
                foreach (var (j, v) in part) entries[j] = v / norm;
            }
            foreach (var (j, v) in entries) { index.Add(j); value.Add(v); }
            start[r + 1] = index.Count;
        }
        return new FeatureRows(denseDims, vocab.Count, d, start, [.. index], [.. value]);
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "dfid.slnx"))) return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new InvalidOperationException("dfid.slnx not found");
    }
}
