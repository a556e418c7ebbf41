using Dfid.Corpus;
using Dfid.Corpus.Importers;

namespace Dfid.Tests.Corpus;

public class SalesTalkJaImporterTests
{
    private static CorpusImport ImportFixture() =>
        new SalesTalkJaImporter().Import(new CorpusImportRequest(TestData.Fixture("corpus", "salestalk")));

    [Fact]
    public void Import_Fixture_CutsConvertedChatAtThePurchase()
    {
        var result = ImportFixture();

        Assert.Empty(result.Problems);
        var bought = result.Conversations[0];
        Assert.Equal("salestalk-ja-10", bought.Id);
        Assert.Equal(
            [
                (Role.Agent, "こんにちは！\n何をお探しですか？"),
                (Role.User, "ヘッドホンです"),
                (Role.Agent, "こちらはいかがでしょう\n【商品シェア】Phone&One 5,500円（税込） 軽い ヘッドホン"),
                (Role.User, "いいですね、買います"),
            ],
            bought.Turns.Select(t => (t.Role, t.Text)));
        Assert.Equal(new Outcome(true, 5500, false, 4, "2024-01-01T10:01:05"), bought.Outcome);
        Assert.Equal(2, bought.Meta["dropped_turns"].GetInt32());
        Assert.Equal(2, bought.Meta["notices_removed"].GetInt32());
        Assert.Equal("Phone&One", bought.Meta["purchased_product"].GetString());
        Assert.Equal(3, bought.Meta["before_purchase_intention"].GetDouble());
        Assert.Equal(6, bought.Meta["after_purchase_intention"].GetDouble());
        Assert.Equal(3, bought.Profile["purchase_intention_before"].GetDouble());
        Assert.Equal("テスト用ヘッドホン", bought.Profile["product"].GetString());
        Assert.Equal(1, result.TruncatedConversations);
        Assert.Equal(2, result.DroppedTurns);
    }

    [Fact]
    public void Import_Fixture_KeepsTimesAndPerUtteranceRatings()
    {
        var bought = ImportFixture().Conversations[0];

        Assert.Equal("2024-01-01T10:00:10", bought.Turns[0].Time);
        Assert.Equal("2024-01-01T10:00:30", bought.Turns[1].Time);
        var first = bought.Turns[0].Annotations!;
        Assert.Equal("positive|neutral", first["continuing_dialogue"]);
        Assert.Equal("neutral|positive", first["providing_information"]);
        Assert.Equal("neutral|unrated", first["goal_acceptance"]);
        Assert.Equal("positive|unrated", bought.Turns[2].Annotations!["goal_acceptance"]); // the shared card is not rated
        Assert.Null(bought.Turns[1].Annotations); // users rate sales turns only
    }

    [Fact]
    public void Import_Fixture_NotConvertedChatKeepsEveryTurnAndUserShares()
    {
        var walked = ImportFixture().Conversations[1];

        Assert.Equal(new Outcome(false), walked.Outcome);
        Assert.Equal(4, walked.Turns.Length);
        Assert.Equal("見ているだけです\n【商品シェア】Phone Pro 9,900円（税込） 高性能", walked.Turns[1].Text);
        Assert.Equal(Role.User, walked.Turns[1].Role);
        Assert.False(walked.Meta.ContainsKey("dropped_turns"));
        Assert.False(walked.Profile.ContainsKey("purchase_intention_before")); // null in the source
        Assert.Equal(2, walked.Meta["after_purchase_intention"].GetDouble());
    }

    [Fact]
    public void Import_RealData_MatchesPublishedCounts()
    {
        var result = new SalesTalkJaImporter().Import(new CorpusImportRequest(TestData.SalesTalkJa));

        Assert.Empty(result.Problems);
        var all = result.Conversations;
        Assert.Equal(109, all.Count);
        Assert.Equal(47, all.Count(c => c.Outcome.Converted == true));
        Assert.Equal(62, all.Count(c => c.Outcome.Converted == false));
        foreach (var c in all.Where(c => c.Outcome.Converted == true))
        {
            Assert.Equal(c.Turns.Length, c.Outcome.DecidedAtTurn);
            Assert.NotNull(c.Outcome.DecidedAtTime);
            Assert.True(c.Meta.ContainsKey("dropped_turns"), c.Id);
            Assert.True(c.Outcome.Value > 0, c.Id); // the price in yen of the product bought
        }
        Assert.All(all.Where(c => c.Outcome.Converted == false), c => Assert.Null(c.Outcome.DecidedAtTurn));
        // Only dialogue 77 has a turn (a product card shared by sales) after its purchase message (checked in the JSON).
        var cut = Assert.Single(all, c => CorpusMeta.DroppedTurns(c) > 0);
        Assert.Equal("salestalk-ja-77", cut.Id);
        Assert.Equal(1, CorpusMeta.DroppedTurns(cut));
        // No notice or markup survives as a turn.
        Assert.DoesNotContain(all.SelectMany(c => c.Turns), t => t.Text.Contains("注意事項", StringComparison.Ordinal)
            || t.Text.Contains("対話を終了しました", StringComparison.Ordinal) || t.Text.Contains("<b>", StringComparison.Ordinal));
        Assert.DoesNotContain(all.SelectMany(c => c.Turns), t => t.Role == Role.System);
        Assert.All(all, c => Assert.Contains(c.Turns, t => t.Role == Role.User));
    }
}
