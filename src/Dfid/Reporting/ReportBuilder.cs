using System.Text.Json;
using Dfid.Analysis;
using N = Dfid.Reporting.ReportNumbers;

namespace Dfid.Reporting;

/// <summary>Lays out <see cref="AnalysisResults"/> as a <see cref="ReportDocument"/>: sections, tables, figures, verdicts.</summary>
/// <remarks>Pure presentation: every number is read from the results and formatted by <see cref="ReportNumbers"/>.</remarks>
internal static partial class ReportBuilder
{
    public static ReportDocument Build(AnalysisResults results, ReportInputs extras)
    {
        // The depth sections show the teacher-forced conditions; rollout conditions have their own section.
        var depth = DepthOnly(results);
        var manifest = results.Manifest ?? extras.Manifest;
        var sections = new List<ReportSection>
        {
            VerdictSection(depth) is var verdict && GateComparisonBlocks(results, manifest) is { Count: > 0 } gate
                ? verdict with { Blocks = [.. verdict.Blocks, .. gate] } : verdict,
            EndpointSection(depth),
            StratumMeansSection(depth),
            DistributionSection(depth, extras),
            StageShiftSection(depth),
            PositionSection(depth),
        };
        sections.AddRange(OptionalAnalysesSections(depth));
        if (WalkAwaySection(results, manifest) is { } walkAway) sections.Add(walkAway);
        sections.Add(ExamplesSection(depth));
        if (results.InstrumentValidation is { Count: > 0 } validation) sections.Add(ValidationSection(validation));
        if (TrainingSection(manifest) is { } training) sections.Add(training);
        if (SelectionSection(results) is { } selection) sections.Add(selection);
        sections.Add(FailuresSection(depth));
        sections.Add(ManifestSection(results, manifest));
        if (manifest is { } m && PromptBlocks(m) is { Count: > 0 } prompts)
            sections.Add(new ReportSection("appendix-prompts", "Appendix: prompts", prompts));
        for (var i = 0; i < sections.Count; i++)
            sections[i] = sections[i] with
            {
                Title = $"{i + 1}. {sections[i].Title}",
                Blocks = sections[i].Blocks.Select(b => b is TableBlock t ? new TableBlock(DropEmptyColumns(t.Table)) : b).ToList(),
            };
        var subtitle = extras.Subtitle.Length > 0 ? extras.Subtitle
            : $"{results.Conditions.Count} condition(s); {N.Count(results.Settings.Permutations)} permutations, {N.Count(results.Settings.BootstrapResamples)} bootstrap resamples, seed {results.Settings.Seed}.";
        return new ReportDocument(extras.Title, subtitle, sections);
    }

    // ---- 1. verdicts -------------------------------------------------------------------------------

    private static ReportSection VerdictSection(AnalysisResults r)
    {
        var items = r.Conditions.Select(c => (IReadOnlyList<TextRun>)[new TextRun(c.Name + ": ", Strong: true), new TextRun(VerdictText(c))]).ToList();
        var blocks = new List<ReportBlock>();
        if (items.Count == 0) blocks.Add(new ParagraphBlock("The results contain no condition."));
        else blocks.Add(new ListBlock(items, "verdicts"));
        blocks.Add(new ParagraphBlock(
            $"How the verdict is decided: with fewer than {VerdictRule.MinConversationsPerStratum} analysed conversations in a stratum there is no verdict. " +
            "If the 95% CI of Δ lies above 0, simulated non-converters are pushed deeper into the funnel than converters: a disengagement deficit (below 0: a reverse gap). " +
            $"Otherwise the condition is called faithful only when the CI of Δ and the CIs of both stratum means lie within ±{VerdictRule.EquivalenceMargin:0.00} stage; " +
            "when Δ is within the margin but a stratum mean's CI excludes 0, the simulator shifts that stratum as a whole (uniform shift). Intervals too wide for either call: too few data to say."));
        return new ReportSection("verdict", "Verdict", blocks);
    }

