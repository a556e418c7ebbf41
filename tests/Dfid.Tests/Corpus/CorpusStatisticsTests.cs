using Dfid.Corpus;

namespace Dfid.Tests.Corpus;

public class CorpusStatisticsTests
{
    [Fact]
    public void Compute_ValidFixture_CountsByHand()
    {
        // valid.jsonl: v1 (2 turns, 1 user, not converted, verified), v2 (4 turns, 2 user, converted, verified, 3 dropped),
        // v3 (3 turns, 1 user, unknown, annotated).
        var stats = CorpusStatistics.Compute(CorpusFile.ReadAll(TestData.Fixture("corpus", "valid.jsonl")));

        Assert.Equal(new CorpusStats(3, 1, 1, 1, 2, 1, 1, 3.0, new CountSummary(2, 3, 3, 4), new CountSummary(1, 1, 4 / 3.0, 2)), stats);
    }

    [Fact]
    public void Compute_Subset_OnlyThoseConversations()
    {
        var all = CorpusFile.ReadAll(TestData.Fixture("corpus", "valid.jsonl"));

        Assert.Equal(2, CorpusStatistics.Compute(all, CorpusSubset.Verified).Conversations);
        Assert.Equal(1, CorpusStatistics.Compute(all, CorpusSubset.Converted).Conversations);
        Assert.Equal(1, CorpusStatistics.Compute(all, CorpusSubset.NotConverted).Conversations);
    }

    [Fact]
    public void Summarise_EvenCount_MedianIsMeanOfMiddlePair()
    {
        Assert.Equal(new CountSummary(1, 2.5, 3.75, 9), CorpusStatistics.Summarise([9, 1, 3, 2]));
        Assert.Null(CorpusStatistics.Summarise([]));
    }

    [Fact]
    public void ToJson_HasExactlyTheIssueFields()
    {
        var json = System.Text.Json.JsonDocument.Parse(CorpusStatistics.Compute([]).ToJson());

        Assert.Equal(
            ["conversations", "converted", "not_converted", "unknown_outcome", "verified", "annotated_conversations",
             "truncated_conversations", "mean_truncated_turns", "turns", "user_turns"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
    }
}
