using Dfid.Core;

namespace Dfid.Analysis;

/// <summary>
/// The protocol's selection check: engagement statistics of the whole corpus beside those of the run's conversations (the
/// sample), so that sampling cannot quietly create the effect; and the resisting share the instrument gives the real probed
/// turns, beside the human share where human labels exist.
/// </summary>
/// <param name="Corpus">Every conversation of the corpus file, as the run recorded it; null for runs recorded before the check
/// existed (run them again: they resume with nothing to do).</param>
/// <param name="Sample">The run's conversations (for a balanced sample the converted share is one half by design: compare
/// the strata, not the totals).</param>
/// <param name="Instruments">Per instrument, the resisting share of the real probed turns it labelled. The instrument labels
/// the sample's probed turns only, so its corpus share is not available; the human share on the same turns is beside it.</param>
/// <param name="HumanLabels">Where the human stages came from (a labels file, an act mapping), or null when there are none.</param>
public sealed record SelectionCheck(
    EngagementStatistics? Corpus,
    EngagementStatistics Sample,
    IReadOnlyList<InstrumentResistingShare> Instruments,
    string? HumanLabels)
{
    /// <summary>Per offline instrument (one that makes no model call), its resisting share of the real turns at the probe
    /// positions of every corpus conversation, labelled when the run completed: the corpus side of
    /// <see cref="Instruments"/>. Null for runs recorded before it existed; instruments that call a model are not run over
    /// the whole corpus (cost), so they have no entry.</summary>
    public IReadOnlyList<CorpusResistingShare>? CorpusInstruments { get; init; }

    /// <summary>SHA-256 of the run's human labels file (<c>human_labels:</c>) as this analysis read it; null without one. A
    /// report re-analyses when the file has changed since.</summary>
    public string? HumanLabelsSha256 { get; init; }
}

/// <summary>The resisting share one instrument gives the real probed turns of the run (each probed turn once).</summary>
/// <param name="Instrument">Instrument name.</param>
/// <param name="Probes">Real probed turns it labelled.</param>
/// <param name="ResistingShare">Share labelled resisting (null without any).</param>
/// <param name="ProbesNotConverted">Of those, turns of non-converters.</param>
/// <param name="ResistingShareNotConverted">Resisting share among them.</param>
/// <param name="ProbesConverted">Turns of converters.</param>
/// <param name="ResistingShareConverted">Resisting share among them.</param>
/// <param name="HumanLabelledProbes">Probed turns that also carry a human stage.</param>
/// <param name="HumanResistingShare">Human resisting share on those turns.</param>
/// <param name="InstrumentResistingShareOnLabelled">The instrument's resisting share on the same turns.</param>
public sealed record InstrumentResistingShare(
    string Instrument,
    int Probes,
    double? ResistingShare,
    int ProbesNotConverted,
    double? ResistingShareNotConverted,
    int ProbesConverted,
    double? ResistingShareConverted,
    int HumanLabelledProbes,
    double? HumanResistingShare,
    double? InstrumentResistingShareOnLabelled);

/// <summary>The parts of the selection check computed from the probe table.</summary>
public static class SelectionChecks
{
    /// <summary>Per instrument, the resisting share of the real probed turns: a turn probed by several conditions of one
    /// instrument (and so labelled once) counts once; turns the instrument failed to label are left out.</summary>
    /// <param name="rows">The probe table.</param>
    /// <param name="instrumentOf">Condition → instrument; a condition not named here is its own instrument.</param>
    /// <returns>One entry per instrument, in order of first appearance.</returns>
    public static IReadOnlyList<InstrumentResistingShare> InstrumentShares(IReadOnlyList<ProbeRow> rows, IReadOnlyDictionary<string, string> instrumentOf)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(instrumentOf);
        var order = new List<string>();
        var turns = new Dictionary<string, Dictionary<(string, int), ProbeRow>>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            if (r.Real is null) continue;
            var instrument = instrumentOf.GetValueOrDefault(r.Condition) ?? r.Condition;
            if (!turns.TryGetValue(instrument, out var set))
            {
                turns[instrument] = set = [];
                order.Add(instrument);
            }
            set.TryAdd((r.ConversationId, r.ProbeTurn), r);
        }
        return [.. order.Select(name =>
        {
            var all = turns[name].Values.ToList();
            var not = all.Where(r => !r.Converted).ToList();
            var conv = all.Where(r => r.Converted).ToList();
            var labelled = all.Where(r => r.HumanStage is not null).ToList();
            return new InstrumentResistingShare(name, all.Count, Share(all, r => r.Real!.Stage == Stage.Resisting),
                not.Count, Share(not, r => r.Real!.Stage == Stage.Resisting), conv.Count, Share(conv, r => r.Real!.Stage == Stage.Resisting),
                labelled.Count, Share(labelled, r => r.HumanStage == Stage.Resisting), Share(labelled, r => r.Real!.Stage == Stage.Resisting));
        })];
    }

    /// <summary>The share of <paramref name="items"/> meeting <paramref name="test"/>; null for none.</summary>
    public static double? Share<T>(IReadOnlyCollection<T> items, Func<T, bool> test)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(test);
        return items.Count == 0 ? null : (double)items.Count(test) / items.Count;
    }
}
