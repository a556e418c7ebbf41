using System.Globalization;
using Dfid.Models;
using Dfid.Store;

namespace Dfid.Running;

// Batch execution and the batch records of a run folder.
public sealed partial class RunPipeline
{
    private BatchLedger CreateLedger(RunStore store, ExecutionSpec execution, ModelLayerOptions layer, TimeProvider time)
    {
        // A session id that sorts by start and is unique across machines sharing a folder's history.
        var session = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        return new BatchLedger(store, session, execution, layer, layer.Prices ?? PriceTable.Default, time, _options.BatchProviderFactory);
    }

    /// <summary>The batches of a run so far, for its manifest; null when it has none.</summary>
    private static BatchTotals? BatchTotalsOf(RunStore store)
    {
        var batches = store.ReadBatches();
        if (batches.Count == 0) return null;
        return new BatchTotals(batches.Count, batches.Sum(b => (long)b.Requests), batches.Sum(b => (long)b.ItemsOk), batches.Sum(b => (long)b.ItemsFailed),
            batches.Sum(b => (long)b.ItemsPending), batches.Sum(b => b.PromptTokens), batches.Sum(b => b.CompletionTokens), batches.Sum(b => b.CachedTokens),
            batches.All(b => b.CostUsd is not null) ? batches.Sum(b => b.CostUsd!.Value) : null);
    }

    /// <summary>The provider batches of a run folder as the store last saw them (<c>dfid run --status RUN</c>): one line per
    /// batch and the totals; needs no key and sends nothing.</summary>
    /// <exception cref="DfidException">No run store in the folder (exit code 2).</exception>
    public RunBatchStatus BatchStatus(string runDir)
    {
        using var store = OpenExisting(runDir);
        var manifest = store.ReadManifest();
        var batches = store.ReadBatches().Select(b => new BatchStatusLine(b.Id, b.Spec, b.Phase, b.Round, b.State, b.Requests,
            b.IngestedSession is null ? b.Completed : b.ItemsOk, b.IngestedSession is null ? b.Failed : b.ItemsFailed,
            b.IngestedSession is not null, b.SubmittedAt, b.PolledAt, b.Error, b.CostUsd)).ToList();
        return new RunBatchStatus(Path.GetFullPath(runDir), manifest?.Execution, manifest?.Shard, manifest?.ProbeCount, batches, BatchTotalsOf(store));
    }
}

/// <summary>A run folder's provider batches.</summary>
/// <param name="RunDir">The run folder.</param>
/// <param name="Execution">The latest session's execution (<c>online</c>/<c>batch</c>), if recorded.</param>
/// <param name="Shard">The folder's shard, if any.</param>
/// <param name="Probes">Probes in the run, if recorded.</param>
/// <param name="Batches">Every batch in submission order.</param>
/// <param name="Totals">Totals over the batches; null when there are none.</param>
public sealed record RunBatchStatus(string RunDir, string? Execution, string? Shard, int? Probes, IReadOnlyList<BatchStatusLine> Batches, BatchTotals? Totals);

/// <summary>One provider batch as the store last saw it.</summary>
/// <param name="Id">The provider's batch id.</param>
/// <param name="Model">The model spec.</param>
/// <param name="Phase"><c>simulate</c>, <c>label</c> or <c>actions</c>.</param>
/// <param name="Round">The phase's round.</param>
/// <param name="State">The state last read (validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled).</param>
/// <param name="Submitted">Requests submitted.</param>
/// <param name="Completed">Requests answered: the stored answers once read, else the provider's last count.</param>
/// <param name="Failed">Requests failed: the stored failures once read, else the provider's last count.</param>
/// <param name="Read">Whether its results are in the store.</param>
/// <param name="SubmittedAt">When it was submitted (UTC).</param>
/// <param name="PolledAt">The last status read (UTC), if any.</param>
/// <param name="Error">The provider's error for the batch as a whole, if any.</param>
/// <param name="CostUsd">Cost of its answers at the batch price (null: unknown price).</param>
public sealed record BatchStatusLine(string Id, string Model, string Phase, int Round, string State, int Submitted, int Completed, int Failed, bool Read,
    string SubmittedAt, string? PolledAt, string? Error, double? CostUsd);
