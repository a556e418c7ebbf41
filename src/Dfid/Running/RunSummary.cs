using Dfid.Analysis;

namespace Dfid.Running;

/// <summary>The quick per-condition summary printed at the end of a run: conversation-level mean D by outcome stratum.</summary>
/// <param name="Condition">Condition name.</param>
/// <param name="Probes">Probe rows of the condition.</param>
/// <param name="ProbesOk">Rows with both labels.</param>
/// <param name="ConversationsNotConverted">Non-converted conversations with at least one usable probe.</param>
/// <param name="ConversationsConverted">Converted conversations with at least one usable probe.</param>
/// <param name="MeanDNotConverted">E[D̄ | not converted] (NaN when the stratum is empty).</param>
/// <param name="MeanDConverted">E[D̄ | converted] (NaN when the stratum is empty).</param>
public sealed record RunSummary(
    string Condition,
    int Probes,
    int ProbesOk,
    int ConversationsNotConverted,
    int ConversationsConverted,
    double MeanDNotConverted,
    double MeanDConverted)
{
    /// <summary>Δ = E[D̄ | not converted] − E[D̄ | converted].</summary>
    public double Delta => MeanDNotConverted - MeanDConverted;

    /// <summary>Per condition, in the order the rows first name them: D = δ(sim) − δ(real) on the ordinal stage coding,
    /// averaged per conversation, then per stratum. Failed probes are counted and left out of the means.</summary>
    public static IReadOnlyList<RunSummary> Compute(IReadOnlyList<ProbeRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new List<RunSummary>();
        foreach (var g in rows.GroupBy(r => r.Condition))
        {
            var ok = g.Where(r => r.Status == ProbeStatus.Ok && r.Real is not null && r.Sim is not null).ToList();
            var perConv = ok.GroupBy(r => (r.ConversationId, r.Converted))
                .Select(c => (c.Key.Converted, Mean: c.Average(r => (double)((int)r.Sim!.Stage - (int)r.Real!.Stage))))
                .ToList();
            var not = perConv.Where(c => !c.Converted).Select(c => c.Mean).ToList();
            var conv = perConv.Where(c => c.Converted).Select(c => c.Mean).ToList();
            result.Add(new RunSummary(g.Key, g.Count(), ok.Count, not.Count, conv.Count,
                not.Count > 0 ? not.Average() : double.NaN, conv.Count > 0 ? conv.Average() : double.NaN));
        }
        return result;
    }
}
