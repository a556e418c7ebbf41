using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Dfid.Simulation;

namespace Dfid.Running;

/// <summary>Prepares <c>dfid demo</c>: finds (or downloads) PersuasionForGood, imports it once, writes the default experiment.</summary>
internal static partial class DemoSetup
{
    /// <summary>The dataset folder name.</summary>
    public const string Dataset = "persuasionforgood";

    /// <summary>Commit of the public GitHub copy the download path uses (the provenance in the data README).</summary>
    public const string SourceCommit = "3fbc0df7bd2a081413cad6e6092e7c712efc26c4";

    /// <summary>The files the download path fetches, with their pinned SHA-256 (the release as kept in the shared data folder).</summary>
    /// <remarks>The human-annotated subset is an .xlsx file in that repository; the download path does not convert it,
    /// so a downloaded corpus has no human labels (the learned instrument then needs its cached trained model).</remarks>
    public static IReadOnlyList<(string Name, string Url, string Sha256)> PinnedFiles { get; } =
    [
        ("full_dialog.csv", $"https://raw.githubusercontent.com/ohyj1002/persuasionforgood/{SourceCommit}/data/FullData/full_dialog.csv",
            "3ecaa3e9f0577170b91c3306d2439c910150cf010b76e7637ef3bab724075a9f"),
        ("full_info.csv", $"https://raw.githubusercontent.com/ohyj1002/persuasionforgood/{SourceCommit}/data/FullData/full_info.csv",
            "93be6f62d41f4925e8be21534c23cd75444e1a5d5384abe13b15eda2b37838b4"),
    ];

    /// <summary>The PersuasionForGood folder: <c>--data</c>, <c>DFID_DATA</c>, <c>../shared/data</c>; else a download into the cache.</summary>
    /// <param name="dataPath">The <c>--data</c> folder, or null.</param>
    /// <param name="cacheFolder">Where a download goes (<c>CACHE/data/persuasionforgood</c>).</param>
    /// <param name="http">HTTP client for the download; null means "no network": the locator's error is raised.</param>
    /// <param name="log">Progress notes.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public static async Task<string> LocateOrDownloadAsync(string? dataPath, string cacheFolder, HttpClient? http, Action<string>? log = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cacheFolder);
        try
        {
            return DataLocator.LocateDataset(dataPath, Dataset);
        }
        catch (DfidException located) when (dataPath is null)
        {
            var target = Path.Combine(cacheFolder, "data", Dataset);
            if (PinnedFiles.All(f => File.Exists(Path.Combine(target, f.Name)))) return target;
            if (http is null) throw;
            log?.Invoke($"PersuasionForGood not found locally ({located.Message}); downloading the public release into {target}");
            try
            {
                await DownloadAsync(http, target, log, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                throw new DfidException($"{located.Message}. Downloading it failed too ({ex.Message}); pass --data DIR or set DFID_DATA.", 2, ex);
            }
            return target;
        }
    }

