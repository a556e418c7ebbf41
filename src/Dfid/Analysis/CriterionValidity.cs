using System.Text.Json.Serialization;
using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

/// <summary>
/// The outcome signal at one probe position: how the resisting share and the depth of the real turns there separate
/// non-converters from converters, by the human labels and by the instrument on the same turns. The decision-fidelity
/// analysis rests on this difference; an instrument that loses it cannot show a simulator losing it.
/// </summary>
/// <param name="Position">Probe position.</param>
/// <param name="Human">Non-converters against converters by the human labels.</param>
/// <param name="Instrument">The same turns by the instrument.</param>
/// <param name="KeptShare">The instrument's resisting difference as a share of the human one (1 = all of it; negative =
/// reversed; NaN when the human difference is 0).</param>
public sealed record OutcomeSignal(double Position, OutcomeContrastResult Human, OutcomeContrastResult Instrument,
    [property: JsonConverter(typeof(UndefinedAsNull))] double KeptShare);

/// <summary>How often the instrument reads a refusal as a commitment.</summary>
/// <param name="HumanResisting">Turns the humans labelled resisting.</param>
/// <param name="AtDeciding">Of those, turns the instrument labelled deciding.</param>
/// <param name="Share">AtDeciding / HumanResisting (NaN when there are none).</param>
public sealed record RefusalCheck(int HumanResisting, int AtDeciding, [property: JsonConverter(typeof(UndefinedAsNull))] double Share);

/// <summary>One real turn with a known outcome, a human stage and the instrument's stage.</summary>
/// <param name="Position">The probe position that selected it.</param>
/// <param name="Converted">The conversation's real outcome.</param>
/// <param name="Human">The human stage.</param>
/// <param name="Instrument">The instrument's stage.</param>
public readonly record struct CriterionItem(double Position, bool Converted, Stage Human, Stage Instrument);

/// <summary>
/// Criterion validity of the decision-state instrument (pure): agreement with human labels is not enough when what the
/// analysis needs is the outcome signal the humans see, and refusals must never read as commitments.
/// </summary>
public static class CriterionValidity
{
    /// <summary>The outcome signal at each position present in <paramref name="items"/>, in ascending position order.</summary>
    public static IReadOnlyList<OutcomeSignal> OutcomeSignals(IEnumerable<CriterionItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var signals = new List<OutcomeSignal>();
        foreach (var at in items.GroupBy(i => i.Position).OrderBy(g => g.Key))
        {
            int[] Depths(bool converted, Func<CriterionItem, Stage> stage) => [.. at.Where(i => i.Converted == converted).Select(i => (int)stage(i))];
            var h = OutcomeContrast.Compare(Depths(false, i => i.Human), Depths(true, i => i.Human));
            var m = OutcomeContrast.Compare(Depths(false, i => i.Instrument), Depths(true, i => i.Instrument));
            signals.Add(new OutcomeSignal(at.Key, h, m, h.ResistingDifference == 0 ? double.NaN : m.ResistingDifference / h.ResistingDifference));
        }
        return signals;
    }

    /// <summary>Of the turns humans labelled resisting, how many the instrument put at deciding.</summary>
    public static RefusalCheck Refusals(IEnumerable<(Stage Human, Stage Instrument)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        int resisting = 0, atDeciding = 0;
        foreach (var (human, instrument) in pairs)
        {
            if (human != Stage.Resisting) continue;
            resisting++;
            if (instrument == Stage.Deciding) atDeciding++;
        }
        return new RefusalCheck(resisting, atDeciding, resisting == 0 ? double.NaN : (double)atDeciding / resisting);
    }
}
