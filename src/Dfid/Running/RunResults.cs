using System.Text.Json;
using Dfid.Analysis;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>
/// A run folder read into the analysis: its probe table, its conditions and its manifest. The one way
/// <c>dfid run</c>, <c>dfid demo</c>, <c>dfid analyze</c>, <c>dfid export</c> and <c>dfid report</c> get there.
/// </summary>
public static class RunResults
{
    /// <summary>Opens the run store of <paramref name="runDir"/>.</summary>
    /// <exception cref="DfidException">There is no run store in the folder (exit code 2).</exception>
    public static RunStore OpenStore(string runDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        if (!File.Exists(Path.Combine(runDir, RunStore.FileName)))
            throw new DfidException($"{runDir}: no {RunStore.FileName}; pass a run folder written by `dfid run --out DIR` or `dfid demo` (runs/demo)", 2);
        return RunStore.Open(runDir);
    }

    /// <summary>Reads the probe table of a run that has at least one finished probe.</summary>
    /// <exception cref="DfidException">No probe has finished yet (exit code 1).</exception>
    public static IReadOnlyList<ProbeRow> ReadRows(RunStore store, bool includeTexts)
    {
        ArgumentNullException.ThrowIfNull(store);
        var rows = store.ReadProbeRows(includeTexts);
        if (rows.Count == 0)
            throw new DfidException($"{store.FilePath}: no finished probe yet; run `dfid run` on this folder first (it resumes)", 1);
        return rows;
    }

    /// <summary>Analyses <paramref name="rows"/> with the store's condition descriptors and attaches its manifest.</summary>
    /// <param name="store">The run store the rows came from.</param>
    /// <param name="rows">Its probe table.</param>
    /// <param name="options">Analysis options (defaults when null); conditions given there win over the store's.</param>
    public static AnalysisResults Analyze(RunStore store, IReadOnlyList<ProbeRow> rows, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new AnalysisOptions();
        if (options.Conditions is null)
            options = options with { Conditions = store.ReadConditions().Select(c => new ConditionDescriptor(c.Name, c.Simulator, c.Instrument)).ToList() };
        var results = DecisionFidelityAnalysis.Analyze(rows, options);
        return results with { Manifest = Manifest(store) };
    }

    /// <summary>The run manifest as results.json holds it (snake_case), or null before the run wrote one.</summary>
    public static JsonElement? Manifest(RunStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.ReadManifest() is { } manifest ? JsonSerializer.SerializeToElement(manifest, ManifestJson) : null;
    }

    // results.json is snake_case throughout, the manifest included.
    private static readonly JsonSerializerOptions ManifestJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
