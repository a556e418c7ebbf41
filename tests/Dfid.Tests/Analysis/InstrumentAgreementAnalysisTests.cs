using Dfid.Analysis;

namespace Dfid.Tests.Analysis;

public sealed class InstrumentAgreementAnalysisTests
{
    private static ProbeRow Row(string condition, string conv, int turn, Stage real, Stage? human) =>
        new(condition, conv, false, turn, 0.3, new DecisionState(real), new DecisionState(real), null, ProbeStatus.Ok, HumanStage: human);

    [Fact]
    public void InstrumentValidation_DeduplicatesRealTurnsSharedByConditionsAndCountsTheConfusionMatrix()
    {
        // Two conditions share instrument "judge": each real turn appears twice but is one human/instrument pair.
        var rows = new List<ProbeRow>();
        foreach (var condition in new[] { "persona", "instructed" })
        {
            rows.Add(Row(condition, "a", 1, Stage.Resisting, Stage.Resisting));
            rows.Add(Row(condition, "a", 3, Stage.Considering, Stage.Engaging));
            rows.Add(Row(condition, "b", 1, Stage.Exploring, Stage.Exploring));
            rows.Add(Row(condition, "b", 3, Stage.Deciding, Stage.Deciding));
            rows.Add(Row(condition, "c", 1, Stage.Engaging, null)); // no human label: not counted
        }
        var v = InstrumentAgreementAnalysis.Compute(rows, new Dictionary<string, string> { ["persona"] = "judge", ["instructed"] = "judge" }, seed: 1, resamples: 50);

        var only = Assert.Single(v);
        Assert.Equal(4, only.N);
        Assert.Equal(["resisting", "exploring", "engaging", "considering", "deciding"], only.Categories);
        Assert.Equal(1, only.Confusion[0][0]);
        Assert.Equal(1, only.Confusion[1][1]);
        Assert.Equal(1, only.Confusion[2][3]); // human engaging, instrument considering
        Assert.Equal(1, only.Confusion[4][4]);
        Assert.Equal(4, only.Confusion.Sum(r => r.Sum()));
        Assert.NotNull(only.KappaQuadratic.Value);
        Assert.InRange(only.KappaQuadratic.Value!.Value, 0.5, 0.9999); // one off-by-one error among four: high but not perfect
    }

    [Fact]
    public void InstrumentValidation_PerfectAgreement_GivesKappaAndAlphaOne()
    {
        var rows = Enumerable.Range(0, 20).Select(i => Row("persona", $"c{i / 2}", i % 2, (Stage)(i % 5), (Stage)(i % 5))).ToList();
        var v = Assert.Single(InstrumentAgreementAnalysis.Compute(rows, new Dictionary<string, string> { ["persona"] = "judge" }, seed: 1, resamples: 50));
        Assert.Equal(1.0, v.KappaQuadratic.Value!.Value, 12);
        Assert.Equal(1.0, v.AlphaOrdinal.Value!.Value, 12);
        Assert.Contains("judge", v.Subset);
    }

    [Fact]
    public void InstrumentValidation_NoHumanLabels_IsEmpty() =>
        Assert.Empty(InstrumentAgreementAnalysis.Compute([Row("p", "a", 1, Stage.Resisting, null)], new Dictionary<string, string>(), seed: 1));

    [Fact]
    public void CriterionValidity_ByPosition_ResistingDifferencesKeptShareAndRefusals()
    {
        static ProbeRow At(string conv, bool converted, double position, Stage real, Stage human) =>
            new("persona", conv, converted, position < 0.7 ? 5 : 8, position, new DecisionState(real), new DecisionState(real), null, ProbeStatus.Ok, HumanStage: human);
        var rows = new List<ProbeRow>
        {
            // 60%: non-converters resist 3 of 4 by the humans, 2 of 4 by the instrument; converters 1 of 2 and 0 of 2.
            At("n1", false, 0.6, Stage.Resisting, Stage.Resisting), At("n2", false, 0.6, Stage.Resisting, Stage.Resisting),
            At("n3", false, 0.6, Stage.Engaging, Stage.Resisting), At("n4", false, 0.6, Stage.Engaging, Stage.Engaging),
            At("y1", true, 0.6, Stage.Deciding, Stage.Resisting), At("y2", true, 0.6, Stage.Deciding, Stage.Deciding),
            // 90%: the humans see no difference (1 of 2 each side); the kept share is undefined.
            At("n1", false, 0.9, Stage.Resisting, Stage.Resisting), At("n2", false, 0.9, Stage.Exploring, Stage.Exploring),
            At("y1", true, 0.9, Stage.Resisting, Stage.Resisting), At("y2", true, 0.9, Stage.Deciding, Stage.Deciding),
        };

        var v = Assert.Single(InstrumentAgreementAnalysis.Compute(rows, new Dictionary<string, string> { ["persona"] = "learned" }, seed: 1, resamples: 20));

        Assert.Equal([0.6, 0.9], v.OutcomeSignals!.Select(o => o.Position));
        var at60 = v.OutcomeSignals![0];
        Assert.Equal((4, 2), (at60.Human.NotConverted, at60.Human.Converted));
        Assert.Equal(0.75 - 0.5, at60.Human.ResistingDifference, 12);
        Assert.Equal(0.5 - 0.0, at60.Instrument.ResistingDifference, 12);
        Assert.Equal(2.0, at60.KeptShare, 12);
        Assert.Equal(0.0, v.OutcomeSignals![1].Human.ResistingDifference, 12);
        Assert.True(double.IsNaN(v.OutcomeSignals![1].KeptShare));
        // Human resisting: 4 at 60%, 2 at 90%; one of them (y1 at 60%) read as deciding.
        Assert.Equal(new RefusalCheck(6, 1, 1.0 / 6), v.Refusals);

        // results.json carries the undefined kept share as null, and reads it back.
        var results = DecisionFidelityAnalysis.Analyze(rows, new AnalysisOptions { Permutations = 100, BootstrapResamples = 50 });
        var json = AnalysisResultsJson.Serialize(results with { InstrumentValidation = [v] });
        Assert.Contains("\"kept_share\": null", json, StringComparison.Ordinal);
        var back = Assert.Single(AnalysisResultsJson.Deserialize(json).InstrumentValidation!);
        Assert.Equal(2.0, back.OutcomeSignals![0].KeptShare, 12);
        Assert.True(double.IsNaN(back.OutcomeSignals![1].KeptShare));
    }
}
