using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

/// <summary>Walk-away statistics of a rollout condition (protocol, "Walk-away fidelity"): survival of the simulated and the
/// real user from the same real prefix, walk-away and conversion rates, and the rollout Δ next to the teacher-forced Δ.</summary>
/// <remarks>
/// Pure and deterministic given the rows and the seed. The unit of every interval is the conversation: a conversation's
/// K rollouts are averaged first, then the strata are resampled as the depth analysis does (one joint bootstrap serves
/// every rate and Δ of the condition). The Kaplan–Meier curves and log-rank tests are R's <c>survfit</c>/<c>survdiff</c>
/// on one real subject per conversation and one simulated subject per rollout: with K &gt; 1 the simulated side's K
/// rollouts of a conversation count as independent there (Greenwood intervals and log-rank p somewhat too small); the
/// bootstrapped walk-away rates are the conversation-level comparison.
/// </remarks>
internal static class RolloutAnalysis
{
    /// <summary>The censoring rule, written into the results.</summary>
    public const string CensoringRule =
        "time = user turns written after the start (at most the cap); event = the user exits before the cap (time < cap). " +
        "Simulated: censored at a detected decision, at the cap, when the agent ended or a failure ended the rollout. " +
        "Real: censored when the conversation converted or ended on a user turn, and at the cap: a real exit after cap or more user turns " +
        "is censored at the cap, like a rollout that reached it (an exit after the cap-th simulated turn is censored the same way). " +
        "One real subject per conversation, one simulated subject per rollout.";

    /// <summary>Survival time and event of a rollout (the simulated side).</summary>
    public static (int Time, bool Exit) SimulatedSurvival(RolloutRow row) =>
        (Math.Min(row.UserTurns, row.Cap), row.End == RolloutEnd.Exit && row.UserTurns < row.Cap);

    /// <summary>Survival time and event of the real continuation of a rollout's conversation, under the same cap.</summary>
    public static (int Time, bool Exit) RealSurvival(RolloutRow row) =>
        (Math.Min(row.RealUserTurns, row.Cap), row.RealExit && row.RealUserTurns < row.Cap);

    /// <summary>Whether the real user converted within the cap: the decision follows fewer than cap real user turns, so it
    /// falls at a user turn the rollout could reach (a simulated decision is a labelled user turn at most the cap-th).</summary>
    public static bool RealConversionWithinCap(RolloutRow row) => row.Converted && row.RealUserTurns < row.Cap;

    /// <summary>D̄ of one rollout: mean over matched positions k (both the k-th simulated and the k-th real user turn labelled)
    /// of δ(sim) − δ(real); NaN without a matched position.</summary>
    public static (double Dbar, int Matched) RolloutDbar(RolloutRow row)
    {
        var n = Math.Min(row.SimStages.Count, row.RealStages.Count);
        double sum = 0;
        var matched = 0;
        for (var i = 0; i < n; i++)
            if (row.SimStages[i] is { } s && row.RealStages[i] is { } r)
            {
                sum += DecisionFidelityAnalysis.Depth(s) - DecisionFidelityAnalysis.Depth(r);
                matched++;
            }
        return (matched == 0 ? double.NaN : sum / matched, matched);
    }

    private sealed class Conv(string id, bool converted)
    {
        public string Id { get; } = id;
        public bool Converted { get; } = converted;
        public List<RolloutRow> Rows { get; } = [];
        public RolloutRow First => Rows[0];
    }

    // Per-conversation columns, in this order; the first three are permutation-tested together. Differences (simulated −
    // real, rollout − teacher-forced) are not columns of their own: both sides are eligible on the same conversations, so
    // the difference of their resampled means is the resampled mean of the difference, and seven columns fit two vectors.
    private const int RolloutAll = 0, RolloutCommon = 1, TeacherCommon = 2, RealWalk = 3, SimWalk = 4, RealConv = 5, SimConv = 6, K = 7, Tested = 3;