    internal static string VerdictText(ConditionResult c)
    {
        var v = VerdictRule.Decide(c);
        var non = c.StratumBias.NotConverted;
        var conv = c.StratumBias.Converted;
        var stats = $"(Δ = {N.Signed(c.Delta.Value)} {N.Interval(c.Delta.CiLow, c.Delta.CiHigh)}, d = {N.Estimate(c.CohensD.Value)}, p = {N.PValue(c.PValue)}; n = {N.Count(c.NNotConverted)} non-converters, {N.Count(c.NConverted)} converters)";
        string Depth(double? mean) => mean is null ? "at an unknown depth"
            : N.Estimate(mean) == N.Estimate(0) ? "at the same depth as the real ones"
            : mean > 0 ? $"{N.Estimate(mean)} stages deeper" : $"{N.Estimate(-mean)} stages shallower";
        var nonDepth = Depth(non.Mean);
        var shape = nonDepth.StartsWith("at ", StringComparison.Ordinal)
            ? $"simulated non-converters sit {nonDepth} in the funnel, converters {Depth(conv.Mean)}"
            : $"simulated non-converters sit {nonDepth} in the funnel than the real ones, converters {Depth(conv.Mean)}";
        return v switch
        {
            Verdict.DisengagementDeficit => $"disengagement deficit. {Cap(shape)}: the simulator does not walk away like real non-converters do {stats}.",
            Verdict.ReverseGap => $"reverse gap. {Cap(shape)}: the simulator pushes converters further than non-converters {stats}.",
            Verdict.Faithful => $"faithful. {Cap(shape)}; no outcome-dependent gap larger than {VerdictRule.EquivalenceMargin:0.00} stage {stats}.",
            Verdict.UniformShift => $"uniform shift, no outcome-dependent gap. {Cap(shape)}; marginal bias {N.Signed(c.MarginalBias.Value)} {N.Interval(c.MarginalBias.CiLow, c.MarginalBias.CiHigh)} {stats}.",
            _ => $"too few data to say. {Cap(shape)}, but the data cannot separate a gap from noise {stats}.",
        };
    }

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    // ---- 2. endpoint table ---------------------------------------------------------------------

    private static ReportSection EndpointSection(AnalysisResults r)
    {
        var holm = r.Robustness.Rows.ToDictionary(x => x.Condition, x => x.PHolm);
        var rows = r.Conditions.Select(c => (IReadOnlyList<ReportCell>)[
            c.Name, c.Simulator ?? "", c.Instrument ?? "",
            Int(c.NNotConverted), Int(c.NConverted), Int(c.NProbes),
            Signed(c.StratumBias.NotConverted.Mean), Ci(c.StratumBias.NotConverted.CiLow, c.StratumBias.NotConverted.CiHigh),
            Signed(c.StratumBias.Converted.Mean), Ci(c.StratumBias.Converted.CiLow, c.StratumBias.Converted.CiHigh),
            Signed(c.Delta.Value), Ci(c.Delta.CiLow, c.Delta.CiHigh),
            Est(c.CohensD.Value), Ci(c.CohensD.CiLow, c.CohensD.CiHigh),
            P(c.PValue), P(holm.GetValueOrDefault(c.Name)),
            Signed(c.MarginalBias.Value), Ci(c.MarginalBias.CiLow, c.MarginalBias.CiHigh),
            VerdictRule.Label(VerdictRule.Decide(c))]).ToList();
        var table = new ReportTable("endpoints",
            "Primary endpoint per condition: D̄ = mean over a conversation's probes of δ(sim) − δ(real), in stages; Δ = E[D̄|y=0] − E[D̄|y=1]; d = Cohen's d (pooled SD); p = one-sided permutation test for Δ > 0; p (Holm) over the confirmatory family; 95% bootstrap CIs.",
            ["condition", "simulator", "instrument", "n (y=0)", "n (y=1)", "probes", "E[D̄|y=0]", "95% CI", "E[D̄|y=1]", "95% CI", "Δ", "95% CI", "d", "95% CI", "p", "p (Holm)", "marginal bias", "95% CI", "verdict"],
            rows);
        return new ReportSection("endpoints", "Endpoint table", [new TableBlock(table)]);
    }

