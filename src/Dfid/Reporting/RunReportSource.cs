using System.Text.Json;
using Dfid.Analysis;
using Dfid.Store;

namespace Dfid.Reporting;

/// <summary>
/// Finds the analysis results of a run folder for the report: <c>results.json</c> when it is newer than the run
/// store (written by <c>dfid analyze</c>), otherwise the run store's probe table analysed now. The run manifest
/// is attached either way.
/// </summary>
public static class RunReportSource
{
    /// <summary>Loads (or computes) the results of <paramref name="runDir"/>, with the run manifest attached.</summary>
    /// <param name="runDir">A run folder (holding <c>run.sqlite</c>) or a folder holding only <c>results.json</c>.</param>
    /// <param name="options">Analysis options used when the results have to be computed; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels before the analysis starts.</param>
    /// <exception cref="DfidException">The folder holds neither a run store nor results (exit code 2), or the store has no finished probes.</exception>
    public static Task<AnalysisResults> LoadAsync(string runDir, AnalysisOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        cancellationToken.ThrowIfCancellationRequested();
        var storePath = Path.Combine(runDir, RunStore.FileName);
        var resultsPath = Path.Combine(runDir, "results.json");
        var haveStore = File.Exists(storePath);
        if (File.Exists(resultsPath) && (!haveStore || File.GetLastWriteTimeUtc(resultsPath) >= StoreWrittenAt(storePath)))
        {
            var read = AnalysisResultsJson.ReadFile(resultsPath);
            if (read.Manifest is null && haveStore)
            {
                using var s = RunStore.Open(runDir);
                read = read with { Manifest = ManifestElement(s) };
            }
            return Task.FromResult(read);
        }
        if (!haveStore)
            throw new DfidException($"{runDir}: no {RunStore.FileName} and no results.json; pass a run folder written by `dfid run` or `dfid demo`", 2);

        using var store = RunStore.Open(runDir);
        var rows = store.ReadProbeRows(includeTexts: true);
        if (rows.Count == 0)
            throw new DfidException($"{storePath}: no finished probe yet; run `dfid run` on this folder first (it resumes)", 1);
        var conditions = store.ReadConditions().Select(c => new ConditionDescriptor(c.Name, c.Simulator, c.Instrument)).ToList();
        options = (options ?? new AnalysisOptions()) with { Conditions = options?.Conditions ?? conditions };
        cancellationToken.ThrowIfCancellationRequested();
        var results = DecisionFidelityAnalysis.Analyze(rows, options);
        return Task.FromResult(results with { Manifest = ManifestElement(store) });
    }

    // SQLite in WAL mode writes to the -wal file first; the store changed when either file did.
    private static DateTime StoreWrittenAt(string storePath)
    {
        var wal = storePath + "-wal";
        var t = File.GetLastWriteTimeUtc(storePath);
        return File.Exists(wal) && File.GetLastWriteTimeUtc(wal) > t ? File.GetLastWriteTimeUtc(wal) : t;
    }

    private static JsonElement? ManifestElement(RunStore store) =>
        store.ReadManifest() is { } m ? JsonSerializer.SerializeToElement(m, ManifestJson) : null;

    private static readonly JsonSerializerOptions ManifestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };
}