    public static WalkAwayResult Compute(string condition, IReadOnlyList<RolloutRow> rows, IReadOnlyList<RolloutTurn> turns,
        IReadOnlyList<RealContinuation> continuations, (string Name, IReadOnlyList<ProbeRow> Rows)? twin, AnalysisOptions options)
    {
        var convs = Group(condition, rows);
        var cap = convs[0].First.Cap;
        var teacher = twin is { } t ? TeacherForcedDbar(condition, t.Name, t.Rows, convs) : null;

        var a = new List<double>();
        var b = new List<double>();
        var probes = new int[K];
        var row = new double[K];
        foreach (var c in convs)
        {
            double dbarSum = 0, walk = 0, decided = 0;
            int withMatch = 0, matched = 0;
            foreach (var r in c.Rows)
            {
                var (d, m) = RolloutDbar(r);
                if (m > 0) { dbarSum += d; withMatch++; matched += m; }
                if (SimulatedSurvival(r).Exit) walk++;
                if (r.End == RolloutEnd.Decision) decided++;
            }
            var rolloutDbar = withMatch == 0 ? double.NaN : dbarSum / withMatch;
            var tf = teacher is not null && teacher.TryGetValue(c.Id, out var x) ? x : (Dbar: double.NaN, Probes: 0);
            var common = !double.IsNaN(rolloutDbar) && !double.IsNaN(tf.Dbar);
            var realWalk = RealSurvival(c.First).Exit ? 1.0 : 0.0;
            var simWalk = walk / c.Rows.Count;
            var realConv = RealConversionWithinCap(c.First) ? 1.0 : 0.0;
            var simConv = decided / c.Rows.Count;
            row[RolloutAll] = rolloutDbar;
            row[RolloutCommon] = common ? rolloutDbar : double.NaN;
            row[TeacherCommon] = common ? tf.Dbar : double.NaN;
            row[RealWalk] = realWalk;
            row[SimWalk] = simWalk;
            row[RealConv] = realConv;
            row[SimConv] = simConv;
            (c.Converted ? b : a).AddRange(row);
            probes[RolloutAll] += matched;
            if (common)
            {
                probes[RolloutCommon] += matched;
                probes[TeacherCommon] += tf.Probes;
            }
        }
        double[] notConverted = [.. a], converted = [.. b];
        var reps = DecisionFidelityAnalysis.JointReplicates(notConverted, converted, K, options, condition, DecisionFidelityAnalysis.RolloutEndpoint);
        var p = DecisionFidelityAnalysis.JointPValues(notConverted, converted, K, Tested, options, condition, DecisionFidelityAnalysis.RolloutEndpoint);
        var level = options.ConfidenceLevel;

        RateEstimate Rate(int e, bool isConverted) =>
            DecisionFidelityAnalysis.RateOf(DecisionFidelityAnalysis.ColumnOf(isConverted ? converted : notConverted, K, e), isConverted ? reps[e].MeanB : reps[e].MeanA, level);
        RateEstimate All(int e)
        {
            double[] values = [.. DecisionFidelityAnalysis.ColumnOf(notConverted, K, e), .. DecisionFidelityAnalysis.ColumnOf(converted, K, e)];
            return DecisionFidelityAnalysis.RateOf(values, reps[e].PooledMean, level);
        }
        // Simulated − real within a stratum: every conversation has both, paired by conversation.
        Estimate Diff(int sim, int real, bool isConverted)
        {
            var x = isConverted ? converted : notConverted;
            double[] s = DecisionFidelityAnalysis.ColumnOf(x, K, sim), r = DecisionFidelityAnalysis.ColumnOf(x, K, real);
            return s.Length == 0 ? Estimate.Undefined
                : DecisionFidelityAnalysis.EstimateOf(Descriptive.Mean(s) - Descriptive.Mean(r),
                    isConverted ? Minus(reps[sim].MeanB, reps[real].MeanB) : Minus(reps[sim].MeanA, reps[real].MeanA), level);
        }
        EndpointResult Contrast(int e, string description) =>
            DecisionFidelityAnalysis.Contrast(notConverted, converted, K, probes, e, reps[e], e < Tested ? p[e] : null, description, options);

        TeacherForcedComparison? comparison = null;
        if (twin is { } tw)
        {
            // Rollout Δ − teacher-forced Δ on the same conversations, from the same resamples (paired).
            double[] ra = DecisionFidelityAnalysis.ColumnOf(notConverted, K, RolloutCommon), rb = DecisionFidelityAnalysis.ColumnOf(converted, K, RolloutCommon);
            double[] ta = DecisionFidelityAnalysis.ColumnOf(notConverted, K, TeacherCommon), tb = DecisionFidelityAnalysis.ColumnOf(converted, K, TeacherCommon);
            var difference = ra.Length > 0 && rb.Length > 0
                ? DecisionFidelityAnalysis.EstimateOf(Descriptive.Mean(ra) - Descriptive.Mean(rb) - (Descriptive.Mean(ta) - Descriptive.Mean(tb)),
                    Minus(reps[RolloutCommon].Difference, reps[TeacherCommon].Difference), level)
                : Estimate.Undefined;
            comparison = new TeacherForcedComparison(tw.Name,
                Contrast(RolloutCommon, "rollout D̄ on the conversations with both a rollout D̄ and a teacher-forced D̄"),
                Contrast(TeacherCommon, $"teacher-forced D̄ of condition {tw.Name} (mean depth gap over its usable probes) on the same conversations"),
                difference);
        }

        var logRank = LogRankTests(convs);
        return new WalkAwayResult(
            Cap: cap,
            Samples: convs.Max(c => c.Rows.Count),
            Censoring: CensoringRule,
            Counts: new RolloutCountsByStratum(Count(convs, true), Count(convs, false)),
            Real: new StratumRates(Rate(RealWalk, true), Rate(RealWalk, false)),
            Sim: new StratumRates(Rate(SimWalk, true), Rate(SimWalk, false)),
            SimMinusReal: new StratumEstimates(Diff(SimWalk, RealWalk, true), Diff(SimWalk, RealWalk, false)),
            LogrankP: logRank.P,
            KmCurves: new KaplanMeierByStratum(Curves(convs, true, level), Curves(convs, false, level)),
            Conversion: new ConversionRates(
                new StratumRatesWithAll(Rate(RealConv, true), Rate(RealConv, false), All(RealConv)),
                new StratumRatesWithAll(Rate(SimConv, true), Rate(SimConv, false), All(SimConv)),
                new StratumEstimates(Diff(SimConv, RealConv, true), Diff(SimConv, RealConv, false))),
            RolloutDelta: Contrast(RolloutAll,
                "rollout D: δ(simulated user turn k) − δ(k-th real user turn after the start) at matched positions (both labelled), averaged per rollout, then per conversation"),
            TeacherForced: comparison,
            Examples: Examples(condition, convs, turns, continuations, options.RolloutExampleCount))
        {
            LogrankChiSquare = logRank.ChiSquare,
        };
    }