    // ---- 3. stratum means figure ----------------------------------------------------------------

    private static ReportSection StratumMeansSection(AnalysisResults r)
    {
        var points = r.Conditions.Select(c => new StratumMeansPoint(c.Name,
            Iv(c.StratumBias.NotConverted.Mean, c.StratumBias.NotConverted.CiLow, c.StratumBias.NotConverted.CiHigh),
            Iv(c.StratumBias.Converted.Mean, c.StratumBias.Converted.CiLow, c.StratumBias.Converted.CiHigh))).ToList();
        return new ReportSection("stratum-means", "Stratum means of D̄", [new FigureBlock(ReportFigures.StratumMeans(points))]);
    }

    // ---- 4. distribution -----------------------------------------------------------------------

    private static ReportSection DistributionSection(AnalysisResults r, ReportInputs extras)
    {
        // Default: the condition with the largest Δ, the one whose distribution says most (replay baselines are all zero).
        var c = r.Conditions.FirstOrDefault(x => x.Name == extras.DistributionCondition)
            ?? r.Conditions.OrderByDescending(x => x.Delta.Value ?? double.NegativeInfinity).FirstOrDefault();
        if (c is null) return new ReportSection("distribution", "Distribution of D̄", [new ParagraphBlock("No condition to plot.")]);
        var h = c.Histogram;
        var blocks = new List<ReportBlock> { new FigureBlock(ReportFigures.Distribution(c.Name, h.Edges, h.NotConverted, h.Converted)) };
        var rows = new List<IReadOnlyList<ReportCell>>();
        for (var i = 0; i < h.Edges.Count - 1 && i < h.Converted.Count && i < h.NotConverted.Count; i++)
        {
            if (h.Converted[i] == 0 && h.NotConverted[i] == 0) continue;
            rows.Add([Signed(h.Edges[i]), Signed(h.Edges[i + 1]), Int(h.NotConverted[i]), Int(h.Converted[i])]);
        }
        blocks.Add(new TableBlock(new ReportTable("dbar-histogram", $"Conversations per D̄ bin for {c.Name} (empty bins omitted; the last bin is closed).",
            ["D̄ from", "D̄ to", "non-converters", "converters"], rows)));
        return new ReportSection("distribution", "Distribution of conversation-level D̄", blocks);
    }

    // ---- 5. stage shift ------------------------------------------------------------------------

    private static ReportSection StageShiftSection(AnalysisResults r)
    {
        var blocks = new List<ReportBlock>();
        var k = 0;
        foreach (var c in r.Conditions)
        {
            k++;
            var rows = new List<IReadOnlyList<ReportCell>>();
            foreach (var (label, d) in new[] { ("non-converters (y=0)", c.Distributions.Stage.NotConverted), ("converters (y=1)", c.Distributions.Stage.Converted) })
                foreach (var cat in d.Categories)
                    rows.Add([label, cat.Category, Int(cat.RealCount), Pct(cat.RealPct), Int(cat.SimCount), Pct(cat.SimPct), Pp(cat.ShiftPp)]);
            blocks.Add(new TableBlock(new ReportTable($"stage-shift-{k}-{c.Name}", $"Stage distribution real → simulated for {c.Name} (usable probes; shift = sim − real in percentage points).",
                ["stratum", "stage", "real n", "real %", "sim n", "sim %", "shift"], rows)));
            var bars = new List<StageBar>
            {
                Bar("y=0 real", c.Distributions.Stage.NotConverted, sim: false), Bar("y=0 simulated", c.Distributions.Stage.NotConverted, sim: true),
                Bar("y=1 real", c.Distributions.Stage.Converted, sim: false), Bar("y=1 simulated", c.Distributions.Stage.Converted, sim: true),
            };
            var fig = ReportFigures.StageDistribution($"stage-distribution-{k}-{c.Name}", "Stage distribution: " + c.Name, bars);
            blocks.Add(new FigureBlock(fig));
        }
        return new ReportSection("stage-shift", "Stage shift per stratum", blocks);
    }

