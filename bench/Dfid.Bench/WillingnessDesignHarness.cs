using System.Diagnostics;
using System.Globalization;
using Dfid.Analysis.Statistics;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Willingness;

namespace Dfid.Bench;

/// <summary>
/// Design study of the willingness model (issue 15): out-of-fold figures on PersuasionForGood (1,017 conversations) for a
/// grid of L2 penalties (outcome and hazard model) and for the feature blocks left out one at a time. Folds by
/// conversation as the shipped model deals them. The figures choose the fixed defaults once, offline; the shipped model's
/// figures come from <c>dfid willingness validate</c>.
/// Usage: <c>dotnet run -c Release --project bench/Dfid.Bench -- willingness-design [--l2 0.0003,0.001,...] [--no-ablation]</c>
/// (the embeddings and the learned stage model come from the default cache; a cold cache embeds ≈ 20,000 texts first).
/// </summary>
public sealed class WillingnessDesignHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "willingness-design";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        var l2Arg = Array.IndexOf(args, "--l2");
        var grid = l2Arg >= 0 ? args[l2Arg + 1].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [3e-4, 1e-3, 3e-3, 1e-2, 3e-2];
        var ablation = !args.Contains("--no-ablation");
        var root = FindShared();
        var corpus = new PersuasionForGoodImporter().Import(new CorpusImportRequest(Path.Combine(root, "data", "persuasionforgood"))).Conversations;
        using var miniLm = new MiniLmEmbedder();
        using var embedder = new CachingTextEmbedder(miniLm, LearnedInstrumentOptions.DefaultEmbeddingsCachePath());
        var stageModel = await LearnedInstrument.LoadOrTrainAsync(new LearnedInstrumentOptions(), corpus, embedder);
        var data = WillingnessData.From(corpus);
        var clock = Stopwatch.StartNew();
        var features = WillingnessFeatures.Build(data.Points, new StageProbabilities(stageModel), embedder, CancellationToken.None);
        Console.WriteLine($"features of {data.Points.Count} points in {clock.Elapsed.TotalSeconds:0.0} s ({features[0].Length} dims)");
        var folds = WillingnessTrainer.Folds(data, 5);
        var fold = Enumerable.Range(0, data.Points.Count).Select(i => folds[data.Key(i)]).ToArray();
        var at90 = Rows(data, 0.9);

        Console.WriteLine("L2        outcome: logloss  AUC(all)  AUC(90%)  Brier   | hazard: logloss  AUC     expected/real exits   s");
        foreach (var l2 in grid)
        {
            clock.Restart();
            var o = new WillingnessOptions { L2 = l2 };
            var p = CrossFit(features, data, fold, o, hazard: false);
            var h = CrossFit(features, data, fold, o, hazard: true);
            var risk = Enumerable.Range(0, data.Points.Count).Where(data.AtRisk).ToArray();
            var ev = risk.Select(i => data.IsExit(i) ? 1 : 0).ToArray();
            var hr = risk.Select(i => h[i]).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{l2,-9:0.####}          {LogLoss(p, data.Outcome):0.0000}   {BinaryPrediction.Auc(p, data.Outcome):0.000}     {Auc(p, data.Outcome, at90):0.000}     {BinaryPrediction.Brier(p, data.Outcome):0.0000}  |         {LogLoss(hr, ev):0.0000}   {BinaryPrediction.Auc(hr, ev):0.000}   {hr.Sum(),6:0.0}/{ev.Sum()}   {clock.Elapsed.TotalSeconds,5:0.0}"));
        }
        if (!ablation) return 0;
        var chosen = new WillingnessOptions();
        Console.WriteLine($"\nfeature blocks left out (L2 {chosen.L2}): P(converted) out-of-fold");
        Console.WriteLine("variant                          logloss  AUC(all)  AUC(90%)");
        foreach (var (name, start, length) in new[] { ("all blocks (shipped)", 0, 0) }.Concat(WillingnessFeatures.Blocks(embedder.Dimensions)))
        {
            var x = length == 0 ? features : features.Select(f => { var g = (float[])f.Clone(); Array.Clear(g, start, length); return g; }).ToArray();
            var p = CrossFit(x, data, fold, chosen, hazard: false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(length == 0 ? name : "- " + name),-32} {LogLoss(p, data.Outcome):0.0000}   {BinaryPrediction.Auc(p, data.Outcome):0.000}     {Auc(p, data.Outcome, at90):0.000}"));
        }
        return 0;
    }

    private static double[] CrossFit(float[][] x, WillingnessData data, int[] fold, WillingnessOptions o, bool hazard)
    {
        var n = data.Points.Count;
        var p = new double[n];
        for (var k = 0; k < 5; k++)
        {
            var train = Enumerable.Range(0, n).Where(i => fold[i] != k && (!hazard || data.AtRisk(i))).ToArray();
            var m = WillingnessTrainer.Fit(x, train, i => hazard ? (data.IsExit(i) ? 1 : 0) : data.Outcome[i], o, CancellationToken.None);
            for (var i = 0; i < n; i++)
                if (fold[i] == k) p[i] = WillingnessTrainer.Probability(m, x[i]);
        }
        return p;
    }

    private static int[] Rows(WillingnessData data, double position)
    {
        var at = new HashSet<(int, int)>();
        for (var k = 0; k < data.Conversations.Count; k++)
            foreach (var probe in ProbeSelector.Select(data.Conversations[k], new ProbeOptions([position], SkipGreeting: true)))
                at.Add((k, probe.TurnIndex));
        return Enumerable.Range(0, data.Points.Count).Where(i => !data.IsEnd[i] && at.Contains((data.ConversationOf[i], data.Points[i].TurnIndex))).ToArray();
    }

    private static double Auc(double[] p, int[] y, int[] rows) => BinaryPrediction.Auc(BinaryPrediction.Gather<double>(p, rows), BinaryPrediction.Gather<int>(y, rows));

    private static double LogLoss(double[] p, int[] y)
    {
        double s = 0;
        for (var i = 0; i < y.Length; i++) s -= Math.Log(Math.Max(1e-12, y[i] == 1 ? p[i] : 1 - p[i]));
        return s / y.Length;
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "..", "shared");
            if (File.Exists(Path.Combine(dir.FullName, "dfid.slnx")) && Directory.Exists(shared)) return Path.GetFullPath(shared);
        }
        throw new InvalidOperationException("../shared not found above " + AppContext.BaseDirectory);
    }
}