    private static double[] Minus(double[] x, double[] y)
    {
        var z = new double[x.Length];
        for (var i = 0; i < z.Length; i++) z[i] = x[i] - y[i];
        return z;
    }

    // ---- input checks -----------------------------------------------------------------------------

    private static List<Conv> Group(string condition, IReadOnlyList<RolloutRow> rows)
    {
        var convs = new List<Conv>();
        var byId = new Dictionary<string, Conv>(StringComparer.Ordinal);
        var samples = new HashSet<(string, int)>();
        var cap = rows[0].Cap;
        foreach (var r in rows)
        {
            Check(condition, r);
            string Where() => $"condition '{condition}', conversation '{r.ConversationId}', sample {r.Sample}";
            if (!samples.Add((r.ConversationId, r.Sample)))
                throw new DfidException($"{Where()}: the rollout appears twice; each (conversation, sample) has one rollout row: fix the run store", 1);
            if (r.Cap != cap)
                throw new DfidException($"{Where()}: cap {r.Cap}, but other rollouts of the condition have cap {cap}; a condition has one max_user_turns: start a new run folder after changing it", 1);
            if (!byId.TryGetValue(r.ConversationId, out var c))
            {
                c = new Conv(r.ConversationId, r.Converted);
                byId[r.ConversationId] = c;
                convs.Add(c);
            }
            else
            {
                var f = c.First;
                if (f.Converted != r.Converted || f.StartTurn != r.StartTurn || f.RealUserTurns != r.RealUserTurns || f.RealExit != r.RealExit)
                    throw new DfidException(
                        $"{Where()}: the real side disagrees with sample {f.Sample} of the same conversation (converted {r.Converted}/{f.Converted}, start turn {r.StartTurn}/{f.StartTurn}, " +
                        $"real user turns {r.RealUserTurns}/{f.RealUserTurns}, real exit {r.RealExit}/{f.RealExit}); every sample continues the same real prefix: fix the run store", 1);
            }
            c.Rows.Add(r);
        }
        return convs;
    }