    private static StageBar Bar(string label, StratumDistribution d, bool sim)
    {
        // The figure stacks shares in stage order; it takes them as fractions of 1.
        var shares = ReportFigures.StageNames.Select(name => d.Categories.FirstOrDefault(x => x.Category == name) is { } cat
            ? ((sim ? cat.SimPct : cat.RealPct) ?? double.NaN) / 100 : 0).ToList();
        return new StageBar($"{label} (n={(sim ? d.NSim : d.NReal)})", shares);
    }

    // ---- 6. by position ------------------------------------------------------------------------

    private static ReportSection PositionSection(AnalysisResults r)
    {
        var rows = r.Conditions.SelectMany(c => c.ByPosition.Select(p => (IReadOnlyList<ReportCell>)[
            c.Name, p.Label, Int(p.NNotConverted), Int(p.NConverted),
            Signed(p.StratumMeans.NotConverted.Mean), Signed(p.StratumMeans.Converted.Mean),
            Signed(p.Delta.Value), Ci(p.Delta.CiLow, p.Delta.CiHigh), Est(p.CohensD.Value), Ci(p.CohensD.CiLow, p.CohensD.CiHigh)])).ToList();
        var blocks = new List<ReportBlock>
        {
            new TableBlock(new ReportTable("delta-by-position", "Δ by probe position: the depth gap D of the probes at each position, averaged per conversation and contrasted between strata.",
                ["condition", "position", "n (y=0)", "n (y=1)", "E[D|y=0]", "E[D|y=1]", "Δ", "95% CI", "d", "95% CI"], rows)),
        };
        var series = r.Conditions.Where(c => c.ByPosition.Count > 0).Select(c => new PositionSeries(c.Name,
            c.ByPosition.Select(p => p.Position).ToList(), c.ByPosition.Select(p => Iv(p.Delta.Value, p.Delta.CiLow, p.Delta.CiHigh)).ToList())).ToList();
        if (series.Count > 0) blocks.Add(new FigureBlock(ReportFigures.DeltaByPosition(series)));
        return new ReportSection("by-position", "Δ by probe position", blocks);
    }

    // ---- 7. optional analyses -----------------------------------------------------------------

