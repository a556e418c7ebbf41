using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Corpus.Importers;

namespace Dfid.Bench;

/// <summary>Issue 2 targets: PersuasionForGood import &lt; 3 s; validate and stats stream ≥ 50,000 conversations/s on a
/// generated 100,000-conversation file with peak memory &lt; 200 MB.</summary>
/// <remarks><c>dotnet run -c Release --project bench/Dfid.Bench -- corpus [--conversations N] [--data DIR] [--keep FILE]</c>;
/// <c>--keep</c> leaves the generated file at FILE, to time the real CLI on it.
/// The streaming passes run first so the process's peak working set reflects them, not the import.</remarks>
public sealed class CorpusHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "corpus";

    /// <inheritdoc/>
    public Task<int> RunAsync(string[] args)
    {
        var n = 100_000;
        string? data = null, keep = null;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--conversations") n = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--data") data = args[i + 1];
            if (args[i] == "--keep") keep = args[i + 1];
        }
        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {LoadAverage()} (other processes share the cores: compare the CPU seconds)");
        var dir = Path.Combine(Path.GetTempPath(), "dfid-bench-corpus");
        Directory.CreateDirectory(dir);
        var path = keep ?? Path.Combine(dir, $"generated-{n}.jsonl");
        var clock = Stopwatch.StartNew();
        CorpusFile.Write(path, Generate(n, seed: 2));
        var size = new FileInfo(path).Length;
        Console.WriteLine($"generated {n:N0} conversations ({size / 1e6:0.0} MB, {size / n:N0} bytes each) in {clock.Elapsed.TotalSeconds:0.00} s");
        GC.Collect();
        var failed = false;

        // validate and stats as the CLI commands run them (CorpusFile.ReadFacts), then the record reader every other
        // command uses (CorpusFile.ReadLines), for comparison.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        int valid = 0, problems = 0;
        foreach (var line in CorpusFile.ReadFacts(path))
        {
            if (line.IsValid) valid++;
            problems += line.Problems.Count;
        }
        var validateRate = valid / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"validate: {valid:N0} valid, {problems} problems in {clock.Elapsed.TotalSeconds:0.00} s = {validateRate:N0} conversations/s (CPU {Cpu(ref cpu):0.00} s; first pass, includes JIT)");

        clock.Restart();
        var acc = new CorpusStatsAccumulator();
        foreach (var line in CorpusFile.ReadFacts(path))
            if (line.Facts is { } f) acc.Add(f);
        var stats = acc.Result();
        var statsRate = stats.Conversations / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"stats:    {stats.Conversations:N0} conversations in {clock.Elapsed.TotalSeconds:0.00} s = {statsRate:N0} conversations/s (CPU {Cpu(ref cpu):0.00} s)");

        clock.Restart();
        var records = 0;
        foreach (var line in CorpusFile.ReadLines(path))
            if (line.IsValid) records++;
        Console.WriteLine($"records:  {records:N0} conversations read as records (ReadLines, for run/sample/analyze) in {clock.Elapsed.TotalSeconds:0.00} s = {records / clock.Elapsed.TotalSeconds:N0} conversations/s (CPU {Cpu(ref cpu):0.00} s)");
        using (var self = Process.GetCurrentProcess())
        {
            self.Refresh();
            var peak = self.PeakWorkingSet64 / 1e6;
            Console.WriteLine($"peak working set after generate+validate+stats+records: {peak:0} MB (GC heap now {GC.GetTotalMemory(false) / 1e6:0} MB)");
            failed |= peak >= 200;
        }
        failed |= validateRate < 50_000 || statsRate < 50_000;

        try
        {
            var folder = DataLocator.LocateDataset(data, PersuasionForGoodImporter.DatasetName);
            for (var run = 1; run <= 2; run++)
            {
                clock.Restart();
                var importCpu = Process.GetCurrentProcess().TotalProcessorTime;
                var result = new PersuasionForGoodImporter().Import(new CorpusImportRequest(folder));
                var importSeconds = clock.Elapsed.TotalSeconds;
                var importCpuSeconds = Cpu(ref importCpu);
                clock.Restart();
                CorpusFile.Write(Path.Combine(dir, "p4g.jsonl"), result.Conversations);
                Console.WriteLine($"import persuasionforgood (run {run}{(run == 1 ? ", cold: includes JIT" : "")}): {result.Conversations.Count} conversations in {importSeconds:0.00} s (CPU {importCpuSeconds:0.00} s), write {clock.Elapsed.TotalSeconds:0.00} s");
                failed |= run == 1 && importSeconds >= 3;
            }
        }
        catch (DfidException ex)
        {
            Console.WriteLine("import persuasionforgood skipped: " + ex.Message);
        }
        if (keep is null) File.Delete(path);
        Console.WriteLine(failed ? "TARGET MISSED" : "all targets met");
        return Task.FromResult(failed ? 1 : 0);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double Cpu(ref TimeSpan since)
    {
        var now = Process.GetCurrentProcess().TotalProcessorTime;
        var spent = (now - since).TotalSeconds;
        since = now;
        return spent;
    }

    /// <summary>P4G-like conversations: ~20 turns of ~80 characters, a 12-key profile, a few meta keys, some annotations.</summary>
    internal static IEnumerable<Conversation> Generate(int count, int seed)
    {
        var rng = new Random(seed);
        string[] words = ["the", "children", "donate", "would", "you", "like", "to", "help", "today", "maybe", "not", "sure", "price",
            "thanks", "charity", "save", "school", "food", "yes", "no", "how", "much", "is", "it", "I", "think", "great", "busy"];
        string[] acts = ["greeting", "ask-org-info", "positive-reaction-to-donation", "disagree-donation", "agree-donation", "other"];
        var empty = ImmutableSortedDictionary<string, JsonElement>.Empty.WithComparers(StringComparer.Ordinal);
        var profileBase = empty;
        for (var k = 0; k < 12; k++)
            profileBase = profileBase.Add($"trait_{k:00}", k % 3 == 0 ? JsonSerializer.SerializeToElement("value " + k) : JsonSerializer.SerializeToElement(k * 0.5));
        for (var i = 0; i < count; i++)
        {
            var turnCount = 8 + rng.Next(24);
            var turns = ImmutableArray.CreateBuilder<Turn>(turnCount);
            for (var t = 0; t < turnCount; t++)
            {
                var length = 8 + rng.Next(16);
                var text = string.Join(' ', Enumerable.Range(0, length).Select(_ => words[rng.Next(words.Length)])) + (rng.Next(4) == 0 ? " \"ok\", fine." : ".");
                var annotations = i % 3 == 0 ? ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(t % 2 == 0 ? "er_act" : "ee_act", acts[rng.Next(acts.Length)])]) : null;
                turns.Add(new Turn(t % 2 == 0 ? Role.Agent : Role.User, text, null, annotations));
            }
            var converted = rng.Next(2) == 1;
            var meta = empty.Add("annotated", JsonSerializer.SerializeToElement(i % 3 == 0)).Add("batch", JsonSerializer.SerializeToElement(i / 1000));
            yield return new Conversation($"gen-{i:000000}", turns.MoveToImmutable(), new Outcome(converted, converted ? 0.5 : 0, true), profileBase, new CorpusSource("generated", "CC0-1.0"), meta);
        }
    }
}