    private static void Check(string condition, RolloutRow r)
    {
        ArgumentNullException.ThrowIfNull(r.SimStages);
        ArgumentNullException.ThrowIfNull(r.RealStages);
        var where = $"condition '{condition}', conversation '{r.ConversationId}', sample {r.Sample}";
        string? problem = null;
        if (r.Cap < 1) problem = $"cap is {r.Cap}; max_user_turns must be at least 1";
        else if (r.Sample < 0 || r.StartTurn < 0 || r.UserTurns < 0 || r.RealUserTurns < 0)
            problem = $"negative count (sample {r.Sample}, start turn {r.StartTurn}, user turns {r.UserTurns}, real user turns {r.RealUserTurns})";
        else if (r.UserTurns > r.Cap) problem = $"{r.UserTurns} simulated user turns exceed the cap {r.Cap}";
        else if (r.End == RolloutEnd.Cap && r.UserTurns != r.Cap) problem = $"ended at the cap {r.Cap} after {r.UserTurns} user turns";
        else if (!Enum.IsDefined(r.End)) problem = $"unknown end {(int)r.End}";
        else if (r.SimStages.Count != r.UserTurns) problem = $"{r.SimStages.Count} simulated stages for {r.UserTurns} simulated user turns (one per turn, null where labelling failed)";
        else if (r.RealStages.Count > r.RealUserTurns) problem = $"{r.RealStages.Count} real stages for {r.RealUserTurns} real user turns";
        else if (r.RealExit && r.Converted) problem = "the real user is marked as walking away, but the conversation converted";
        if (problem is not null) throw new DfidException($"{where}: {problem}; fix the run store (the rollout rows are inconsistent)", 1);
    }

