using Dfid.Analysis;
using Dfid.Reporting;

namespace Dfid.Tests.Reporting;

public sealed class VerdictRuleTests
{
    private static ConditionResult With(Estimate delta, MeanEstimate? notConverted = null, MeanEstimate? converted = null, int n = 50)
    {
        var c = ReportFixture.Results.Conditions[0];
        return c with
        {
            NConverted = n,
            NNotConverted = n,
            Delta = delta,
            StratumBias = new StratumMeans(converted ?? new MeanEstimate(0.01, -0.1, 0.1, n), notConverted ?? new MeanEstimate(0.02, -0.1, 0.12, n)),
        };
    }

    [Fact]
    public void Decide_CiAboveZero_IsDeficit() =>
        Assert.Equal(Verdict.DisengagementDeficit, VerdictRule.Decide(With(new Estimate(0.304, 0.14, 0.46))));

    [Fact]
    public void Decide_CiBelowZero_IsReverseGap() =>
        Assert.Equal(Verdict.ReverseGap, VerdictRule.Decide(With(new Estimate(-0.3, -0.5, -0.1))));

    [Fact]
    public void Decide_NarrowCisAroundZero_IsFaithful() =>
        Assert.Equal(Verdict.Faithful, VerdictRule.Decide(With(new Estimate(0.01, -0.12, 0.14))));

    [Fact]
    public void Decide_WideCiAroundZero_IsInconclusive() =>
        Assert.Equal(Verdict.Inconclusive, VerdictRule.Decide(With(new Estimate(0.05, -0.4, 0.5))));

    [Fact]
    public void Decide_TooFewConversations_IsInconclusive() =>
        Assert.Equal(Verdict.Inconclusive, VerdictRule.Decide(With(new Estimate(0.9, 0.5, 1.3), n: VerdictRule.MinConversationsPerStratum - 1)));

    [Fact]
    public void Decide_NoGapButBothStrataShifted_IsUniformShift() =>
        Assert.Equal(Verdict.UniformShift, VerdictRule.Decide(With(new Estimate(0.02, -0.1, 0.15),
            notConverted: new MeanEstimate(0.42, 0.3, 0.55, 50), converted: new MeanEstimate(0.40, 0.3, 0.5, 50))));

    [Fact]
    public void Decide_UndefinedDelta_IsInconclusive() =>
        Assert.Equal(Verdict.Inconclusive, VerdictRule.Decide(With(Estimate.Undefined)));

    [Fact]
    public void VerdictText_NamesDirectionAndStatistics()
    {
        var text = ReportBuilderText(With(new Estimate(0.304, 0.14, 0.46), new MeanEstimate(0.396, 0.25, 0.54, 181), new MeanEstimate(0.092, -0.03, 0.21, 193)));
        Assert.Contains("disengagement deficit", text);
        Assert.Contains("0.396 stages deeper", text);
        Assert.Contains("Δ = +0.304 [0.140, 0.460]", text);
    }

    private static string ReportBuilderText(ConditionResult c) => ReportBuilder.VerdictText(c);
}
