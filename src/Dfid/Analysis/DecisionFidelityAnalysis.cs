using Dfid.Analysis.Statistics;
using Dfid.Instrument;

namespace Dfid.Analysis;

/// <summary>Turns a probe table into <see cref="AnalysisResults"/>: pure, deterministic given the rows and the seed.</summary>
/// <remarks>
/// The unit of analysis is the conversation: per probe D = δ(sim) − δ(real), per conversation D̄ = mean D over its
/// usable probes, and every interval resamples conversations within outcome strata. Group "a" of every contrast
/// is the not-converted stratum, so Δ = E[D̄|not] − E[D̄|converted] and d has the same sign. Each test draws from a
/// stream derived from the seed, the condition's name and the endpoint, so adding a condition does not change
/// another condition's numbers.
/// </remarks>
public static class DecisionFidelityAnalysis
{
    /// <summary>The depth coding δ of the primary endpoint.</summary>
    public const string DepthCoding = "resisting=0,exploring=1,engaging=2,considering=3,deciding=4";

    /// <summary>Analyses every condition of the probe table.</summary>
    /// <param name="rows">The probe table (all conditions).</param>
    /// <param name="options">Resampling and family options; null for the defaults.</param>
    /// <returns>The results tree (without manifest; the caller adds it with <c>with { Manifest = ... }</c>).</returns>
    /// <exception cref="DfidException">A conversation has conflicting outcomes, or the confirmatory family names an unknown condition.</exception>
    public static AnalysisResults Analyze(IReadOnlyList<ProbeRow> rows, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new AnalysisOptions();
        options.Validate();

        var byCondition = new List<(string Name, List<ProbeRow> Rows)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            ArgumentNullException.ThrowIfNull(row);
            if (!index.TryGetValue(row.Condition, out var i))
            {
                i = byCondition.Count;
                index[row.Condition] = i;
                byCondition.Add((row.Condition, []));
            }
            byCondition[i].Rows.Add(row);
        }

        var family = options.ConfirmatoryFamily ?? byCondition.Select(c => c.Name).ToList();
        foreach (var name in family)
            if (!index.ContainsKey(name))
                throw new DfidException($"confirmatory family names condition '{name}', which has no probe rows; known: {string.Join(", ", index.Keys)}", 2);