    private static IEnumerable<ReportSection> OptionalAnalysesSections(AnalysisResults r)
    {
        var alt = r.Conditions.SelectMany(c => new[]
        {
            EndpointRow(c.Name, "binary resistance", c.Alternatives.BinaryResistance),
            EndpointRow(c.Name, "deep funnel", c.Alternatives.DeepFunnel),
            EndpointRow(c.Name, "non-resisting probes only", c.Alternatives.NonResisting),
        }).ToList();
        if (alt.Count > 0)
            yield return new ReportSection("alternatives", "Alternative endpoints",
            [
                new ParagraphBlock("Binary resistance: D on 1 − I[stage = resisting] (positive: the simulator resists less than the real user). Deep funnel: D on I[stage ∈ {considering, deciding}]. Non-resisting: the depth D on probes where neither reply is resisting."),
                new TableBlock(new ReportTable("alternative-endpoints", "Alternative endpoints per condition (conversations with at least one eligible probe).", EndpointColumns, alt)),
            ]);

        var actionRows = r.Conditions.SelectMany(c => c.Actions.Rows.Select(a => (IReadOnlyList<ReportCell>)[
            c.Name, a.Action, Int(a.N),
            Pct(a.Resisting.RealPct), Pct(a.Resisting.SimPct), Pp(a.Resisting.ShiftPp), P(a.Resisting.FisherP), P(a.Resisting.McNemarP), P(a.Resisting.McNemarPBh),
            Pct(a.Considering.RealPct), Pct(a.Considering.SimPct), Pp(a.Considering.ShiftPp), P(a.Considering.FisherP), P(a.Considering.McNemarP), P(a.Considering.McNemarPBh)])).ToList();
        if (actionRows.Count > 0)
        {
            var without = string.Join("; ", r.Conditions.Where(c => c.Actions.ProbesWithoutAction > 0).Select(c => $"{c.Name}: {N.Count(c.Actions.ProbesWithoutAction)}"));
            var blocks = new List<ReportBlock>
            {
                new TableBlock(new ReportTable("action-conditioned", "Resisting and considering shares after each agent action, real → simulated, with two-sided Fisher exact p (as in the study), exact McNemar p (paired) and its Benjamini–Hochberg adjustment over the table's cells.",
                    ["condition", "agent action", "n", "resisting real", "resisting sim", "shift", "Fisher p", "McNemar p", "McNemar p (BH)", "considering real", "considering sim", "shift", "Fisher p", "McNemar p", "McNemar p (BH)"], actionRows)),
            };
            if (without.Length > 0) blocks.Add(new ParagraphBlock("Usable probes without an agent-action label (not in the table): " + without + "."));
            yield return new ReportSection("actions", "Action-conditioned table", blocks);
        }

        if (r.Robustness.Rows.Count > 1)
        {
            var rows = r.Robustness.Rows.Select(x => (IReadOnlyList<ReportCell>)[
                x.Condition, Int(x.N), Signed(x.NotConvertedMean), Signed(x.ConvertedMean), Signed(x.MarginalBias),
                Signed(x.Delta.Value), Ci(x.Delta.CiLow, x.Delta.CiHigh), Est(x.CohensD.Value), Ci(x.CohensD.CiLow, x.CohensD.CiHigh),
                P(x.PValue), x.Confirmatory ? "yes" : "no", P(x.PHolm)]).ToList();
            yield return new ReportSection("robustness", "Robustness summary",
            [
                new TableBlock(new ReportTable("robustness", "Δ, d and p for every condition; Holm adjustment over the confirmatory family (" + string.Join(", ", r.Robustness.ConfirmatoryFamily) + ").",
                    ["condition", "n", "E[D̄|y=0]", "E[D̄|y=1]", "marginal bias", "Δ", "95% CI", "d", "95% CI", "p", "confirmatory", "p (Holm)"], rows)),
            ]);
        }

        var hind = r.Conditions.Where(c => c.Hindsight is not null).Select(c => EndpointRow(c.Name, c.Hindsight!.Description, c.Hindsight)).ToList();
        if (hind.Count > 0)
            yield return new ReportSection("hindsight", "Hindsight check",
            [
                new ParagraphBlock("The real turns labelled with the full conversation versus their causal prefix; a faithful instrument shows no outcome-correlated shift (Δ near 0, CI covering 0)."),
                new TableBlock(new ReportTable("hindsight", "Hindsight check: outcome-correlated shift between full-context and causal labels of the real turns.", EndpointColumns, hind)),
            ]);

        var ppi = r.Conditions.Where(c => c.PredictionPowered is not null).Select(c =>
        {
            var p = c.PredictionPowered!;
            return (IReadOnlyList<ReportCell>)[
                c.Name, Int(p.NLabelledProbes), Int(p.NLabelledConversations), Est(p.InstrumentAccuracy),
                Signed(p.DeltaUncorrected.Value), Ci(p.DeltaUncorrected.CiLow, p.DeltaUncorrected.CiHigh),
                Signed(p.DeltaCorrected.Value), Ci(p.DeltaCorrected.CiLow, p.DeltaCorrected.CiHigh),
                Signed(p.StratumBiasCorrected.NotConverted.Mean), Signed(p.StratumBiasCorrected.Converted.Mean)];
        }).ToList();
        if (ppi.Count > 0)
            yield return new ReportSection("prediction-powered", "Prediction-powered estimate",
            [
                new TableBlock(new ReportTable("prediction-powered", "Δ corrected for instrument error with the human-labelled probes (prediction-powered inference); accuracy = share of labelled probes where the instrument agrees with the human stage.",
                    ["condition", "labelled probes", "labelled conversations", "instrument accuracy", "Δ (instrument)", "95% CI", "Δ (corrected)", "95% CI", "E[D̄|y=0] corrected", "E[D̄|y=1] corrected"], ppi)),
            ]);
    }

