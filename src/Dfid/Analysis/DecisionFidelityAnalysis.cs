using Dfid.Analysis.Statistics;

namespace Dfid.Analysis;

/// <summary>Turns a probe table into <see cref="AnalysisResults"/>: pure, deterministic given the rows and the seed.</summary>
/// <remarks>
/// The unit of analysis is the conversation: per probe D = δ(sim) − δ(real), per conversation D̄ = mean D over its
/// usable probes, and every interval resamples conversations within outcome strata. Group "a" of every contrast
/// is the not-converted stratum, so Δ = E[D̄|not] − E[D̄|converted] and d has the same sign. Each test draws from a
/// stream derived from the seed, the condition's name and the endpoint, so adding a condition does not change
/// another condition's numbers.
/// </remarks>
public static partial class DecisionFidelityAnalysis
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
        return Analyze(new AnalysisInput(rows), options);
    }

    /// <summary>Analyses every condition of a run: the depth statistics of the probe table and, when the input carries them,
    /// the exit probes and the rollouts (walk-away).</summary>
    /// <param name="input">Probe rows, exit rows, rollout rows, rollout turns and real continuations.</param>
    /// <param name="options">Resampling, family, descriptor and twin options; null for the defaults.</param>
    /// <returns>The results tree (without manifest). Conditions appear in order of first appearance in the probe rows, then
    /// the exit rows, then the rollout rows; a depth-only input gives exactly what <see cref="Analyze(IReadOnlyList{ProbeRow}, AnalysisOptions?)"/> gave
    /// before walk-away existed (the new fields null, <c>mode</c> "probe").</returns>
    /// <exception cref="DfidException">A conversation has conflicting outcomes, a walk-away row is inconsistent (the message names
    /// the condition, conversation and sample), a condition has both probe and rollout rows, or an option names an unknown condition.</exception>
    public static AnalysisResults Analyze(AnalysisInput input, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.ProbeRows);
        ArgumentNullException.ThrowIfNull(input.ExitRows);
        ArgumentNullException.ThrowIfNull(input.RolloutRows);
        ArgumentNullException.ThrowIfNull(input.RolloutTurns);
        ArgumentNullException.ThrowIfNull(input.RealContinuations);
        options ??= new AnalysisOptions();
        options.Validate();
        var rows = input.ProbeRows;

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
        var exitRows = GroupByCondition(input.ExitRows, r => r.Condition);
        var rolloutRows = GroupByCondition(input.RolloutRows, r => r.Condition);
        var names = byCondition.Select(c => c.Name).ToList();
        foreach (var name in exitRows.Keys.Concat(rolloutRows.Keys))
            if (!names.Contains(name, StringComparer.Ordinal)) names.Add(name);

        var descriptors = (options.Conditions ?? []).GroupBy(c => c.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var modes = names.ToDictionary(n => n, n => ModeOf(n, descriptors.GetValueOrDefault(n), index.ContainsKey(n), rolloutRows.ContainsKey(n)), StringComparer.Ordinal);

        var family = options.ConfirmatoryFamily ?? byCondition.Select(c => c.Name).ToList();
        foreach (var name in family)
            if (!index.ContainsKey(name))
                throw new DfidException($"confirmatory family names condition '{name}', which has no probe rows; known: {string.Join(", ", index.Keys)}", 2);

        var conditions = names.Select(name =>
        {
            var probeRows = index.TryGetValue(name, out var i) ? byCondition[i].Rows : [];
            var result = AnalyzeCondition(name, probeRows, options);
            var exits = exitRows.TryGetValue(name, out var e) ? ExitProbeAnalysis.Compute(name, e, options) : null;
            WalkAwayResult? walkAway = null;
            if (rolloutRows.TryGetValue(name, out var r))
            {
                var twin = TwinOf(name, descriptors, modes, index, options);
                walkAway = RolloutAnalysis.Compute(name, r, input.RolloutTurns, input.RealContinuations,
                    twin is null ? null : (twin, byCondition[index[twin]].Rows), options);
            }
            return result with { Mode = modes[name], Agent = descriptors.GetValueOrDefault(name)?.Agent, Exits = exits, WalkAway = walkAway };
        }).ToList();
        var robustness = Robustness(conditions.Where(c => c.Mode == ConditionModes.Probe).ToList(), family);
        var settings = new AnalysisSettings(options.Permutations, options.BootstrapResamples, options.Seed, options.ConfidenceLevel, family.ToList(), DepthCoding);
        var instrumentOf = (options.Conditions ?? []).Where(c => c.Instrument is not null).ToDictionary(c => c.Name, c => c.Instrument!, StringComparer.Ordinal);
        return new AnalysisResults(AnalysisResults.SchemaId, settings, conditions, robustness,
            InstrumentValidation: InstrumentAgreementAnalysis.Compute(rows, instrumentOf, options.Seed), Dataset: input.Dataset);
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
        var descriptor = options.Conditions?.FirstOrDefault(c => c.Name == name);

        // Every endpoint as one column of per-conversation values (NaN = no eligible probe), bootstrapped jointly.
        var positionGroups = PositionGroups(analysed);
        var hasHuman = analysed.Any(c => c.Usable.Any(r => r.HumanStage is not null));
        var columns = new List<Func<ProbeRow, double?>>
        {
            r => Depth(r.Sim!.Stage) - Depth(r.Real!.Stage),
            r => NotResisting(r.Sim!) - NotResisting(r.Real!),
            r => Deep(r.Sim!) - Deep(r.Real!),
            r => r.Real!.Stage != Stage.Resisting && r.Sim!.Stage != Stage.Resisting ? Depth(r.Sim!.Stage) - Depth(r.Real!.Stage) : null,
        };
        foreach (var g in positionGroups)
            columns.Add(r => g.In(r.Position) ? Depth(r.Sim!.Stage) - Depth(r.Real!.Stage) : null);
        var realColumn = columns.Count;
        if (hasHuman)
        {
            columns.Add(r => Depth(r.Real!.Stage));
            columns.Add(r => r.HumanStage is { } h ? Depth(r.Real!.Stage) - Depth(h) : null); // instrument − human
        }
        var table = new EndpointTable(analysed, columns);
        StratifiedReplicates[] reps;
        double?[] p;
        if (table.Units >= options.CountResamplingFrom)
        {
            // A large study: counts of distinct values (same distributions); the prediction-powered correction combines the
            // depth, real-stage and error columns, so those are resampled together.
            var joint = hasHuman ? new[] { 0, realColumn, realColumn + 1 } : [0];
            var groups = new List<int[]> { joint };
            groups.AddRange(Enumerable.Range(0, table.K).Where(e => !joint.Contains(e)).Select(e => new[] { e }));
            reps = CountResampling.Bootstrap(table.A, table.B, table.K, groups, options.BootstrapResamples, ctx.Seed(0, 1), options.Workers);
            p = CountResampling.Permutation(table.A, table.B, table.K, 4, options.Permutations, ctx.Seed(0, 0), options.Workers);
        }
        else
        {
            reps = JointBootstrap.Run(table.A, table.B, table.K, options.BootstrapResamples, ctx.Seed(0, 1), options.Workers);
            // The four tested endpoints share their label shuffles (one pass instead of four).
            p = JointPermutation.OneSided(Take(table.A, table.K, 4), Take(table.B, table.K, 4), 4, options.Permutations, ctx.Seed(0, 0), options.Workers);
        }

        var primary = Summarise(table, 0, reps[0], ctx, p[0], "depth D = δ(sim) − δ(real)");
        var positions = positionGroups.Select((g, i) =>
        {
            var o = Summarise(table, 4 + i, reps[4 + i], ctx, null, g.Label).Result;
            return new PositionResult(g.Centre, g.Label, o.NConverted, o.NNotConverted, o.StratumMeans, o.Delta, o.CohensD);
        }).ToList();

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
            ByPosition: positions,
            Alternatives: new AlternativeEndpoints(
                Summarise(table, 1, reps[1], ctx, p[1],
                    "binary resistance: D = (1 − I[sim resisting]) − (1 − I[real resisting]); positive = simulator resists less").Result,
                Summarise(table, 2, reps[2], ctx, p[2],
                    "deep funnel: D = I[sim ∈ {considering, deciding}] − I[real ∈ {considering, deciding}]").Result,
                Summarise(table, 3, reps[3], ctx, p[3], "depth D on probes where neither the real nor the simulated turn is resisting").Result),
            Actions: BuildActionTable(analysed),
            Hindsight: Hindsight(convs, ctx),
            PredictionPowered: hasHuman ? PredictionPowered(analysed, table, reps, realColumn, primary.Result.Delta, options.ConfidenceLevel) : null,
            Histogram: Histogram(analysed),
            Examples: Examples(analysed, options.ExampleCount));
    }

    /// <summary>Per-conversation endpoint values, split by stratum into row-major [unit × K] matrices.</summary>
    private sealed class EndpointTable
    {
        public EndpointTable(List<Conv> convs, List<Func<ProbeRow, double?>> columns, bool usableOnly = true)
        {
            K = columns.Count;
            var a = new List<double>();
            var b = new List<double>();
            var probes = new int[K];
            var sum = new double[K];
            var n = new int[K];
            foreach (var c in convs)
            {
                Array.Clear(sum);
                Array.Clear(n);
                foreach (var r in usableOnly ? c.Usable : c.Rows)
                    for (var e = 0; e < K; e++)
                        if (columns[e](r) is { } v)
                        {
                            sum[e] += v;
                            n[e]++;
                        }
                var target = c.Converted ? b : a;
                for (var e = 0; e < K; e++)
                {
                    target.Add(n[e] == 0 ? double.NaN : sum[e] / n[e]);
                    probes[e] += n[e];
                }
            }
            A = [.. a];
            B = [.. b];
            Probes = probes;
        }

        /// <summary>A one-column table of already eligible values.</summary>
        public EndpointTable(double[] a, double[] b) : this(a, b, 1, [0]) { }

        /// <summary>A table of per-unit values already computed: row-major [unit × K] per stratum, NaN = not eligible.</summary>
        public EndpointTable(double[] a, double[] b, int k, int[] probes)
        {
            K = k;
            A = a;
            B = b;
            Probes = probes;
        }

        public int K { get; }
        public double[] A { get; }
        public double[] B { get; }
        public int[] Probes { get; }

        public double[] Column(bool converted, int e)
        {
            var x = converted ? B : A;
            var list = new List<double>(x.Length / K);
            for (var u = e; u < x.Length; u += K)
                if (!double.IsNaN(x[u])) list.Add(x[u]);
            return [.. list];
        }

        public int Units => (A.Length + B.Length) / K;
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

    // The first `columns` values of every unit row.
    private static double[] Take(double[] x, int k, int columns)
    {
        var n = x.Length / k;
        var y = new double[n * columns];
        for (var u = 0; u < n; u++) Array.Copy(x, u * k, y, u * columns, columns);
        return y;
    }

    private static ContrastOutcome Summarise(EndpointTable table, int e, StratifiedReplicates reps, Context ctx, double? p, string description)
    {
        var o = ctx.Options;
        var level = o.ConfidenceLevel;
        var a = table.Column(false, e); // not converted
        var b = table.Column(true, e);  // converted

        var meanA = Mean(a, reps.MeanA, level);
        var meanB = Mean(b, reps.MeanB, level);
        Estimate delta = Estimate.Undefined, d = Estimate.Undefined, marginal = Estimate.Undefined;
        if (a.Length > 0 && b.Length > 0)
        {
            delta = Make(Descriptive.Mean(a) - Descriptive.Mean(b), reps.Difference, level);
            if (Descriptive.CohensD(a, b) is { } dv) d = Make(dv, reps.CohensD, level);
        }
        if (a.Length + b.Length > 0) marginal = Make(Descriptive.Mean([.. a, .. b]), reps.PooledMean, level);
        var excluded = table.Units - a.Length - b.Length;
        var result = new EndpointResult(description, b.Length, a.Length, table.Probes[e], excluded, new StratumMeans(meanB, meanA), delta, d, p);
        return new ContrastOutcome(result, marginal);
    }

    private static MeanEstimate Mean(double[] x, double[] replicates, double level)
    {
        if (x.Length == 0) return new MeanEstimate(null, null, null, 0);
        var (lo, hi) = Descriptive.PercentileInterval(replicates, level);
        return new MeanEstimate(Finite(Descriptive.Mean(x)), Finite(lo), Finite(hi), x.Length);
    }

    private static Estimate Make(double value, double[] replicates, double level)
    {
        if (!double.IsFinite(value)) return Estimate.Undefined;
        var (lo, hi) = Descriptive.PercentileInterval(replicates, level);
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
        Stage s => StateNames.Of(s),
        Emotion e => StateNames.Of(e),
        Blocker b => StateNames.Of(b),
        AgentAction a => StateNames.Of(a),
        _ => value.ToString(),
    };

    private sealed record PositionGroup(double Centre, string Label, Func<double, bool> In);

    private static List<PositionGroup> PositionGroups(List<Conv> analysed)
    {
        var positions = analysed.SelectMany(c => c.Usable).Select(r => Math.Round(r.Position, 6)).Distinct().Order().ToList();
        // Nominal positions (30/60/90%) are few; relative positions of "all turns" probing are binned into thirds.
        if (positions.Count <= 5)
            return positions.Select(p => new PositionGroup(p, (p * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%", x => Math.Round(x, 6) == p)).ToList();
        return
        [
            new(1 / 6.0, "0–33%", x => x < 1 / 3.0),
            new(0.5, "33–67%", x => x >= 1 / 3.0 && x < 2 / 3.0),
            new(5 / 6.0, "67–100%", x => x >= 2 / 3.0),
        ];
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
            raw.Add((StateNames.Of(action), rs.Count, Cell(rs, Stage.Resisting), Cell(rs, Stage.Considering)));
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
        var table = new EndpointTable(convs,
            [r => r.Real is not null && r.RealFullContext is not null ? Depth(r.RealFullContext.Stage) - Depth(r.Real.Stage) : null],
            usableOnly: false);
        var o = ctx.Options;
        double[] a = table.Column(false, 0), b = table.Column(true, 0);
        var large = a.Length + b.Length >= o.CountResamplingFrom;
        var reps = large ? CountResampling.Stratified(a, b, o.BootstrapResamples, ctx.Seed(100, 1), o.Workers)
            : Bootstrap.Stratified(a, b, o.BootstrapResamples, ctx.Seed(100, 1), o.Workers);
        double? p = a.Length > 0 && b.Length > 0
            ? (large ? CountResampling.OneSided(a, b, o.Permutations, ctx.Seed(100, 0), o.Workers) : PermutationTest.OneSided(a, b, o.Permutations, ctx.Seed(100, 0), o.Workers)).PValue
            : null;
        // Stratified resamples the eligible conversations only, so rebuild a table of them for the summary.
        var eligible = new EndpointTable(a, b);
        return Summarise(eligible, 0, reps, ctx, p, "hindsight: D = δ(real, full context) − δ(real, causal context)").Result with
        {
            ConversationsExcluded = table.Units - a.Length - b.Length,
            NProbes = table.Probes[0],
        };
    }

    private static PredictionPoweredResult PredictionPowered(
        List<Conv> analysed, EndpointTable table, StratifiedReplicates[] reps, int realColumn, Estimate deltaUncorrected, double level)
    {
        var labelledRows = analysed.SelectMany(c => c.Usable).Where(r => r.HumanStage is not null).ToList();
        int real = realColumn, err = realColumn + 1;
        // PPI per stratum: real mean θ = mean(Φ) − mean(Φ − human); D̄ = sim − real, so its mean gains + mean(Φ − human).
        var realUncorrected = new StratumMeans(Mean(table.Column(true, real), reps[real].MeanB, level), Mean(table.Column(false, real), reps[real].MeanA, level));
        var corrRealA = Combine(reps[real].MeanA, reps[err].MeanA, -1);
        var corrRealB = Combine(reps[real].MeanB, reps[err].MeanB, -1);
        var corrBiasA = Combine(reps[0].MeanA, reps[err].MeanA, +1);
        var corrBiasB = Combine(reps[0].MeanB, reps[err].MeanB, +1);
        var realCorrected = new StratumMeans(
            Ppi(table.Column(true, real), table.Column(true, err), -1, corrRealB, level),
            Ppi(table.Column(false, real), table.Column(false, err), -1, corrRealA, level));
        var biasB = Ppi(table.Column(true, 0), table.Column(true, err), +1, corrBiasB, level);
        var biasA = Ppi(table.Column(false, 0), table.Column(false, err), +1, corrBiasA, level);
        var deltaReps = Combine(corrBiasA, corrBiasB, -1);
        var deltaCorrected = biasA.Mean is { } ta && biasB.Mean is { } tb ? Make(ta - tb, deltaReps, level) : Estimate.Undefined;

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

        static double[] Combine(double[] x, double[] y, int sign)
        {
            var z = new double[x.Length];
            for (var i = 0; i < z.Length; i++) z[i] = x[i] + sign * y[i];
            return z;
        }

        static MeanEstimate Ppi(double[] v, double[] errors, int sign, double[] replicates, double level)
        {
            if (v.Length == 0 || errors.Length == 0) return new MeanEstimate(null, null, null, v.Length);
            var theta = Descriptive.Mean(v) + sign * Descriptive.Mean(errors);
            var (lo, hi) = Descriptive.PercentileInterval(replicates, level);
            return new MeanEstimate(theta, Finite(lo), Finite(hi), v.Length);
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
                StateNames.Of(x.Row.Real!.Stage), StateNames.Of(x.Row.Sim!.Stage), x.Gap,
                x.Row.Action is { } a ? StateNames.Of(a) : null,
                x.Row.Texts?.AgentTurn, x.Row.Texts?.RealReply, x.Row.Texts?.SimReply,
                x.Row.Real!.KeySignal, x.Row.Sim!.KeySignal, x.Row.Texts?.SimGate))
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
