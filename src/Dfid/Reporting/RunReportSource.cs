using Dfid.Analysis;
using Dfid.Running;
using Dfid.Store;

namespace Dfid.Reporting;

/// <summary>
/// Finds the analysis results of a run folder for the report: <c>results.json</c> when it is newer than the run
/// store (written by <c>dfid analyze</c>), otherwise the run store's probe table analysed now. The run manifest
/// is attached either way.
/// </summary>
public static class RunReportSource
{
    /// <summary>Loads (or computes) the results of <paramref name="runDir"/>, with the run manifest attached, and the
    /// instrument's agreement with human labels when the store has them.</summary>
    /// <param name="runDir">A run folder (holding <c>run.sqlite</c>) or a folder holding only <c>results.json</c>.</param>
    /// <param name="options">Analysis options used when the results have to be computed; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels before the analysis starts.</param>
    /// <exception cref="DfidException">The folder holds neither a run store nor results (exit code 2), or the store has no finished probes.</exception>
    public static Task<RunReportData> LoadAsync(string runDir, AnalysisOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        cancellationToken.ThrowIfCancellationRequested();
        var storePath = Path.Combine(runDir, RunStore.FileName);
        var resultsPath = Path.Combine(runDir, "results.json");
        var haveStore = File.Exists(storePath);
        if (File.Exists(resultsPath) && (!haveStore || File.GetLastWriteTimeUtc(resultsPath) >= StoreWrittenAt(storePath)))
        {
            var read = AnalysisResultsJson.ReadFile(resultsPath);
            if (!haveStore) return Task.FromResult(new RunReportData(read, []));
            using var s = RunStore.Open(runDir);
            if (read.Manifest is null) read = read with { Manifest = RunResults.Manifest(s) };
            return Task.FromResult(new RunReportData(read, Validation(s, s.ReadProbeRows(), read.Settings.Seed)));
        }
        using var store = RunResults.OpenStore(runDir);
        var rows = RunResults.ReadRows(store, includeTexts: true);
        cancellationToken.ThrowIfCancellationRequested();
        var results = RunResults.Analyze(store, rows, options);
        return Task.FromResult(new RunReportData(results, Validation(store, rows, results.Settings.Seed)));
    }

    // SQLite in WAL mode writes to the -wal file first; the store changed when either file did.
    private static DateTime StoreWrittenAt(string storePath)
    {
        var wal = storePath + "-wal";
        var t = File.GetLastWriteTimeUtc(storePath);
        return File.Exists(wal) && File.GetLastWriteTimeUtc(wal) > t ? File.GetLastWriteTimeUtc(wal) : t;
    }

    /// <summary>
    /// Agreement of each instrument's real-turn stage with the human stage, where the probe rows carry one (the
    /// analysis' <see cref="Agreement"/> statistics; bootstrap CIs resample conversations). Empty without human labels.
    /// </summary>
    /// <param name="rows">The probe table.</param>
    /// <param name="instrumentOf">Condition name → instrument name (conditions sharing an instrument share its real labels).</param>
    /// <param name="resamples">Bootstrap resamples for the intervals.</param>
    /// <param name="seed">Seed of the resampling.</param>
    public static IReadOnlyList<InstrumentAgreement> InstrumentValidation(IReadOnlyList<ProbeRow> rows, IReadOnlyDictionary<string, string> instrumentOf, int resamples = 1000, long seed = 20260601)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(instrumentOf);
        var stages = Enum.GetValues<Dfid.Instrument.Stage>();
        var names = stages.Select(s => ProtocolNames.Of(s)).ToList();
        var result = new List<InstrumentAgreement>();
        var labelled = rows.Where(r => r.HumanStage is not null && r.Real is not null)
            .GroupBy(r => instrumentOf.TryGetValue(r.Condition, out var i) ? i : r.Condition, StringComparer.Ordinal);
        foreach (var byInstrument in labelled)
        {
            // One pair per real turn: conditions with the same instrument label the same real turn.
            var pairs = byInstrument.DistinctBy(r => (r.ConversationId, r.ProbeTurn)).ToList();
            var groups = pairs.GroupBy(r => r.ConversationId, StringComparer.Ordinal)
                .Select(g => (Reference: g.Select(r => (int)r.HumanStage!.Value).ToArray(), Predicted: g.Select(r => (int)r.Real!.Stage).ToArray())).ToList();
            var reference = groups.SelectMany(g => g.Reference).ToArray();
            var predicted = groups.SelectMany(g => g.Predicted).ToArray();
            var draws = Agreement.DrawResamples(groups.Count, resamples, new Random(unchecked((int)seed)));
            var kappa = Agreement.BootstrapCi(groups, (a, b) => Agreement.CohensKappaQuadratic(a, b, stages.Length), draws);
            var alpha = Agreement.BootstrapCi(groups, (a, b) => Agreement.KrippendorffAlphaOrdinal(a, b, stages.Length), draws);
            var m = Agreement.ConfusionMatrix(reference, predicted, stages.Length);
            var confusion = Enumerable.Range(0, stages.Length).Select(i => (IReadOnlyList<int>)Enumerable.Range(0, stages.Length).Select(j => m[i, j]).ToList()).ToList();
            result.Add(new InstrumentAgreement($"real turns, instrument {byInstrument.Key}", pairs.Count, Est(kappa), Est(alpha), names, confusion));
        }
        return result;
    }

    private static IReadOnlyList<InstrumentAgreement> Validation(RunStore store, IReadOnlyList<ProbeRow> rows, long seed) =>
        InstrumentValidation(rows, store.ReadConditions().ToDictionary(c => c.Name, c => c.Instrument, StringComparer.Ordinal), seed: seed);

    private static Estimate Est(BootstrapInterval b) => new(Finite(b.Estimate), Finite(b.Lower), Finite(b.Upper));

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}

/// <summary>What the report of a run folder shows: the analysis results (manifest attached) and the instrument validation.</summary>
/// <param name="Results">The analysis results.</param>
/// <param name="InstrumentValidation">Agreement with human labels per instrument (empty when the run has none).</param>
public sealed record RunReportData(AnalysisResults Results, IReadOnlyList<InstrumentAgreement> InstrumentValidation);
