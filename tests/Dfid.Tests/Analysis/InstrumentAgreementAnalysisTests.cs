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
}
