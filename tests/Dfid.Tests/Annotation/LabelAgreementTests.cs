using Dfid.Analysis;
using Dfid.Annotation;
using Dfid.Instrument;

namespace Dfid.Tests.Annotation;

public sealed class LabelAgreementTests
{
    private static readonly DateTimeOffset T = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static HumanLabel L(string annotator, string conversation, int turn, int stage, AgentAction? action = null) =>
        new(conversation, turn, annotator, (Stage)stage, action, action is null ? null : turn - 1, T);

    [Fact]
    public void Pairwise_MatchesHandComputedKappaAndAlpha()
    {
        // ana and ben share five turns: ana 0 1 2 3 4, ben 0 2 2 4 4 (stages as 0..4).
        // κ_w (w = (i−j)²): observed Σw·O = 1 + 1 = 2; marginals ana (1,1,1,1,1), ben (1,0,2,0,2), n = 5;
        //   expected Σw·E = Σ_j c_j Σ_i (i−j)² / 5 = (1·30 + 2·10 + 2·30) / 5 = 22; κ = 1 − 2/22 = 10/11.
        // α (ordinal): values n_c = (2,1,3,1,3), n = 10; coincidences off the diagonal (1,2),(2,1),(3,4),(4,3) with
        //   δ² = ((1+3)/2)² = 4 each → Σo·δ² = 16; Σ_{c≠k} n_c n_k δ² = 2 · 780 = 1560; α = 1 − 9·16/1560 = 59/65.
        // cleo shares two other turns with ana (same stages) and none with ben.
        HumanLabel[] labels =
        [
            L("ana", "a", 1, 0, AgentAction.Pitch), L("ana", "a", 3, 1, AgentAction.Probe), L("ana", "b", 1, 2), L("ana", "b", 3, 3), L("ana", "c", 1, 4),
            L("ben", "a", 1, 0, AgentAction.Pitch), L("ben", "a", 3, 2, AgentAction.Rapport), L("ben", "b", 1, 2), L("ben", "b", 3, 4), L("ben", "c", 1, 4),
            L("ben", "z", 1, 1),
            L("ana", "d", 1, 3), L("ana", "d", 3, 4),
            L("cleo", "d", 1, 3), L("cleo", "d", 3, 4), L("cleo", "y", 1, 0),
        ];
        var pairs = LabelAgreement.Pairwise(labels.Reverse());

        Assert.Equal([("ana", "ben"), ("ana", "cleo")], pairs.Select(p => (p.First, p.Second)));
        var ab = pairs[0];
        Assert.Equal(5, ab.N);
        Assert.Equal(0.6, ab.Accuracy, 12);
        Assert.Equal(10.0 / 11, ab.KappaQuadratic, 12);
        Assert.Equal(59.0 / 65, ab.AlphaOrdinal, 12);
        Assert.Equal(2, ab.ActionN);
        Assert.Equal(0.5, ab.ActionAgreement, 12);

        // The same figures as the R-checked functions on the paired stages.
        Assert.Equal(Agreement.CohensKappaQuadratic([0, 1, 2, 3, 4], [0, 2, 2, 4, 4], 5), ab.KappaQuadratic, 12);
        Assert.Equal(Agreement.KrippendorffAlphaOrdinal([0, 1, 2, 3, 4], [0, 2, 2, 4, 4], 5), ab.AlphaOrdinal, 12);

        var ac = pairs[1];
        Assert.Equal(2, ac.N);
        Assert.Equal(1.0, ac.Accuracy);
        Assert.Equal(1.0, ac.KappaQuadratic, 12);
        Assert.Equal(0, ac.ActionN);
        Assert.True(double.IsNaN(ac.ActionAgreement));
    }

    [Fact]
    public void Pairwise_OneCategoryOnly_IsUndefinedNotAnError()
    {
        var pairs = LabelAgreement.Pairwise([L("a", "x", 1, 2), L("b", "x", 1, 2), L("a", "y", 1, 2), L("b", "y", 1, 2)]);
        var p = Assert.Single(pairs);
        Assert.Equal(2, p.N);
        Assert.True(double.IsNaN(p.KappaQuadratic));
        Assert.True(double.IsNaN(p.AlphaOrdinal));
    }

    [Fact]
    public void Pairwise_AnAnnotatorLabellingATurnTwice_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => LabelAgreement.Pairwise([L("a", "x", 1, 2), L("a", "x", 1, 3)]));
        Assert.Contains("'a' labels conversation 'x' turn 1 twice", ex.Message, StringComparison.Ordinal);
    }
}