    /// <summary>Teacher-forced D̄ per conversation of the twin condition (mean depth gap over its usable probes).</summary>
    private static Dictionary<string, (double Dbar, int Probes)> TeacherForcedDbar(string condition, string twin, IReadOnlyList<ProbeRow> rows, List<Conv> convs)
    {
        var outcome = convs.ToDictionary(c => c.Id, c => c.Converted, StringComparer.Ordinal);
        var sums = new Dictionary<string, (double Sum, int N)>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            if (!outcome.TryGetValue(r.ConversationId, out var converted)) continue;
            if (converted != r.Converted)
                throw new DfidException(
                    $"conversation '{r.ConversationId}': rollout condition '{condition}' says converted={converted}, its teacher-forced twin '{twin}' says converted={r.Converted}; fix the run store's conversation outcome", 1);
            if (!DecisionFidelityAnalysis.IsUsable(r)) continue;
            sums.TryGetValue(r.ConversationId, out var s);
            sums[r.ConversationId] = (s.Sum + DecisionFidelityAnalysis.Depth(r.Sim!.Stage) - DecisionFidelityAnalysis.Depth(r.Real!.Stage), s.N + 1);
        }
        return sums.ToDictionary(x => x.Key, x => (x.Value.Sum / x.Value.N, x.Value.N), StringComparer.Ordinal);
    }

    // ---- counts, survival ---------------------------------------------------------------------------

    private static RolloutCounts Count(List<Conv> convs, bool converted)
    {
        int conversations = 0, rollouts = 0, exit = 0, decision = 0, cap = 0, agentEnded = 0, failed = 0, exitsAtCap = 0, realExits = 0, simExits = 0, matched = 0;
        foreach (var c in convs)
        {
            if (c.Converted != converted) continue;
            conversations++;
            if (RealSurvival(c.First).Exit) realExits++;
            foreach (var r in c.Rows)
            {
                rollouts++;
                switch (r.End)
                {
                    case RolloutEnd.Exit: exit++; break;
                    case RolloutEnd.Decision: decision++; break;
                    case RolloutEnd.Cap: cap++; break;
                    case RolloutEnd.AgentEnded: agentEnded++; break;
                    default: failed++; break;
                }
                if (r.End == RolloutEnd.Exit && r.UserTurns >= r.Cap) exitsAtCap++;
                if (SimulatedSurvival(r).Exit) simExits++;
                matched += RolloutDbar(r).Matched;
            }
        }
        return new RolloutCounts(conversations, rollouts, exit, decision, cap, agentEnded, failed, exitsAtCap, realExits, simExits, matched);
    }

    private static (double[] Time, bool[] Event) Subjects(List<Conv> convs, bool converted, bool simulated)
    {
        var time = new List<double>();
        var events = new List<bool>();
        foreach (var c in convs)
        {
            if (c.Converted != converted) continue;
            if (simulated)
                foreach (var r in c.Rows)
                {
                    var (t, e) = SimulatedSurvival(r);
                    time.Add(t);
                    events.Add(e);
                }
            else
            {
                var (t, e) = RealSurvival(c.First);
                time.Add(t);
                events.Add(e);
            }
        }
        return ([.. time], [.. events]);
    }

    private static KaplanMeierPair Curves(List<Conv> convs, bool converted, double level)
    {
        SurvivalCurve Curve(bool simulated)
        {
            var (time, events) = Subjects(convs, converted, simulated);
            var km = Survival.KaplanMeier(time, events, level);
            return new SurvivalCurve(km.Subjects, km.Events, km.Steps.Select(s => new SurvivalStep(
                (int)s.Time, s.AtRisk, s.Events, s.Censored, s.Survival, Finite(s.StdErrSurvival), Finite(s.Lower), Finite(s.Upper))).ToList());
        }
        return new KaplanMeierPair(Curve(simulated: false), Curve(simulated: true));
    }

    /// <summary>The log-rank p-values and χ² statistics (real vs simulated) within each stratum and stratified.</summary>
    private static (LogRankByStratum P, LogRankByStratum ChiSquare) LogRankTests(List<Conv> convs)
    {
        var time = new List<double>();
        var events = new List<bool>();
        var side = new List<int>();
        var stratum = new List<int>();
        foreach (var converted in new[] { false, true })
            foreach (var simulated in new[] { false, true })
            {
                var (t, e) = Subjects(convs, converted, simulated);
                time.AddRange(t);
                events.AddRange(e);
                side.AddRange(Enumerable.Repeat(simulated ? 1 : 0, t.Length));
                stratum.AddRange(Enumerable.Repeat(converted ? 1 : 0, t.Length));
            }
        LogRankResult? Within(int s)
        {
            var idx = Enumerable.Range(0, time.Count).Where(i => stratum[i] == s).ToArray();
            if (idx.Length == 0) return null;
            return Survival.LogRank(idx.Select(i => time[i]).ToArray(), idx.Select(i => events[i]).ToArray(), idx.Select(i => side[i]).ToArray());
        }
        // Stratum codes must be dense from 0: with one stratum present it is the plain test.
        var codes = stratum.Distinct().Count() == 1 ? new int[stratum.Count] : [.. stratum];
        var stratified = Survival.StratifiedLogRank([.. time], [.. events], [.. side], codes);
        var (conv, not) = (Within(1), Within(0));
        return (new LogRankByStratum(Finite(conv?.PValue), Finite(not?.PValue), Finite(stratified.PValue)),
            new LogRankByStratum(Finite(conv?.ChiSquare), Finite(not?.ChiSquare), Finite(stratified.ChiSquare)));
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;

    private static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;

    // ---- examples ------------------------------------------------------------------------------------

    private static List<RolloutExample> Examples(string condition, List<Conv> convs, IReadOnlyList<RolloutTurn> turns,
        IReadOnlyList<RealContinuation> continuations, int count)
    {
        if (count == 0) return [];
        var turnsOf = new Dictionary<(string, int), List<RolloutTurn>>();
        foreach (var t in turns)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (t.Condition != condition) continue;
            if (!turnsOf.TryGetValue((t.ConversationId, t.Sample), out var list)) turnsOf[(t.ConversationId, t.Sample)] = list = [];
            list.Add(t);
        }
        var realOf = new Dictionary<(string, int), RealContinuation>();
        foreach (var c in continuations)
        {
            ArgumentNullException.ThrowIfNull(c);
            realOf.TryAdd((c.ConversationId, c.StartTurn), c);
        }

        // One rollout per conversation (the first sample with texts); the headline first: real non-converters who walked
        // away while the simulated one did not, the widest gap in turns first.
        var candidates = convs.Select(c =>
        {
            var r = c.Rows.OrderBy(x => turnsOf.ContainsKey((c.Id, x.Sample)) ? 0 : 1).ThenBy(x => x.Sample).First();
            var priority = c.Converted ? 2 : RealSurvival(r).Exit && !SimulatedSurvival(r).Exit ? 0 : 1;
            return (Row: r, Priority: priority, HasText: turnsOf.ContainsKey((c.Id, r.Sample)));
        }).ToList();
        if (candidates.Any(x => x.HasText)) candidates = candidates.Where(x => x.HasText).ToList();
        return candidates
            .OrderBy(x => x.Priority).ThenByDescending(x => x.Row.UserTurns - x.Row.RealUserTurns).ThenBy(x => x.Row.ConversationId, StringComparer.Ordinal)
            .Take(count)
            .Select(x =>
            {
                var r = x.Row;
                var simulated = (turnsOf.GetValueOrDefault((r.ConversationId, r.Sample)) ?? [])
                    .OrderBy(t => t.Step)
                    .Select(t => new ExampleTurn(t.Step, t.Role, t.Text, t.Stage is { } s ? StateNames.Of(s) : null, t.Status, t.Gate))
                    .ToList();
                var real = realOf.GetValueOrDefault((r.ConversationId, r.StartTurn));
                return new RolloutExample(r.ConversationId, r.Converted, r.Sample, r.StartTurn, EndName(r.End), r.UserTurns, r.RealUserTurns, r.RealExit,
                    real?.Context, simulated, real is null ? [] : RealWindow(r, real));
            })
            .ToList();
    }

    /// <summary>The real turns a rollout could have met: up to the cap-th user turn and the agent's answer to it, then a
    /// marker of how the real conversation ended when that falls inside the window.</summary>
    private static List<ExampleTurn> RealWindow(RolloutRow r, RealContinuation real)
    {
        var list = new List<ExampleTurn>();
        var users = 0;
        var step = 0;
        foreach (var t in real.Turns)
        {
            if (t.Role == "user" && ++users > r.Cap) return list;
            list.Add(new ExampleTurn(step++, t.Role, t.Text, t.Stage is { } s ? StateNames.Of(s) : null, "ok"));
        }
        if (r.RealUserTurns < r.Cap)
        {
            var end = r.RealExit ? "exit" : r.Converted ? "decision" : "ended";
            list.Add(new ExampleTurn(step, "user", null, null, end));
        }
        return list;
    }

    private static string EndName(RolloutEnd end) => end switch
    {
        RolloutEnd.Exit => "exit",
        RolloutEnd.Decision => "decision",
        RolloutEnd.Cap => "cap",
        RolloutEnd.AgentEnded => "agent-ended",
        _ => "failed",
    };
}
