using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

/// <summary>The exit channel at teacher-forced probes (protocol, "Walk-away fidelity"): exit recall at real exit points,
/// false exits at ordinary probes, the paired McNemar test of real vs simulated exit, and the real base rates.</summary>
/// <remarks>
/// Pure and deterministic given the rows and the seed. Per conversation, recall is the share of its usable real exit
/// points where the simulator left (a conversation has at most one) and the false-exit rate the share of its usable
/// ordinary probes where it left; each stratum's rate is the mean over conversations, so every conversation weighs the
/// same (as D̄ does), and the intervals come from the depth analysis' joint bootstrap of conversations within strata.
/// A row whose simulation failed (<see cref="ExitProbeRow.SimExit"/> null) is counted and excluded from recall, false
/// exits and McNemar; it still counts for the real base rates, which are properties of the corpus. McNemar pairs the real
/// and the simulated branch of each usable probe (real exit vs simulated exit) and, like every probe-level test, ignores
/// the clustering of probes within conversations.
/// </remarks>
internal static class ExitProbeAnalysis
{
    /// <summary>What the converted stratum of the exit probes can show, written into the results.</summary>
    public const string ConvertedNote =
        "Converted conversations are cut at their decision, so they have no real exit point (censored): they contribute " +
        "continuation points only, and exit recall is undefined there; their false-exit rate is still measured.";

    private sealed class Conv(string id, bool converted)
    {
        public string Id { get; } = id;
        public bool Converted { get; } = converted;
        public int ExitPoints, Ordinary, Failed, UsableExitPoints, UsableOrdinary, SimExitsAtExitPoints, SimExitsAtOrdinary;
    }

    public static ExitResult Compute(string condition, IReadOnlyList<ExitProbeRow> rows, AnalysisOptions options)
    {
        var convs = new List<Conv>();
        var byId = new Dictionary<string, Conv>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            if (!byId.TryGetValue(r.ConversationId, out var c))
            {
                c = new Conv(r.ConversationId, r.Converted);
                byId[r.ConversationId] = c;
                convs.Add(c);
            }
            else if (c.Converted != r.Converted)
            {
                throw new DfidException(
                    $"condition '{condition}', conversation '{r.ConversationId}': exit probe rows disagree on the outcome (turn {r.TurnIndex} says converted={r.Converted}); fix the run store's conversation outcome", 1);
            }
            if (r.RealExit && r.Converted)
                throw new DfidException(
                    $"condition '{condition}', conversation '{r.ConversationId}': an exit probe at turn {r.TurnIndex} is marked as a real exit point, but the conversation converted; converted conversations are cut at their decision and have no exit point", 1);
            var usable = r.Status == ProbeStatus.Ok && r.SimExit is not null;
            if (r.RealExit) c.ExitPoints++;
            else c.Ordinary++;
            if (!usable)
            {
                c.Failed++;
                continue;
            }
            var sim = r.SimExit!.Value;
            if (r.RealExit)
            {
                c.UsableExitPoints++;
                if (sim) c.SimExitsAtExitPoints++;
            }
            else
            {
                c.UsableOrdinary++;
                if (sim) c.SimExitsAtOrdinary++;
            }
        }

        // Columns per conversation: 0 recall, 1 false-exit rate (NaN where the conversation has no usable probe of that kind).
        const int k = 2;
        var a = new List<double>();
        var b = new List<double>();
        foreach (var c in convs)
        {
            var target = c.Converted ? b : a;
            target.Add(c.UsableExitPoints == 0 ? double.NaN : (double)c.SimExitsAtExitPoints / c.UsableExitPoints);
            target.Add(c.UsableOrdinary == 0 ? double.NaN : (double)c.SimExitsAtOrdinary / c.UsableOrdinary);
        }
        double[] notConverted = [.. a], converted = [.. b];
        var reps = DecisionFidelityAnalysis.JointReplicates(notConverted, converted, k, options, condition, DecisionFidelityAnalysis.ExitEndpoint);
        var level = options.ConfidenceLevel;
        ExitStratum Stratum(bool isConverted)
        {
            var x = isConverted ? converted : notConverted;
            var members = convs.Where(c => c.Converted == isConverted).ToList();
            int exitPoints = members.Sum(c => c.ExitPoints), ordinary = members.Sum(c => c.Ordinary);
            int realOnly = members.Sum(c => c.UsableExitPoints - c.SimExitsAtExitPoints);
            int simOnly = members.Sum(c => c.SimExitsAtOrdinary);
            var usable = members.Sum(c => c.UsableExitPoints + c.UsableOrdinary);
            return new ExitStratum(
                Conversations: members.Count,
                ConversationsWithExitPoint: members.Count(c => c.ExitPoints > 0),
                ExitPoints: exitPoints,
                OrdinaryProbes: ordinary,
                SimulationFailed: members.Sum(c => c.Failed),
                SimExitsAtExitPoints: members.Sum(c => c.SimExitsAtExitPoints),
                SimExitsAtOrdinaryProbes: simOnly,
                Recall: DecisionFidelityAnalysis.RateOf(DecisionFidelityAnalysis.ColumnOf(x, k, 0), isConverted ? reps[0].MeanB : reps[0].MeanA, level),
                FalseExits: DecisionFidelityAnalysis.RateOf(DecisionFidelityAnalysis.ColumnOf(x, k, 1), isConverted ? reps[1].MeanB : reps[1].MeanA, level),
                RealExitPointShare: exitPoints + ordinary == 0 ? null : (double)exitPoints / (exitPoints + ordinary),
                RealExitConversationShare: members.Count == 0 ? null : (double)members.Count(c => c.ExitPoints > 0) / members.Count,
                RealOnly: realOnly,
                SimOnly: simOnly,
                McNemarP: usable == 0 ? null : HypothesisTests.McNemarExact(realOnly, simOnly),
                McNemarChiSquareP: HypothesisTests.McNemarChiSquare(realOnly, simOnly),
                Censored: isConverted);
        }
        return new ExitResult(Stratum(true), Stratum(false), "exact", ConvertedNote);
    }
}
