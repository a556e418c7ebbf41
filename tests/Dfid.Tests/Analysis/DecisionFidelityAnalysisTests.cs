using System.Text.Json;
using Dfid.Analysis;

namespace Dfid.Tests.Analysis;

public class DecisionFidelityAnalysisTests
{
    private const double Tol = 1e-12;
    private static readonly AnalysisOptions Fast = new() { Permutations = 20_000, BootstrapResamples = 2_000, Seed = 9 };

    private static ConditionResult Persona() => DecisionFidelityAnalysis.Analyze(HandTable.Rows(), Fast).Conditions.Single();

    [Fact]
    public void Analyze_HandTable_CountsFailuresAndExclusionsPerStratum()
    {
        var c = Persona();
        Assert.Equal(3, c.NConverted);
        Assert.Equal(2, c.NNotConverted);
        Assert.Equal(7, c.NProbes);
        Assert.Equal(new StratumCounts(3, 0, 4, 4, 0, 0, 0, 0), c.Counts.Converted);
        Assert.Equal(new StratumCounts(2, 1, 6, 3, 3, 1, 2, 0), c.Counts.NotConverted);
    }

    [Fact]
    public void Analyze_HandTable_PrimaryEndpointMatchesHandComputation()
    {
        var c = Persona();
        // converted D̄ = {0.5, 0, −1}, not converted D̄ = {2.5, 1}.
        Assert.Equal(-1.0 / 6, c.StratumBias.Converted.Mean!.Value, Tol);
        Assert.Equal(1.75, c.StratumBias.NotConverted.Mean!.Value, Tol);
        Assert.Equal(3, c.StratumBias.Converted.N);
        Assert.Equal(0.6, c.MarginalBias.Value!.Value, Tol);
        Assert.Equal(1.75 + 1.0 / 6, c.Delta.Value!.Value, Tol);
        // Pooled SD: sums of squares 1.125 (not) and 7/6 (converted) over 2 + 3 − 2.
        Assert.Equal((1.75 + 1.0 / 6) / Math.Sqrt((1.125 + 7.0 / 6) / 3), c.CohensD.Value!.Value, 10);
        // Exact enumeration of the 10 relabellings: only the observed one reaches the observed contrast (R: 0.1).
        Assert.InRange(c.PValue!.Value, 0.1 - 0.01, 0.1 + 0.01);
        Assert.True(c.Delta.CiLow <= c.Delta.Value && c.Delta.Value <= c.Delta.CiHigh);
        // Bootstrap of the converted mean can only land between the smallest and largest D̄.
        Assert.InRange(c.StratumBias.Converted.CiLow!.Value, -1, 0.5);
        Assert.InRange(c.StratumBias.Converted.CiHigh!.Value, -1, 0.5);
    }

    [Fact]
    public void Analyze_HandTable_AlternativeEndpoints()
    {
        var alt = Persona().Alternatives;
        Assert.Equal(0.5, alt.BinaryResistance.Delta.Value!.Value, Tol);
        Assert.Equal(0.5 / Math.Sqrt(0.5 / 3), alt.BinaryResistance.CohensD.Value!.Value, 10);
        Assert.Equal(0.25 - 1.0 / 6, alt.DeepFunnel.Delta.Value!.Value, Tol);
        Assert.Equal(1 + 1.0 / 6, alt.NonResisting.Delta.Value!.Value, Tol);
        Assert.Equal(1, alt.NonResisting.NNotConverted);
        Assert.Equal(1, alt.NonResisting.ConversationsExcluded);
        Assert.Equal(5, alt.NonResisting.NProbes);
        Assert.NotNull(alt.NonResisting.PValue);
    }