    /// <summary>Downloads the pinned files into <paramref name="folder"/>, checking each SHA-256 before it is kept.</summary>
    /// <exception cref="DfidException">A file's hash differs from the pinned one (nothing is kept).</exception>
    public static async Task DownloadAsync(HttpClient http, string folder, Action<string>? log = null, CancellationToken cancellationToken = default,
        IReadOnlyList<(string Name, string Url, string Sha256)>? files = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        Directory.CreateDirectory(folder);
        foreach (var (name, url, sha) in files ?? PinnedFiles)
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path) && RunPipeline.FileSha256(path) == sha) continue;
            log?.Invoke($"downloading {url}");
            var bytes = await http.GetByteArrayAsync(new Uri(url), cancellationToken);
            var got = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (got != sha)
                throw new DfidException($"{url}: SHA-256 {got} differs from the pinned {sha}; the file was not kept. Download the release yourself and pass --data DIR.", 1);
            var tmp = path + ".part";
            await File.WriteAllBytesAsync(tmp, bytes, cancellationToken);
            File.Move(tmp, path, overwrite: true);
        }
        await File.WriteAllTextAsync(Path.Combine(folder, "SOURCE.txt"),
            $"Downloaded by dfid demo from ohyj1002/persuasionforgood@{SourceCommit} (Apache-2.0), SHA-256 checked.\n", cancellationToken);
    }

    /// <summary>The Japanese sales talk corpus's folder name.</summary>
    public const string SalesTalk = "salestalk-ja";

    /// <summary>Imports the dataset into <paramref name="corpusPath"/> unless a previous import of the same source files is there.</summary>
    /// <param name="datasetFolder">The dataset's folder.</param>
    /// <param name="corpusPath">The corpus file to write.</param>
    /// <param name="log">Progress notes.</param>
    /// <param name="dataset"><see cref="Dataset"/> or <see cref="SalesTalk"/>.</param>
    /// <returns>Whether an import ran (false: reused).</returns>
    public static bool ImportOnce(string datasetFolder, string corpusPath, Action<string>? log = null, string dataset = Dataset)
    {
        ArgumentNullException.ThrowIfNull(datasetFolder);
        ArgumentNullException.ThrowIfNull(corpusPath);
        var stamp = SourceStamp(datasetFolder);
        var stampPath = corpusPath + ".source";
        if (File.Exists(corpusPath) && File.Exists(stampPath) && File.ReadAllText(stampPath) == stamp) return false;
        log?.Invoke($"importing {datasetFolder} into {corpusPath}");
        ICorpusImporter importer = dataset == SalesTalk ? new SalesTalkJaImporter() : new PersuasionForGoodImporter();
        var result = importer.Import(new CorpusImportRequest(datasetFolder, null));
        if (result.Problems.Count > 0)
            throw new DfidException($"{result.Problems.Count} problems importing {datasetFolder}, e.g. {result.Problems[0]}; run `dfid corpus import --format {dataset}` to see them all", 1);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(corpusPath))!);
        CorpusFile.Write(corpusPath, result.Conversations);
        File.WriteAllText(stampPath, stamp);
        return true;
    }

    /// <summary>The default experiment text: offline, or with the persona/instructed conditions on <paramref name="model"/>;
    /// for <see cref="SalesTalk"/> the Japanese sales experiment (which needs a model).</summary>
    /// <exception cref="DfidException">The sales talk without a model (exit code 2): its text is Japanese and the offline learned
    /// instrument is English-only.</exception>
    public static string ExperimentText(string? model, int perStratum = 187, string dataset = Dataset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perStratum, 1);
        if (dataset == SalesTalk && model is null)
            throw new DfidException(
                "the salestalk-ja demo needs a model (--model SPEC or DFID_MODEL=SPEC, e.g. openai:gpt-4o-mini or gguf:PATH): its chats are in Japanese, " +
                "and the offline learned instrument is trained on English PersuasionForGood turns, so dfid does not apply it to them", 2);
        var template = PromptText.Resource(dataset == SalesTalk ? "experiments/demo-salestalk.yaml" : model is null ? "experiments/demo.yaml" : "experiments/demo-llm.yaml");
        var values = new Dictionary<string, string> { ["per_stratum"] = perStratum.ToString(CultureInfo.InvariantCulture) };
        if (model is not null) values["model"] = model.Replace("\"", "\\\"", StringComparison.Ordinal);
        return PromptText.Fill(template, values) + "\n";
    }

    /// <summary>The default run folder: <c>runs/demo</c>, or <c>runs/demo-MODEL</c> with a model, <c>runs/demo-salestalk-ja-MODEL</c>
    /// for the sales talk (a folder holds one experiment).</summary>
    public static string DefaultRunFolder(string? model, string dataset = Dataset) =>
        Path.Combine("runs", "demo" + (dataset == Dataset ? "" : "-" + dataset) + (model is null ? "" : "-" + Slug().Replace(model, "-").Trim('-').ToLowerInvariant()));

    private static string SourceStamp(string folder) => string.Join("\n",
        Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}"));

    [GeneratedRegex("[^A-Za-z0-9._]+")]
    private static partial Regex Slug();
}
