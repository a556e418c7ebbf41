namespace Dfid.Analysis;

/// <summary>Agreement of the instrument's stage with human labels on one subset (e.g. real or simulated turns).</summary>
/// <param name="Subset">Which turns ("real turns, instrument learned").</param>
/// <param name="N">Turns with both a human and an instrument label.</param>
/// <param name="KappaQuadratic">Quadratic-weighted Cohen's κ with its 95% interval.</param>
/// <param name="AlphaOrdinal">Krippendorff's α (ordinal) with its 95% interval.</param>
/// <param name="Categories">Category names in matrix order (stages resisting → deciding).</param>
/// <param name="Confusion">Confusion matrix: rows human, columns instrument.</param>
/// <param name="OutcomeSignals">Criterion validity: at each probe position, how the resisting share separates non-converters
/// from converters by the human labels and by the instrument on the same real turns.</param>
/// <param name="Refusals">Of the real turns humans labelled resisting, how many the instrument put at deciding.</param>
public sealed record InstrumentAgreement(
    string Subset,
    int N,
    Estimate KappaQuadratic,
    Estimate AlphaOrdinal,
    IReadOnlyList<string> Categories,
    IReadOnlyList<IReadOnlyList<int>> Confusion,
    IReadOnlyList<OutcomeSignal>? OutcomeSignals = null,
    RefusalCheck? Refusals = null);

/// <summary>The instrument's agreement with human stages on the real turns of a probe table (pure).</summary>
public static class InstrumentAgreementAnalysis
{
    /// <summary>Bootstrap resamples of the agreement intervals.</summary>
    public const int Resamples = 1000;

    /// <summary>
    /// Agreement of each instrument's real-turn stage with the human stage, where the probe rows carry one (quadratic κ and
    /// ordinal α with bootstrap CIs resampling conversations, and the confusion matrix). Empty without human labels.
    /// </summary>
    /// <param name="rows">The probe table.</param>
    /// <param name="instrumentOf">Condition name → instrument name (conditions sharing an instrument share its real labels); a
    /// condition not listed stands for its own instrument.</param>
    /// <param name="seed">Seed of the resampling.</param>
    /// <param name="resamples">Bootstrap resamples of conversations.</param>
    public static IReadOnlyList<InstrumentAgreement> Compute(IReadOnlyList<ProbeRow> rows, IReadOnlyDictionary<string, string> instrumentOf, long seed,
        int resamples = Resamples)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(instrumentOf);
        var stages = Enum.GetValues<Stage>();
        var names = stages.Select(s => StateNames.Of(s)).ToList();
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
            // The same resamples (DrawResamples' draws from this seed) for both statistics.
            var intervals = Agreement.BootstrapCiOfConfusion(groups, stages.Length, [Agreement.CohensKappaQuadratic, Agreement.KrippendorffAlphaOrdinal],
                resamples, new Random(unchecked((int)seed)));
            var (kappa, alpha) = (intervals[0], intervals[1]);
            var m = Agreement.ConfusionMatrix(reference, predicted, stages.Length);
            var confusion = Enumerable.Range(0, stages.Length).Select(i => (IReadOnlyList<int>)Enumerable.Range(0, stages.Length).Select(j => m[i, j]).ToList()).ToList();
            var signals = CriterionValidity.OutcomeSignals(pairs.Select(r => new CriterionItem(r.Position, r.Converted, r.HumanStage!.Value, r.Real!.Stage)));
            var refusals = CriterionValidity.Refusals(pairs.Select(r => (r.HumanStage!.Value, r.Real!.Stage)));
            result.Add(new InstrumentAgreement($"real turns, instrument {byInstrument.Key}", pairs.Count, Est(kappa), Est(alpha), names, confusion,
                signals, refusals));
        }
        return result;
    }

    private static Estimate Est(BootstrapInterval b) => new(Finite(b.Estimate), Finite(b.Lower), Finite(b.Upper));

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