    [Fact]
    public void Analyze_HandTable_StageDistributionAndShift()
    {
        var not = Persona().Distributions.Stage.NotConverted;
        Assert.Equal(3, not.NReal);
        Assert.Equal(["resisting", "exploring", "engaging", "considering", "deciding"], not.Categories.Select(x => x.Category));
        var resisting = not.Categories[0];
        Assert.Equal(2, resisting.RealCount);
        Assert.Equal(0, resisting.SimCount);
        Assert.Equal(200.0 / 3, resisting.RealPct!.Value, Tol);
        Assert.Equal(-200.0 / 3, resisting.ShiftPp!.Value, Tol);
        Assert.Equal(200.0 / 3, not.Categories[2].SimPct!.Value, Tol);
        // Blocker: the simulated states carry none, so the simulated denominator is 0 and shares are undefined.
        var blocker = Persona().Distributions.Blocker.NotConverted;
        Assert.Equal(0, blocker.NSim);
        Assert.All(blocker.Categories, x => Assert.Null(x.SimPct));
        Assert.Equal("prior-failure", blocker.Categories[^1].Category);
    }

    [Fact]
    public void Analyze_HandTable_DeltaByPosition()
    {
        var byPos = Persona().ByPosition;
        Assert.Equal([0.3, 0.6, 0.9], byPos.Select(p => p.Position));
        Assert.Equal(["30%", "60%", "90%"], byPos.Select(p => p.Label));
        Assert.Equal(0.5, byPos[0].Delta.Value!.Value, Tol);
        Assert.Equal(3, byPos[1].Delta.Value!.Value, Tol);
        Assert.Equal(3, byPos[2].Delta.Value!.Value, Tol);
        Assert.Equal(2, byPos[0].NConverted);
    }

    [Fact]
    public void Analyze_HandTable_ActionTableWithRReferenceTests()
    {
        var table = Persona().Actions;
        Assert.Equal(1, table.ProbesWithoutAction);
        Assert.Equal("exact", table.McNemarMethod);
        Assert.Equal(["rapport", "pitch", "push-close"], table.Rows.Select(r => r.Action));
        var pitch = table.Rows.Single(r => r.Action == "pitch");
        Assert.Equal(4, pitch.N);
        Assert.Equal(25, pitch.Considering.RealPct!.Value, Tol);
        Assert.Equal(100, pitch.Considering.SimPct!.Value, Tol);
        Assert.Equal(3, pitch.Considering.SimOnly);
        // R: fisher.test(matrix(c(1,3,4,0), 2, byrow = TRUE))$p.value; binom.test(0, 3)$p.value.
        Assert.Equal(0.14285714285714288, pitch.Considering.FisherP, 9);
        Assert.Equal(0.25000000000000006, pitch.Considering.McNemarP, 9);
        Assert.Equal(1, pitch.Resisting.FisherP, 9);
        Assert.Equal(1, pitch.Resisting.McNemarP, 9);
        // BH over the six cells: every adjusted p is at least the raw one and at most 1.
        Assert.All(table.Rows.SelectMany(r => new[] { r.Resisting, r.Considering }), cell =>
        {
            Assert.InRange(cell.FisherPBh, cell.FisherP - 1e-15, 1);
            Assert.InRange(cell.McNemarPBh, cell.McNemarP - 1e-15, 1);
        });
    }

    [Fact]
    public void Analyze_HandTable_HindsightWithZeroSpreadHasNullD()
    {
        var h = Persona().Hindsight;
        Assert.NotNull(h);
        // converted: c1 0, c6 0; not converted: c3 +1 (resisting → exploring with full context).
        Assert.Equal(1, h.Delta.Value!.Value, Tol);
        Assert.Null(h.CohensD.Value);
        Assert.Equal(1, h.NNotConverted);
        Assert.Equal(2, h.NConverted);
        Assert.Equal(3, h.NProbes);
        Assert.Equal(3, h.ConversationsExcluded); // c2, c4, c5 have no full-context label
    }