        var conditions = byCondition.Select(c => AnalyzeCondition(c.Name, c.Rows, options)).ToList();
        var robustness = Robustness(conditions, family);
        var settings = new AnalysisSettings(options.Permutations, options.BootstrapResamples, options.Seed, options.ConfidenceLevel, family.ToList(), DepthCoding);
        return new AnalysisResults(AnalysisResults.SchemaId, settings, conditions, robustness);
    }

    /// <summary>Depth δ of a stage: resisting = 0 … deciding = 4.</summary>
    public static int Depth(Stage stage) => (int)stage;

    /// <summary>Whether a row has both labels (the only rows behind D).</summary>
    public static bool IsUsable(ProbeRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Status == ProbeStatus.Ok && row.Real is not null && row.Sim is not null;
    }

    private sealed class Conv(string id, bool converted)
    {
        public string Id { get; } = id;
        public bool Converted { get; } = converted;
        public List<ProbeRow> Rows { get; } = [];
        public List<ProbeRow> Usable { get; } = [];
    }

    private sealed record Context(AnalysisOptions Options, long ConditionKey)
    {
        public long Seed(int endpoint, int purpose) => Xoshiro256.Derive(Options.Seed, ConditionKey, endpoint, purpose);
    }

    private static ConditionResult AnalyzeCondition(string name, List<ProbeRow> rows, AnalysisOptions options)
    {
        var convs = new List<Conv>();
        var byId = new Dictionary<string, Conv>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!byId.TryGetValue(row.ConversationId, out var conv))
            {
                conv = new Conv(row.ConversationId, row.Converted);
                byId[row.ConversationId] = conv;
                convs.Add(conv);
            }
            else if (conv.Converted != row.Converted)
            {
                throw new DfidException(
                    $"condition '{name}', conversation '{row.ConversationId}': probe rows disagree on the outcome (turn {row.ProbeTurn} says converted={row.Converted}); fix the run store's conversation outcome", 1);
            }
            conv.Rows.Add(row);
            if (IsUsable(row)) conv.Usable.Add(row);
        }

        var ctx = new Context(options, StableHash(name));
        var analysed = convs.Where(c => c.Usable.Count > 0).ToList();
        var counts = new ConditionCounts(Count(convs, true), Count(convs, false));

        var primary = Contrast(analysed, r => Depth(r.Sim!.Stage) - Depth(r.Real!.Stage), ctx, 1, withTest: true, "depth D = δ(sim) − δ(real)");
        var descriptor = options.Conditions?.FirstOrDefault(c => c.Name == name);

        return new ConditionResult(
            Name: name,
            Simulator: descriptor?.Simulator,
            Instrument: descriptor?.Instrument,
            NConverted: analysed.Count(c => c.Converted),
            NNotConverted: analysed.Count(c => !c.Converted),
            NProbes: analysed.Sum(c => c.Usable.Count),
            Counts: counts,
            MarginalBias: primary.Marginal,
            StratumBias: primary.Result.StratumMeans,
            Delta: primary.Result.Delta,
            CohensD: primary.Result.CohensD,
            PValue: primary.Result.PValue,
            Distributions: BuildDistributions(analysed),
            ByPosition: ByPosition(analysed, ctx),
            Alternatives: new AlternativeEndpoints(
                Contrast(analysed, r => NotResisting(r.Sim!) - NotResisting(r.Real!), ctx, 2, true,
                    "binary resistance: D = (1 − I[sim resisting]) − (1 − I[real resisting]); positive = simulator resists less").Result,
                Contrast(analysed, r => Deep(r.Sim!) - Deep(r.Real!), ctx, 3, true,
                    "deep funnel: D = I[sim ∈ {considering, deciding}] − I[real ∈ {considering, deciding}]").Result,
                Contrast(analysed, r => r.Real!.Stage != Stage.Resisting && r.Sim!.Stage != Stage.Resisting ? Depth(r.Sim!.Stage) - Depth(r.Real!.Stage) : null,
                    ctx, 4, true, "depth D on probes where neither the real nor the simulated turn is resisting").Result),
            Actions: BuildActionTable(analysed),
            Hindsight: Hindsight(convs, ctx),
            PredictionPowered: PredictionPowered(analysed, primary.Result.Delta, ctx),
            Histogram: Histogram(analysed),
            Examples: Examples(analysed, options.ExampleCount));
    }

    private static StratumCounts Count(List<Conv> convs, bool converted)
    {
        int conversations = 0, excluded = 0, probes = 0, usable = 0, simFailed = 0, realFailed = 0, simLabelFailed = 0;
        foreach (var c in convs)
        {
            if (c.Converted != converted) continue;
            if (c.Usable.Count > 0) conversations++;
            else excluded++;
            probes += c.Rows.Count;
            usable += c.Usable.Count;
            foreach (var r in c.Rows)
            {
                if (IsUsable(r)) continue;
                // A row marked Ok but missing a label is counted by the label that is missing.
                switch (r.Status)
                {
                    case ProbeStatus.SimulationFailed: simFailed++; break;
                    case ProbeStatus.RealLabelFailed: realFailed++; break;
                    case ProbeStatus.SimLabelFailed: simLabelFailed++; break;
                    default:
                        if (r.Real is null) realFailed++;
                        else simLabelFailed++;
                        break;
                }
            }
        }
        return new StratumCounts(conversations, excluded, probes, usable, simFailed + realFailed + simLabelFailed, simFailed, realFailed, simLabelFailed);
    }

    private static double NotResisting(DecisionState s) => s.Stage == Stage.Resisting ? 0 : 1;

    private static double Deep(DecisionState s) => s.Stage is Stage.Considering or Stage.Deciding ? 1 : 0;

    private sealed record ContrastOutcome(EndpointResult Result, Estimate Marginal);

    /// <summary>Per-conversation mean of an eligible per-probe value, contrasted between strata.</summary>
    private static ContrastOutcome Contrast(
        List<Conv> convs, Func<ProbeRow, double?> value, Context ctx, int endpoint, bool withTest, string description, bool usableOnly = true)
    {
        var a = new List<double>(); // not converted
        var b = new List<double>(); // converted
        int probes = 0, excluded = 0;
        foreach (var c in convs)
        {
            double sum = 0;
            var n = 0;
            foreach (var r in usableOnly ? c.Usable : c.Rows)
            {
                if (value(r) is not { } v) continue;
                sum += v;
                n++;
            }
            if (n == 0)
            {
                excluded++;
                continue;
            }
            probes += n;
            (c.Converted ? b : a).Add(sum / n);
        }
        return Summarise(a.ToArray(), b.ToArray(), probes, excluded, ctx, endpoint, withTest, description);
    }

    private static ContrastOutcome Summarise(double[] a, double[] b, int probes, int excluded, Context ctx, int endpoint, bool withTest, string description)
    {
        var o = ctx.Options;
        var level = o.ConfidenceLevel;
        double? p = null;
        if (withTest && a.Length > 0 && b.Length > 0)
            p = PermutationTest.OneSided(a, b, o.Permutations, ctx.Seed(endpoint, 0), o.Workers).PValue;

        MeanEstimate meanA, meanB;
        Estimate delta, d, marginal;
        if (a.Length == 0 && b.Length == 0)
        {
            meanA = new MeanEstimate(null, null, null, 0);
            meanB = meanA;
            delta = d = marginal = Estimate.Undefined;
        }
        else
        {
            var reps = Bootstrap.Stratified(a, b, o.BootstrapResamples, ctx.Seed(endpoint, 1), o.Workers);
            meanA = Mean(a, reps.MeanA, level);
            meanB = Mean(b, reps.MeanB, level);
            double mA = Descriptive.Mean(a), mB = Descriptive.Mean(b);
            delta = Make(mA - mB, reps.Difference, level);
            var dObs = Descriptive.CohensD(a, b);
            d = dObs is { } dv ? Make(dv, reps.CohensD, level) : Estimate.Undefined;
            double[] all = [.. a, .. b];
            marginal = Make(Descriptive.Mean(all), reps.PooledMean, level);
        }
        var result = new EndpointResult(description, b.Length, a.Length, probes, excluded, new StratumMeans(meanB, meanA), delta, d, p);
        return new ContrastOutcome(result, marginal);
    }

    private static MeanEstimate Mean(double[] x, double[] replicates, double level)
    {
        if (x.Length == 0) return new MeanEstimate(null, null, null, 0);
        var (lo, hi) = Descriptive.PercentileIntervalInplace(replicates, level);
        return new MeanEstimate(Finite(Descriptive.Mean(x)), Finite(lo), Finite(hi), x.Length);
    }

    private static Estimate Make(double value, double[] replicates, double level)
    {
        if (!double.IsFinite(value)) return Estimate.Undefined;
        var (lo, hi) = Descriptive.PercentileIntervalInplace(replicates, level);
        return new Estimate(value, Finite(lo), Finite(hi));
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;

    private static double? Pct(int count, int n) => n == 0 ? null : 100.0 * count / n;

    private static Distributions BuildDistributions(List<Conv> analysed)
    {
        FieldDistribution Field<T>(Func<DecisionState, T?> field) where T : struct, Enum =>
            new(Stratum(analysed.Where(c => c.Converted), field), Stratum(analysed.Where(c => !c.Converted), field));

        StratumDistribution Stratum<T>(IEnumerable<Conv> convs, Func<DecisionState, T?> field) where T : struct, Enum
        {
            var values = Enum.GetValues<T>();
            var real = new int[values.Length];
            var sim = new int[values.Length];
            int nReal = 0, nSim = 0;
            foreach (var r in convs.SelectMany(c => c.Usable))
            {
                if (field(r.Real!) is { } rv) { real[Array.IndexOf(values, rv)]++; nReal++; }
                if (field(r.Sim!) is { } sv) { sim[Array.IndexOf(values, sv)]++; nSim++; }
            }
            var cats = values.Select((v, i) =>
            {
                double? rp = Pct(real[i], nReal), sp = Pct(sim[i], nSim);
                return new CategoryShare(Name(v), real[i], sim[i], rp, sp, rp is { } x && sp is { } y ? y - x : null);
            }).ToList();
            return new StratumDistribution(nReal, nSim, cats);
        }

        return new Distributions(
            Field<Stage>(s => s.Stage),
            Field<Emotion>(s => s.Emotion),
            Field<Blocker>(s => s.Blocker));
    }

    private static string Name<T>(T value) where T : struct, Enum => value switch
    {
        Stage s => ProtocolNames.Of(s),
        Emotion e => ProtocolNames.Of(e),
        Blocker b => ProtocolNames.Of(b),
        AgentAction a => ProtocolNames.Of(a),
        _ => value.ToString(),
    };

    private static List<PositionResult> ByPosition(List<Conv> analysed, Context ctx)
    {
        var positions = analysed.SelectMany(c => c.Usable).Select(r => Math.Round(r.Position, 6)).Distinct().Order().ToList();
        // Nominal positions (30/60/90%) are few; relative positions of "all turns" probing are binned into thirds.
        var groups = positions.Count <= 5
            ? positions.Select(p => (Centre: p, Label: $"{p * 100:0.#}%", In: (Func<double, bool>)(x => Math.Round(x, 6) == p))).ToList()
            : [
                (1 / 6.0, "0–33%", x => x < 1 / 3.0),
                (0.5, "33–67%", x => x >= 1 / 3.0 && x < 2 / 3.0),
                (5 / 6.0, "67–100%", x => x >= 2 / 3.0),
            ];
        var results = new List<PositionResult>();
        for (var g = 0; g < groups.Count; g++)
        {
            var (centre, label, inGroup) = groups[g];
            var o = Contrast(analysed, r => inGroup(r.Position) ? Depth(r.Sim!.Stage) - Depth(r.Real!.Stage) : null, ctx, 10 + g, withTest: false, label).Result;
            results.Add(new PositionResult(centre, label, o.NConverted, o.NNotConverted, o.StratumMeans, o.Delta, o.CohensD));
        }
        return results;
    }

    private static ActionTable BuildActionTable(List<Conv> analysed)
    {
        var usable = analysed.SelectMany(c => c.Usable).ToList();
        var without = usable.Count(r => r.Action is null);
        var raw = new List<(string Action, int N, Raw Resisting, Raw Considering)>();
        foreach (var action in Enum.GetValues<AgentAction>())
        {
            var rs = usable.Where(r => r.Action == action).ToList();
            if (rs.Count == 0) continue;
            raw.Add((ProtocolNames.Of(action), rs.Count, Cell(rs, Stage.Resisting), Cell(rs, Stage.Considering)));
        }
        var fisher = raw.SelectMany(r => new[] { r.Resisting.Fisher, r.Considering.Fisher }).ToList();
        var mcnemar = raw.SelectMany(r => new[] { r.Resisting.McNemar, r.Considering.McNemar }).ToList();
        var fisherBh = PValueAdjustment.BenjaminiHochberg(fisher);
        var mcnemarBh = PValueAdjustment.BenjaminiHochberg(mcnemar);
        var rows = raw.Select((r, i) => new ActionRow(r.Action, r.N,
            Finish(r.Resisting, r.N, fisherBh[2 * i], mcnemarBh[2 * i]),
            Finish(r.Considering, r.N, fisherBh[2 * i + 1], mcnemarBh[2 * i + 1]))).ToList();
        return new ActionTable(rows, without, "exact");

        static Raw Cell(List<ProbeRow> rs, Stage stage)
        {
            int real = 0, sim = 0, realOnly = 0, simOnly = 0;
            foreach (var r in rs)
            {
                bool x = r.Real!.Stage == stage, y = r.Sim!.Stage == stage;
                if (x) real++;
                if (y) sim++;
                if (x && !y) realOnly++;
                if (y && !x) simOnly++;
            }
            var n = rs.Count;
            return new Raw(real, sim, realOnly, simOnly,
                HypothesisTests.FisherExactTwoSided(real, n - real, sim, n - sim),
                HypothesisTests.McNemarExact(realOnly, simOnly),
                HypothesisTests.McNemarChiSquare(realOnly, simOnly));
        }

        static ActionCell Finish(Raw c, int n, double fisherBh, double mcnemarBh)
        {
            double? rp = Pct(c.Real, n), sp = Pct(c.Sim, n);
            return new ActionCell(c.Real, c.Sim, rp, sp, sp - rp, c.Fisher, c.McNemar, c.McNemarChi, fisherBh, mcnemarBh, c.RealOnly, c.SimOnly);
        }
    }

    private sealed record Raw(int Real, int Sim, int RealOnly, int SimOnly, double Fisher, double McNemar, double? McNemarChi);

    private static EndpointResult? Hindsight(List<Conv> convs, Context ctx)
    {
        if (!convs.Any(c => c.Rows.Any(r => r.RealFullContext is not null))) return null;
        // Real branch only: the simulator's fate does not matter, so every conversation with a doubly labelled real turn counts.
        return Contrast(convs, r => r.Real is not null && r.RealFullContext is not null ? Depth(r.RealFullContext.Stage) - Depth(r.Real.Stage) : null,
            ctx, 5, withTest: true, "hindsight: D = δ(real, full context) − δ(real, causal context)", usableOnly: false).Result;
    }

    private static PredictionPoweredResult? PredictionPowered(List<Conv> analysed, Estimate deltaUncorrected, Context ctx)
    {
        var labelledRows = analysed.SelectMany(c => c.Usable).Where(r => r.HumanStage is not null).ToList();
        if (labelledRows.Count == 0) return null;
        var o = ctx.Options;

        // Per conversation: real mean r̄, D̄, and on its human-labelled probes the instrument − human error (NaN when none).
        List<double> rA = [], rB = [], dA = [], dB = [], eA = [], eB = [];
        foreach (var c in analysed)
        {
            double real = 0, diff = 0, err = 0;
            var nl = 0;
            foreach (var r in c.Usable)
            {
                real += Depth(r.Real!.Stage);
                diff += Depth(r.Sim!.Stage) - Depth(r.Real!.Stage);
                if (r.HumanStage is { } h)
                {
                    err += Depth(r.Real!.Stage) - Depth(h);
                    nl++;
                }
            }
            var n = c.Usable.Count;
            var e = nl == 0 ? double.NaN : err / nl;
            (c.Converted ? rB : rA).Add(real / n);
            (c.Converted ? dB : dA).Add(diff / n);
            (c.Converted ? eB : eA).Add(e);
        }

        var level = o.ConfidenceLevel;
        var uncorrected = Bootstrap.Stratified(rA.ToArray(), rB.ToArray(), o.BootstrapResamples, ctx.Seed(20, 1), o.Workers);
        var realUncorrected = new StratumMeans(Mean(rB.ToArray(), uncorrected.MeanB, level), Mean(rA.ToArray(), uncorrected.MeanA, level));

        // Real branch: θ = mean(Φ) − mean(Φ − human). Bias: D̄ = sim − real, so its correction adds mean(Φ − human).
        double[] negA = eA.Select(x => -x).ToArray(), negB = eB.Select(x => -x).ToArray();
        var realReps = PredictionPoweredInference.Stratified(rA.ToArray(), negA, rB.ToArray(), negB, o.BootstrapResamples, ctx.Seed(21, 1), o.Workers);
        var realCorrected = new StratumMeans(
            Ppi(rB, negB, realReps.ThetaB, level),
            Ppi(rA, negA, realReps.ThetaA, level));
        var biasReps = PredictionPoweredInference.Stratified(dA.ToArray(), eA.ToArray(), dB.ToArray(), eB.ToArray(), o.BootstrapResamples, ctx.Seed(22, 1), o.Workers);
        var biasB = Ppi(dB, eB.ToArray(), biasReps.ThetaB, level);
        var biasA = Ppi(dA, eA.ToArray(), biasReps.ThetaA, level);
        var deltaCorrected = biasA.Mean is { } ta && biasB.Mean is { } tb ? Make(ta - tb, biasReps.Difference, level) : Estimate.Undefined;

        var agree = labelledRows.Count(r => r.Real!.Stage == r.HumanStage);
        return new PredictionPoweredResult(
            labelledRows.Count,
            analysed.Count(c => c.Usable.Any(r => r.HumanStage is not null)),
            (double)agree / labelledRows.Count,
            realUncorrected,
            realCorrected,
            new StratumMeans(biasB, biasA),
            deltaUncorrected,
            deltaCorrected);

        static MeanEstimate Ppi(List<double> v, double[] w, double[] replicates, double level)
        {
            var theta = PredictionPoweredInference.Theta(v.ToArray(), w);
            if (!double.IsFinite(theta)) return new MeanEstimate(null, null, null, v.Count);
            var (lo, hi) = Descriptive.PercentileIntervalInplace(replicates, level);
            return new MeanEstimate(theta, Finite(lo), Finite(hi), v.Count);
        }
    }

    private static DbarHistogram Histogram(List<Conv> analysed)
    {
        const double lo = -4, width = 0.5;
        const int bins = 16;
        var edges = Enumerable.Range(0, bins + 1).Select(i => lo + i * width).ToList();
        int[] conv = new int[bins], not = new int[bins];
        foreach (var c in analysed)
        {
            var dbar = c.Usable.Average(r => (double)(Depth(r.Sim!.Stage) - Depth(r.Real!.Stage)));
            var bin = Math.Clamp((int)Math.Floor((dbar - lo) / width), 0, bins - 1);
            (c.Converted ? conv : not)[bin]++;
        }
        return new DbarHistogram(edges, conv, not);
    }

    private static List<ExampleProbe> Examples(List<Conv> analysed, int count)
    {
        var candidates = analysed.Where(c => !c.Converted).SelectMany(c => c.Usable)
            .Select(r => (Row: r, Gap: Depth(r.Sim!.Stage) - Depth(r.Real!.Stage)))
            .Where(x => x.Gap > 0)
            .ToList();
        // Prefer probes whose texts were loaded: an example without words is of little use to a reader.
        if (candidates.Any(x => x.Row.Texts is not null)) candidates = candidates.Where(x => x.Row.Texts is not null).ToList();
        return candidates
            .OrderByDescending(x => x.Gap).ThenBy(x => x.Row.ConversationId, StringComparer.Ordinal).ThenBy(x => x.Row.ProbeTurn)
            .DistinctBy(x => x.Row.ConversationId) // one per conversation, for variety
            .Take(count)
            .Select(x => new ExampleProbe(
                x.Row.ConversationId, x.Row.ProbeTurn, x.Row.Position,
                ProtocolNames.Of(x.Row.Real!.Stage), ProtocolNames.Of(x.Row.Sim!.Stage), x.Gap,
                x.Row.Action is { } a ? ProtocolNames.Of(a) : null,
                x.Row.Texts?.AgentTurn, x.Row.Texts?.RealReply, x.Row.Texts?.SimReply,
                x.Row.Real!.KeySignal, x.Row.Sim!.KeySignal))
            .ToList();
    }

    private static RobustnessSummary Robustness(List<ConditionResult> conditions, IReadOnlyList<string> family)
    {
        var inFamily = conditions.Where(c => family.Contains(c.Name) && c.PValue is not null).ToList();
        var holm = PValueAdjustment.Holm(inFamily.Select(c => c.PValue!.Value).ToList());
        var holmByName = inFamily.Select((c, i) => (c.Name, P: holm[i])).ToDictionary(x => x.Name, x => x.P);
        var rows = conditions.Select(c => new RobustnessRow(
            c.Name, c.NConverted + c.NNotConverted, c.StratumBias.NotConverted.Mean, c.StratumBias.Converted.Mean,
            c.MarginalBias.Value, c.Delta, c.CohensD, c.PValue, family.Contains(c.Name),
            holmByName.TryGetValue(c.Name, out var p) ? p : null)).ToList();
        return new RobustnessSummary(rows, family.ToList());
    }

    // FNV-1a over the name: stable across processes (string.GetHashCode is randomised).
    private static long StableHash(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in s)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        return unchecked((long)h);
    }
}