    private static readonly string[] EndpointColumns = ["condition", "endpoint", "n (y=0)", "n (y=1)", "probes", "excluded", "E[D̄|y=0]", "E[D̄|y=1]", "Δ", "95% CI", "d", "95% CI", "p"];

    private static IReadOnlyList<ReportCell> EndpointRow(string condition, string endpoint, EndpointResult e) =>
    [
        condition, endpoint, Int(e.NNotConverted), Int(e.NConverted), Int(e.NProbes), Int(e.ConversationsExcluded),
        Signed(e.StratumMeans.NotConverted.Mean), Signed(e.StratumMeans.Converted.Mean),
        Signed(e.Delta.Value), Ci(e.Delta.CiLow, e.Delta.CiHigh), Est(e.CohensD.Value), Ci(e.CohensD.CiLow, e.CohensD.CiHigh), P(e.PValue),
    ];

    // ---- 8. examples ----------------------------------------------------------------------------

    private static ReportSection ExamplesSection(AnalysisResults r)
    {
        // A gated simulator's drawn state goes in its own column, shown only when a condition has one.
        var gated = r.Conditions.Any(c => c.Examples.Any(e => e.SimGate is not null));
        var rows = r.Conditions.SelectMany(c => c.Examples.Select(e => (IReadOnlyList<ReportCell>)[
            c.Name, e.ConversationId, Int(e.ProbeTurn), e.Action ?? "",
            e.AgentTurn ?? "(text not loaded)", e.RealReply ?? "(text not loaded)", e.RealStage,
            e.SimReply ?? "(text not loaded)", e.SimStage, new ReportCell(N.SignedCount(e.Gap), e.Gap, true), .. gated ? [e.SimGate ?? ""] : Array.Empty<ReportCell>()])).ToList();
        var blocks = new List<ReportBlock>
        {
            new ParagraphBlock("Non-converter probes where the simulated reply landed furthest past the real one (largest depth gap δ(sim) − δ(real), one per conversation): the same history, two replies."),
        };
        if (rows.Count == 0) blocks.Add(new ParagraphBlock("No non-converter probe with a positive depth gap."));
        else blocks.Add(new TableBlock(new ReportTable("examples", "Examples: last agent turn, real reply and simulated reply with their stages.",
            ["condition", "conversation", "turn", "agent action", "last agent turn", "real reply", "real stage", "simulated reply", "sim stage", "gap", .. gated ? ["gate (drawn state)"] : Array.Empty<string>()], rows)));
        return new ReportSection("examples", "Examples", blocks);
    }

    // ---- 9. instrument validation ---------------------------------------------------------------

