using Dfid.Components;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Probing;
using Dfid.Willingness;

namespace Dfid.Tests.Willingness;

/// <summary><see cref="WillingnessValidation"/> on the test corpus, against figures computed here from the served estimates.</summary>
public sealed class WillingnessValidationTests
{
    private static readonly MiniLmEmbedder MiniLm = new();

    [Fact]
    public async Task Run_ScoresEveryPointOutOfFold_AucAndCountsEqualAnIndependentComputation()
    {
        // Given
        var corpus = GatedSimulatorTests.Corpus();
        using var context = new ComponentContext(Core.Domain.ForDataset("persuasionforgood"), corpus, corpus, null,
            () => new CachingTextEmbedder(MiniLm), TestData.TempDir());
        var model = await WillingnessModel.SharedAsync(context, sample: false, CancellationToken.None);

        // When
        var report = WillingnessValidation.Run(model, corpus, new WillingnessValidationOptions { Resamples = 200 });

        // Then: the points are every user turn after an agent turn, plus the end of a chat that ends on an agent turn
        var points = new List<(Conversation C, int T, bool End)>();
        foreach (var c in corpus)
        {
            points.AddRange(ProbeSelector.EligibleUserTurns(c, skipGreeting: false).Select(t => (c, t, false)));
            if (c.Turns[^1].Role == Role.Agent) points.Add((c, c.Turns.Length, true));
        }
        Assert.Equal(points.Count, report.Points);
        Assert.Equal(points.Count, report.OutOfFold);
        Assert.Equal(24, report.Conversations);
        Assert.Equal(12, report.ConvertedConversations);
        // AUC of P(converted) over all points, from every (converted, not converted) pair of the served estimates.
        var p = points.Select(x => (P: model.Estimate(x.C, x.T).PConverted, Y: x.C.Outcome.Converted == true)).ToList();
        double wins = 0;
        var pairs = 0;
        foreach (var a in p.Where(x => x.Y))
            foreach (var b in p.Where(x => !x.Y))
            {
                wins += a.P > b.P ? 1 : a.P == b.P ? 0.5 : 0;
                pairs++;
            }
        var all = report.Outcome.Single(o => o.Points == "all");
        Assert.Equal(wins / pairs, all.Auc.Value!.Value, 12);
        Assert.Equal(p.Average(x => (x.P - (x.Y ? 1 : 0)) * (x.P - (x.Y ? 1 : 0))), all.Brier!.Value, 12);
        Assert.True(all.Auc.Low <= all.Auc.Value && all.Auc.Value <= all.Auc.High);
        Assert.Equal(["all", "30%", "60%", "90%"], report.Outcome.Select(o => o.Points));
        // Hazard rows: the non-converters' points; events: their real exits (the chat ends on an unanswered agent turn).
        Assert.Equal(points.Count(x => x.C.Outcome.Converted == false), report.Hazard.AtRisk);
        Assert.Equal(points.Count(x => x.End && x.C.Outcome.Converted == false), report.Hazard.Exits);
        Assert.Equal(report.Hazard.Exits, report.Hazard.ByPosition.Sum(b => b.Exits));
        Assert.Equal(report.Points, report.Calibration.Sum(b => b.N));
        Assert.Contains("\"auc_gain\"", report.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_TooFewConversationsOfAnOutcome_ClearError()
    {
        var corpus = GatedSimulatorTests.Corpus().Where(c => c.Outcome.Converted == false || c.Id is "p00" or "p02").ToList();
        using var context = new ComponentContext(Core.Domain.ForDataset("persuasionforgood"), corpus, corpus, null,
            () => new CachingTextEmbedder(MiniLm), TestData.TempDir());
        var e = await Assert.ThrowsAsync<DfidException>(() => WillingnessModel.SharedAsync(context, sample: false, CancellationToken.None));
        Assert.Contains("2 converted and 12 not-converted", e.Message, StringComparison.Ordinal);
    }
}