    [Fact]
    public void Analyze_HandTable_PredictionPoweredCorrection()
    {
        var ppi = Persona().PredictionPowered;
        Assert.NotNull(ppi);
        Assert.Equal(3, ppi.NLabelledProbes);
        Assert.Equal(3, ppi.NLabelledConversations);
        Assert.Equal(2.0 / 3, ppi.InstrumentAccuracy!.Value, Tol);
        // Real depth r̄: converted {2.5, 1, 4}, not {0, 1}; instrument − human e: c1 +1, c6 0, c3 0.
        Assert.Equal(2.5, ppi.RealDepthUncorrected.Converted.Mean!.Value, Tol);
        Assert.Equal(2.0, ppi.RealDepthCorrected.Converted.Mean!.Value, Tol);
        Assert.Equal(0.5, ppi.RealDepthCorrected.NotConverted.Mean!.Value, Tol);
        Assert.Equal(-1.0 / 6 + 0.5, ppi.StratumBiasCorrected.Converted.Mean!.Value, Tol);
        Assert.Equal(1.75 - (-1.0 / 6 + 0.5), ppi.DeltaCorrected.Value!.Value, Tol);
        Assert.Equal(1.75 + 1.0 / 6, ppi.DeltaUncorrected.Value!.Value, Tol);
    }

    [Fact]
    public void Analyze_HandTable_ExamplesAreLargestGapNonConvertersWithTexts()
    {
        var ex = Persona().Examples;
        Assert.Equal(["c3", "c4"], ex.Select(e => e.ConversationId));
        Assert.Equal(3, ex[0].Gap);
        Assert.Equal("resisting", ex[0].RealStage);
        Assert.Equal("considering", ex[0].SimStage);
        Assert.Equal("pitch", ex[0].Action);
        Assert.Equal("real reply c3/4", ex[0].RealReply);
        Assert.Equal("sim reply c3/4", ex[0].SimReply);
        Assert.Equal("agent c3/4", ex[0].AgentTurn);
        Assert.Equal("sim c3/4", ex[0].SimKeySignal);
    }

    [Fact]
    public void Analyze_ReplayCondition_DeltaZeroDNullAndNoNaNInJson()
    {
        var rows = HandTable.Rows().Concat(HandTable.Rows("replay", replay: true)).ToList();
        var results = DecisionFidelityAnalysis.Analyze(rows, Fast);
        var replay = results.Conditions.Single(c => c.Name == "replay");
        Assert.Equal(0, replay.Delta.Value);
        Assert.Equal(0, replay.Delta.CiLow);
        Assert.Equal(0, replay.Delta.CiHigh);
        Assert.Equal(0, replay.MarginalBias.Value);
        Assert.Null(replay.CohensD.Value);
        Assert.Equal(1.0, replay.PValue);
        Assert.Empty(replay.Examples);

        var json = AnalysisResultsJson.Serialize(results);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", json, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        var cond = doc.RootElement.GetProperty("conditions")[1];
        Assert.Equal(JsonValueKind.Null, cond.GetProperty("cohens_d").GetProperty("value").ValueKind);
        Assert.Equal(0, cond.GetProperty("delta").GetProperty("value").GetDouble());
    }

    [Fact]
    public void Analyze_HolmOverConfirmatoryFamilyOnly()
    {
        var rows = HandTable.Rows().Concat(HandTable.Rows("replay", replay: true)).Concat(HandTable.Rows("other")).ToList();
        var results = DecisionFidelityAnalysis.Analyze(rows, Fast with { ConfirmatoryFamily = ["persona", "replay"] });
        var byName = results.Robustness.Rows.ToDictionary(r => r.Condition);
        Assert.Null(byName["other"].PHolm);
        Assert.False(byName["other"].Confirmatory);
        // Holm with two tests: the smaller p doubled, the larger one max(p, 2 × smaller), capped at 1.
        var p = byName["persona"].PValue!.Value;
        Assert.Equal(Math.Min(1, 2 * p), byName["persona"].PHolm!.Value, 15);
        Assert.Equal(1.0, byName["replay"].PHolm!.Value, 15);
        Assert.Equal(["persona", "replay"], results.Settings.ConfirmatoryFamily);
    }