    private static ReportSection ValidationSection(IReadOnlyList<InstrumentAgreement> validation)
    {
        var blocks = new List<ReportBlock>
        {
            new TableBlock(new ReportTable("instrument-agreement", "Agreement of the instrument's stage with human labels: quadratic-weighted Cohen's κ and Krippendorff's α (ordinal), 95% CIs.",
                ["turns", "n", "κ (quadratic)", "95% CI", "α (ordinal)", "95% CI"],
                validation.Select(v => (IReadOnlyList<ReportCell>)[v.Subset, Int(v.N), Est(v.KappaQuadratic.Value), Ci(v.KappaQuadratic.CiLow, v.KappaQuadratic.CiHigh),
                    Est(v.AlphaOrdinal.Value), Ci(v.AlphaOrdinal.CiLow, v.AlphaOrdinal.CiHigh)]).ToList())),
        };
        var k = 0;
        foreach (var v in validation)
        {
            k++;
            var rows = v.Categories.Select((cat, i) => (IReadOnlyList<ReportCell>)[cat, .. v.Categories.Select((_, j) =>
                i < v.Confusion.Count && j < v.Confusion[i].Count ? Int(v.Confusion[i][j]) : new ReportCell(N.Missing, null, true))]).ToList();
            blocks.Add(new TableBlock(new ReportTable($"confusion-{k}-{v.Subset}", $"Confusion matrix ({v.Subset}): rows human label, columns instrument label.",
                ["human \\ instrument", .. v.Categories], rows)));
        }
        var criterion = validation.Where(v => v.OutcomeSignals is { Count: > 0 }).ToList();
        if (criterion.Count > 0)
        {
            static double? Defined(double v) => double.IsFinite(v) ? v : null;
            blocks.Add(new TableBlock(new ReportTable("instrument-criterion",
                "Criterion validity on the probed real turns: the resisting share of non-converters minus converters (Δ resisting) by the human labels and by the instrument on the same turns, and the share of the human difference the instrument keeps (1 = all of it). The analysis rests on this difference; an instrument that loses it cannot show a simulator losing it.",
                ["turns", "position", "n (y=0)", "n (y=1)", "human Δ resisting", "Fisher p", "instrument Δ resisting", "Fisher p", "kept"],
                criterion.SelectMany(v => v.OutcomeSignals!.Select(o => (IReadOnlyList<ReportCell>)[v.Subset, Est(o.Position), Int(o.Human.NotConverted),
                    Int(o.Human.Converted), Signed(Defined(o.Human.ResistingDifference)), P(o.Human.FisherP), Signed(Defined(o.Instrument.ResistingDifference)),
                    P(o.Instrument.FisherP), Est(Defined(o.KeptShare))])).ToList())));
        }
        var refusals = validation.Where(v => v.Refusals is { HumanResisting: > 0 }).ToList();
        if (refusals.Count > 0)
            blocks.Add(new ParagraphBlock("Refusals read as commitments (human resisting, instrument deciding): " + string.Join("; ",
                refusals.Select(v => $"{v.Subset}: {N.Count(v.Refusals!.AtDeciding)} of {N.Count(v.Refusals.HumanResisting)} (share {N.Estimate(double.IsFinite(v.Refusals.Share) ? v.Refusals.Share : null)})")) + "."));
        return new ReportSection("instrument-validation", "Instrument validation", blocks);
    }

    // ---- 10. failures ---------------------------------------------------------------------------

    private static ReportSection FailuresSection(AnalysisResults r)
    {
        var rows = r.Conditions.SelectMany(c => new[] { ("non-converters (y=0)", c.Counts.NotConverted), ("converters (y=1)", c.Counts.Converted) }
            .Select(x => (IReadOnlyList<ReportCell>)[c.Name, x.Item1, Int(x.Item2.Conversations), Int(x.Item2.ConversationsExcluded), Int(x.Item2.Probes),
                Int(x.Item2.ProbesUsable), Int(x.Item2.ProbesFailed), Int(x.Item2.SimulationFailed), Int(x.Item2.RealLabelFailed), Int(x.Item2.SimLabelFailed)])).ToList();
        return new ReportSection("failures", "Failures and exclusions",
        [
            new ParagraphBlock("Every probe is counted: a failed simulator or instrument answer is kept in the run store and excluded from the estimates; a conversation whose probes all failed is excluded as a whole."),
            new TableBlock(new ReportTable("failures", "Failures and exclusions per condition and stratum.",
                ["condition", "stratum", "conversations analysed", "conversations excluded", "probes", "usable", "failed", "simulation failed", "real label failed", "sim label failed"], rows)),
        ]);
    }

    // ---- 11. manifest ---------------------------------------------------------------------------

    private static ReportSection ManifestSection(AnalysisResults r, JsonElement? manifest)
    {
        var rows = new List<IReadOnlyList<ReportCell>>
        {
            Row("analysis: permutations", Int(r.Settings.Permutations)),
            Row("analysis: bootstrap resamples", Int(r.Settings.BootstrapResamples)),
            Row("analysis: seed", Int(r.Settings.Seed)),
            Row("analysis: confidence level", Est(r.Settings.ConfidenceLevel)),
            Row("analysis: depth coding", r.Settings.DepthCoding),
            Row("analysis: confirmatory family", string.Join(", ", r.Settings.ConfirmatoryFamily)),
        };
        var blocks = new List<ReportBlock>();
        if (manifest is { } m && m.ValueKind == JsonValueKind.Object)
        {
            Flatten(m, "", rows);
            blocks.Add(new ParagraphBlock("The run manifest as stored with the run (prompt texts are in the appendix; their hashes are listed here)."));
        }
        else blocks.Add(new ParagraphBlock("The results carry no run manifest: models, prompts, corpus hash, tokens and cost are unknown for these numbers."));
        blocks.Add(new TableBlock(new ReportTable("manifest", "Run manifest.", ["key", "value"], rows)));
        return new ReportSection("manifest", "Run manifest", blocks);
    }

