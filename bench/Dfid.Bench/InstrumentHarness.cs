using System.Diagnostics;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Dfid.Embeddings;
using Dfid.Instrument;

namespace Dfid.Bench;

/// <summary>
/// The learned instrument on PersuasionForGood: load-or-train time, out-of-fold validation, and labelling throughput on
/// turns it has never seen (cold embeddings) and again (warm). Target: at least 200 turns/s after load.
/// Usage: <c>dotnet run -c Release --project bench/Dfid.Bench -- instrument [--retrain] [--class-weight-power P] [--actions] [--cache DIR] [--l2 X]
/// [--lexical-l2 X] [--inner-folds N] [--stage-iterations N] [--max-resisting-at-deciding X] [--turns N]</c>.
/// </summary>
public sealed class InstrumentHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "instrument";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var options = new LearnedInstrumentOptions
        {
            ForceRetrain = args.Contains("--retrain"),
            ClassWeightPower = double.Parse(Arg("--class-weight-power", "0.5"), System.Globalization.CultureInfo.InvariantCulture),
            L2 = double.Parse(Arg("--l2", "0.001"), System.Globalization.CultureInfo.InvariantCulture),
            LexicalL2 = double.Parse(Arg("--lexical-l2", "0.001"), System.Globalization.CultureInfo.InvariantCulture),
            InnerFolds = int.Parse(Arg("--inner-folds", "3"), System.Globalization.CultureInfo.InvariantCulture),
            StageIterations = int.Parse(Arg("--stage-iterations", "40"), System.Globalization.CultureInfo.InvariantCulture),
            MaxResistingAtDeciding = double.Parse(Arg("--max-resisting-at-deciding", "0.03"), System.Globalization.CultureInfo.InvariantCulture),
            Progress = new Progress<string>(Console.Error.WriteLine),
        };
        var cache = Arg("--cache", "");
        if (cache.Length > 0) options.CacheDirectory = cache;
        var turns = int.Parse(Arg("--turns", "1000"), System.Globalization.CultureInfo.InvariantCulture);

        var root = FindShared();
        var sw = Stopwatch.StartNew();
        var import = new PersuasionForGoodImporter().Import(new CorpusImportRequest(Path.Combine(root, "data", "persuasionforgood")));
        var annotated = import.Conversations.Where(c => c.Meta.TryGetValue("annotated", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.True).ToList();
        Console.WriteLine($"import: {import.Conversations.Count} conversations, {annotated.Count} annotated, {sw.Elapsed.TotalSeconds:F1} s");

        using var miniLm = new MiniLmEmbedder();
        using var embedder = new CachingTextEmbedder(miniLm, Path.Combine(options.CacheDirectory, "..", "embeddings.sqlite"));
        sw.Restart();
        var trainCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var instrument = await LearnedInstrument.LoadOrTrainAsync(options, annotated, embedder);
        Console.WriteLine($"load-or-train: {sw.Elapsed.TotalSeconds:F1} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - trainCpu).TotalSeconds:F1} CPU-s ({instrument.TrainingExamples} turns, {instrument.TrainingConversations} conversations, hash {instrument.TrainingHash[..16]})");
        Console.WriteLine("training stage counts: " + string.Join(", ", StateNames.All<Stage>().Zip(instrument.TrainingStageCounts, (s, n) => $"{s} {n}")));

        sw.Restart();
        var report = await InstrumentValidation.RunAsync(annotated, instrument, options.Mapping, new InstrumentValidationOptions { Resamples = 1000 });
        Console.WriteLine($"validate (out-of-fold={report.OutOfFold}): {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"  n={report.N} acc={report.Accuracy:F3} [{report.Ci.Accuracy[0]:F3}, {report.Ci.Accuracy[1]:F3}] " +
                          $"kappa_w={report.KappaQuadratic:F3} [{report.Ci.KappaQuadratic[0]:F3}, {report.Ci.KappaQuadratic[1]:F3}] " +
                          $"alpha={report.KrippendorffAlphaOrdinal:F3} [{report.Ci.KrippendorffAlphaOrdinal[0]:F3}, {report.Ci.KrippendorffAlphaOrdinal[1]:F3}]");
        Console.WriteLine($"  baseline ({report.BaselineStage}): acc={report.Baseline.Accuracy:F3} kappa_w={report.Baseline.KappaQuadratic:F3} alpha={report.Baseline.KrippendorffAlphaOrdinal:F3}");
        foreach (var s in report.PerStage) Console.WriteLine($"  {s.Stage,-12} support {s.Support,5} predicted {s.Predicted,5} precision {s.Precision:F3} recall {s.Recall:F3}");
        Console.WriteLine($"  human resisting labelled deciding: {report.Refusals.AtDeciding}/{report.Refusals.HumanResisting} = {report.Refusals.Share:P1}");
        if (report.Calibration is { } cal) Console.WriteLine($"  calibration: Brier {cal.Brier:F3}, ECE {cal.ExpectedCalibrationError:F3}");
        foreach (var o in report.OutcomeSignal)
            Console.WriteLine($"  probe {o.Position:0.0}: resisting non-converters vs converters, human {o.Human.ResistingNotConverted:P1} vs {o.Human.ResistingConverted:P1} " +
                              $"(diff {o.Human.ResistingDifference:+0.000;-0.000}, p {o.Human.FisherP:F3}), instrument {o.Instrument.ResistingNotConverted:P1} vs {o.Instrument.ResistingConverted:P1} " +
                              $"(diff {o.Instrument.ResistingDifference:+0.000;-0.000}, p {o.Instrument.FisherP:F3}); kept {o.KeptShare:P0}; depth AUC human {o.Human.DepthAuc:F3}, instrument {o.Instrument.DepthAuc:F3}");

        // The refusal fixture (written for issue 18) through the model trained on PersuasionForGood: none may be deciding.
        // "model alone" is the decision rule without the refusal guard, to show what the guard adds.
        var fixture = CorpusFile.ReadAll(Path.Combine(RepoRoot(), "tests", "Dfid.Tests", "Fixtures", "instrument", "refusals.jsonl"));
        var refusals = fixture.SelectMany(c => Enumerable.Range(0, c.Turns.Length)
            .Where(i => c.Turns[i].Annotations?.ContainsKey("ee_act") == true).Select(i => new LabelRequest(c, i))).ToList();
        var labelled = await instrument.LabelManyAsync(refusals);
        var probabilities = instrument.Probabilities(refusals, CancellationToken.None);
        var rule = instrument.Model.FullModel.Rule!;
        var alone = probabilities.Select(p => (Stage)rule.Decide(p, refusal: false)).ToList();
        Console.WriteLine($"refusal fixture ({refusals.Count} turns): deciding {labelled.Count(r => r.Value!.Stage == Stage.Deciding)}; " +
                          $"model alone (no refusal guard) deciding {alone.Count(s => s == Stage.Deciding)}; stages " +
                          string.Join(", ", StateNames.All<Stage>().Select(n => $"{n} {labelled.Count(r => StateNames.Of(r.Value!.Stage) == n)}")));
        if (args.Contains("--show-fixture"))
            for (var k = 0; k < refusals.Count; k++)
                Console.WriteLine($"  {StateNames.Of(labelled[k].Value!.Stage),-11} (alone {StateNames.Of(alone[k]),-11}) \"{refusals[k].LabelledText}\"");

        if (args.Contains("--actions"))
        {
            sw.Restart();
            var actions = await LearnedActionLabeller.LoadOrTrainAsync(options, annotated, embedder);
            Console.WriteLine($"action labeller load-or-train: {sw.Elapsed.TotalSeconds:F1} s");
            var human = new List<int>();
            var predicted = new List<int>();
            foreach (var c in annotated)
                for (var i = 0; i < c.Turns.Length; i++)
                    if (options.Mapping.ActionOfTurn(c, i) is { } a)
                    {
                        human.Add((int)a);
                        predicted.Add((int)(await actions.LabelAsync(c, i)).Value);
                    }
            var majority = Dfid.Analysis.Agreement.MajorityClass(human.ToArray(), 6);
            Console.WriteLine($"actions (out-of-fold): n={human.Count} accuracy={Dfid.Analysis.Agreement.Accuracy(human.ToArray(), predicted.ToArray()):F3} " +
                              $"majority ({StateNames.Of((AgentAction)majority)}) {human.Count(h => h == majority) / (double)human.Count:F3}");
            foreach (var sc in Dfid.Analysis.Agreement.PerClass(human.ToArray(), predicted.ToArray(), 6))
                Console.WriteLine($"  {StateNames.Of((AgentAction)sc.Class),-16} support {sc.Support,5} predicted {sc.Predicted,5} precision {sc.Precision:F3} recall {sc.Recall:F3}");
        }

        // Throughput on unseen turns: user turns of non-annotated conversations, through a memory-only cache so every
        // text is embedded by MiniLM once (cold), then labelled again (warm).
        var unseen = import.Conversations.Where(c => !annotated.Contains(c))
            .SelectMany(c => Enumerable.Range(0, c.Turns.Length).Where(i => c.Turns[i].Role == Role.User).Select(i => new LabelRequest(c, i)))
            .Take(turns).ToList();
        using var fresh = new CachingTextEmbedder(miniLm);
        options.ForceRetrain = false;
        sw.Restart();
        var cold = await LearnedInstrument.LoadOrTrainAsync(options, annotated, fresh); // the one-time load, from the model cache
        Console.WriteLine($"load from model cache: {sw.Elapsed.TotalSeconds:F2} s");
        sw.Restart();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        // The path `dfid instrument label` and `validate` take: LabelManyAsync over chunks of 512 turns.
        var results = await InstrumentValidation.LabelAllAsync(cold, unseen, new InstrumentValidationOptions(), CancellationToken.None);
        var coldRate = unseen.Count / sw.Elapsed.TotalSeconds;
        // On a shared machine wall time mostly measures other processes: CPU time says what the work itself costs.
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine($"cold: {cpuSeconds:F1} CPU-s for {unseen.Count} turns = {unseen.Count / cpuSeconds:F0} turns per CPU-second " +
                          $"(load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores)");
        // The probe run's case: a simulated reply in the real history. Its context (the agent turn) was embedded with the
        // real turn's label; only the reply is new. Replies here are other real user turns with a word added, so no
        // text is in the cache yet and lengths are those of real replies.
        var replies = unseen.Select((r, k) => r with { Text = unseen[(k + 7) % unseen.Count].LabelledText + " (sim)" }).ToList();
        sw.Restart();
        await InstrumentValidation.LabelAllAsync(cold, replies, new InstrumentValidationOptions(), CancellationToken.None);
        var replyRate = replies.Count / sw.Elapsed.TotalSeconds;
        sw.Restart();
        foreach (var r in unseen) await cold.LabelAsync(r);
        var warmRate = unseen.Count / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"throughput: {unseen.Count} unseen turns: cold (MiniLM int8, every text new: the turn and its agent context) {coldRate:F0} turns/s; " +
                          $"simulated replies (the run's case: context already embedded, reply new) {replyRate:F0} turns/s; warm (cached embeddings, one at a time) {warmRate:F0} turns/s");
        Console.WriteLine($"cores: {Environment.ProcessorCount}");
        return coldRate >= 200 ? 0 : 1;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "dfid.slnx"))) return dir.FullName;
        throw new InvalidOperationException("dfid.slnx not found");
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "dfid.slnx"))) return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new InvalidOperationException("dfid.slnx not found");
    }
}