    [Fact]
    public void Analyze_SameSeed_SameResults_WhateverTheWorkers()
    {
        var rows = SyntheticProbeTable.Generate(new SyntheticSpec(300, 120, ["a", "b"], 0.3, Seed: 4, WideStages: true, FailureRate: 0.05, HumanLabelRate: 0.2, FullContextRate: 0.5));
        var o = new AnalysisOptions { Permutations = 2000, BootstrapResamples = 500, Seed = 77 };
        var one = AnalysisResultsJson.Serialize(DecisionFidelityAnalysis.Analyze(rows, o with { Workers = 1 }));
        var two = AnalysisResultsJson.Serialize(DecisionFidelityAnalysis.Analyze(rows, o with { Workers = 2 }));
        var reseeded = AnalysisResultsJson.Serialize(DecisionFidelityAnalysis.Analyze(rows, o with { Seed = 78 }));
        Assert.Equal(one, two);
        Assert.NotEqual(one, reseeded);
        // A condition's numbers do not depend on the other conditions present.
        var alone = DecisionFidelityAnalysis.Analyze(rows.Where(r => r.Condition == "b").ToList(), o);
        var together = DecisionFidelityAnalysis.Analyze(rows, o);
        Assert.Equal(alone.Conditions[0].Delta, together.Conditions[1].Delta);
        Assert.Equal(alone.Conditions[0].PValue, together.Conditions[1].PValue);
    }

    [Fact]
    public void Analyze_ConflictingOutcome_ThrowsNamingConversation()
    {
        var rows = HandTable.Rows();
        rows[1] = rows[1] with { Converted = false };
        var ex = Assert.Throws<DfidException>(() => DecisionFidelityAnalysis.Analyze(rows, Fast));
        Assert.Contains("'c1'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'persona'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_UnknownConfirmatoryCondition_IsUsageError()
    {
        var ex = Assert.Throws<DfidException>(() => DecisionFidelityAnalysis.Analyze(HandTable.Rows(), Fast with { ConfirmatoryFamily = ["nope"] }));
        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_NoHumanOrFullContextLabels_OptionalSectionsAreNull()
    {
        var rows = HandTable.Rows().Select(r => r with { HumanStage = null, RealFullContext = null }).ToList();
        var c = DecisionFidelityAnalysis.Analyze(rows, Fast).Conditions[0];
        Assert.Null(c.Hindsight);
        Assert.Null(c.PredictionPowered);
    }

    [Fact]
    public void Analyze_RelativePositions_BinnedIntoThirds()
    {
        var rows = Enumerable.Range(0, 10).SelectMany(i => HandTable.Rows().Select((r, j) => r with
        {
            ConversationId = r.ConversationId + "-" + i,
            Position = (j + 1) / 11.0,
        })).ToList();
        var byPos = DecisionFidelityAnalysis.Analyze(rows, Fast).Conditions[0].ByPosition;
        Assert.Equal(["0–33%", "33–67%", "67–100%"], byPos.Select(p => p.Label));
    }

    [Fact]
    public void Analyze_DescriptorsNameSimulatorAndInstrument()
    {
        var c = DecisionFidelityAnalysis.Analyze(HandTable.Rows(), Fast with { Conditions = [new ConditionDescriptor("persona", "persona/gpt", "perceiver/v1")] }).Conditions[0];
        Assert.Equal("persona/gpt", c.Simulator);
        Assert.Equal("perceiver/v1", c.Instrument);
    }

    [Fact]
    public void Analyze_OneStratumOnlyOrNoRows_UndefinedIsNullNotNaN()
    {
        var onlyConverted = HandTable.Rows().Where(r => r.Converted).ToList();
        var results = DecisionFidelityAnalysis.Analyze(onlyConverted, Fast);
        var c = results.Conditions.Single();
        Assert.Null(c.Delta.Value);
        Assert.Null(c.CohensD.Value);
        Assert.Null(c.PValue);
        Assert.Null(c.StratumBias.NotConverted.Mean);
        Assert.Equal(0, c.StratumBias.NotConverted.N);
        Assert.NotNull(c.MarginalBias.Value);
        Assert.Null(results.Robustness.Rows.Single().PHolm);
        Assert.DoesNotContain("NaN", AnalysisResultsJson.Serialize(results), StringComparison.Ordinal);

        var empty = DecisionFidelityAnalysis.Analyze([], Fast);
        Assert.Empty(empty.Conditions);
        Assert.DoesNotContain("NaN", AnalysisResultsJson.Serialize(empty), StringComparison.Ordinal);
    }
}