    private static void Flatten(JsonElement e, string path, List<IReadOnlyList<ReportCell>> rows)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    // Full prompt texts go to the appendix; their hashes stay in the table.
                    if (IsPromptTexts(p.Name) && p.Value.ValueKind == JsonValueKind.Object) continue;
                    Flatten(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, rows);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Flatten(item, $"{path}[{i++}]", rows);
                if (i == 0) rows.Add([path, "(none)"]);
                break;
            case JsonValueKind.Number:
                rows.Add([path, e.TryGetInt64(out var l) ? Int(l) : new ReportCell(N.Estimate(e.GetDouble()), e.GetDouble(), true)]);
                break;
            case JsonValueKind.String:
                rows.Add([path, e.GetString() ?? ""]);
                break;
            case JsonValueKind.True or JsonValueKind.False:
                rows.Add([path, e.GetBoolean() ? "true" : "false"]);
                break;
            default:
                rows.Add([path, "(none)"]);
                break;
        }
    }

    private static bool IsPromptTexts(string name) => name.Replace("_", "").Equals("prompts", StringComparison.OrdinalIgnoreCase);

    private static List<ReportBlock> PromptBlocks(JsonElement manifest)
    {
        var blocks = new List<ReportBlock>();
        void Walk(JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    var here = path.Length == 0 ? p.Name : path + "." + p.Name;
                    if (IsPromptTexts(p.Name) && p.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var prompt in p.Value.EnumerateObject())
                            if (prompt.Value.ValueKind == JsonValueKind.String)
                                blocks.Add(new PreformattedBlock(here + "." + prompt.Name, prompt.Value.GetString() ?? ""));
                    }
                    else Walk(p.Value, here);
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in e.EnumerateArray()) Walk(item, $"{path}[{i++}]");
            }
        }
        Walk(manifest, "");
        return blocks;
    }

    // Optional columns (simulator and instrument names) that no row fills only widen the table.
    private static ReportTable DropEmptyColumns(ReportTable t)
    {
        var keep = Enumerable.Range(0, t.Columns.Count)
            .Where(i => t.Rows.Count == 0 || t.Rows.Any(r => i < r.Count && (r[i].Numeric || r[i].Text.Length > 0))).ToArray();
        if (keep.Length == t.Columns.Count) return t;
        return t with
        {
            Columns = keep.Select(i => t.Columns[i]).ToList(),
            Rows = t.Rows.Select(r => (IReadOnlyList<ReportCell>)keep.Where(i => i < r.Count).Select(i => r[i]).ToList()).ToList(),
        };
    }

    private static IReadOnlyList<ReportCell> Row(params ReportCell[] cells) => cells;

    // ---- cells ----------------------------------------------------------------------------------

    private static ReportCell Int(long n) => new(N.Count(n), n, true);

    private static ReportCell Est(double? v) => new(N.Estimate(v), v, true);

    private static ReportCell Signed(double? v) => new(N.Signed(v), v, true);

    private static ReportCell P(double? v) => new(N.PValue(v), v, true);

    private static ReportCell Pct(double? v) => new(N.Percent(v), v, true);

    private static ReportCell Pp(double? v) => new(N.PercentPoints(v), v, true);

    private static ReportCell Ci(double? lo, double? hi) => new(N.Interval(lo, hi), null, true);

    private static Interval Iv(double? v, double? lo, double? hi) => new(v ?? double.NaN, lo ?? double.NaN, hi ?? double.NaN);
}
