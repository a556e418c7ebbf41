using System.Text.Json;
using Dfid.Corpus;
using Dfid.Corpus.Importers;

namespace Dfid.Tests.Corpus;

public class PersuasionForGoodImporterTests
{
    private static CorpusImport ImportFixture() =>
        new PersuasionForGoodImporter().Import(new CorpusImportRequest(TestData.Fixture("corpus", "p4g")));

    [Fact]
    public void Import_Fixture_GroupsSentencesIntoTurnsPersuaderFirst()
    {
        var result = ImportFixture();

        Assert.Empty(result.Problems);
        Assert.Equal(["d1", "d2", "d3"], result.Conversations.Select(c => c.Id));
        var d1 = result.Conversations[0];
        Assert.Equal(
            [
                (Role.Agent, "Hello there! How are you today?"),
                (Role.User, "Fine, thanks."),
                (Role.Agent, "Have you heard of Save the Children?"),
                (Role.User, "I have. They say \"every child\" matters, right?"),
                (Role.Agent, "Yes.\nThey do a lot. Would you donate $1?"),
                (Role.User, "No thanks."),
                (Role.Agent, "I understand."),
            ],
            d1.Turns.Select(t => (t.Role, t.Text)));
    }

    [Fact]
    public void Import_Fixture_AttachesDistinctActsInSentenceOrder()
    {
        var d1 = ImportFixture().Conversations[0];

        string? Act(int i, string set) => d1.Turns[i].Annotations is { } a && a.TryGetValue(set, out var v) ? v : null;
        Assert.Equal("greeting|task-related-inquiry", Act(0, "er_act"));
        Assert.Equal("greeting", Act(1, "ee_act"));
        Assert.Equal("positive-to-inquiry|ask-org-info", Act(3, "ee_act"));
        Assert.Equal("credibility-appeal|proposition-of-donation", Act(4, "er_act"));
        Assert.Equal("disagree-donation", Act(5, "ee_act"));
        Assert.Null(d1.Turns[6].Annotations); // the source gives that sentence no act
        Assert.Null(Act(1, "er_act"));
        Assert.True(d1.Meta["annotated"].GetBoolean());
        Assert.Equal(1.0, d1.Meta["intended_donation"].GetDouble());
    }

    [Fact]
    public void Import_Fixture_OutcomeProfileAndFlags()
    {
        var result = ImportFixture();
        var (d1, d2, d3) = (result.Conversations[0], result.Conversations[1], result.Conversations[2]);

        Assert.Equal(new Outcome(false, 0, true), d1.Outcome);
        Assert.Equal(new Outcome(true, 0.5, true), d2.Outcome);
        Assert.Equal(new Outcome(true, 50, true), d3.Outcome);
        Assert.Equal(JsonValueKind.Number, d1.Profile["age"].ValueKind);
        Assert.Equal(41, d1.Profile["age"].GetDouble());
        Assert.Equal("Male, identifies as", d1.Profile["sex"].GetString());
        Assert.Equal(2.8, d1.Profile["extrovert"].GetDouble());
        Assert.Equal(["age", "extrovert", "sex"], d1.Profile.Keys);
        Assert.Empty(d2.Profile);
        Assert.True(d2.Meta["profile_missing"].GetBoolean());
        Assert.False(d2.Meta["annotated"].GetBoolean());
        Assert.False(d2.Meta.ContainsKey("intended_donation"));
        Assert.True(d3.Meta["donation_above_task_payment"].GetBoolean());
        Assert.False(d1.Meta["donation_above_task_payment"].GetBoolean());
        Assert.Equal("user_11", d1.Meta["persuadee_id"].GetString());
        Assert.Equal(new CorpusSource("persuasionforgood", "Apache-2.0"), d1.Source);
        Assert.Contains(result.Notes, n => n.Contains("1 donations are above", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n.Contains("1 persuadees have no *.x profile fields", StringComparison.Ordinal) && n.Contains("d2", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_MissingFolder_ThrowsWithFix()
    {
        var ex = Assert.Throws<DfidException>(() => new PersuasionForGoodImporter().Import(new CorpusImportRequest("/nonexistent/p4g")));
        Assert.Contains("--in DIR", ex.Message);
    }

    [Fact]
    public void Import_RealData_MatchesPublishedCounts()
    {
        var result = new PersuasionForGoodImporter().Import(new CorpusImportRequest(TestData.PersuasionForGood));

        Assert.Empty(result.Problems);
        var all = result.Conversations;
        Assert.Equal(1017, all.Count);
        Assert.Equal(545, all.Count(c => c.Outcome.Converted == true));
        Assert.Equal(472, all.Count(c => c.Outcome.Converted == false));
        Assert.All(all, c => Assert.True(c.Outcome.Verified));
        Assert.Equal(300, all.Count(c => c.Meta["annotated"].GetBoolean()));
        Assert.Equal(300, all.Count(CorpusMeta.IsAnnotated));
        Assert.All(all, c => Assert.True(c.Turns.Count(t => t.Role == Role.User) >= 3, c.Id));
        Assert.All(all, c => Assert.Equal(Role.Agent, c.Turns[0].Role)); // the persuader opens every chat
        // 35 amounts above the $2 task payment (data/README.md), all counted as donors.
        var above = all.Where(c => c.Meta["donation_above_task_payment"].GetBoolean()).ToList();
        Assert.Equal(35, above.Count);
        Assert.All(above, c => Assert.True(c.Outcome.Converted));
        // Four persuadees have every *.x field empty in full_info.csv (checked by hand); all others have a profile.
        Assert.Equal(1013, all.Count(c => c.Profile.Count > 0));
        Assert.Equal(4, all.Count(c => c.Meta.ContainsKey("profile_missing")));
        // B5 is given for 217 persuadees in 300_info.csv.
        Assert.Equal(217, all.Count(c => c.Meta.ContainsKey("intended_donation")));
    }

    [Fact]
    public void Import_RealData_AnnotationConventionOnAKnownTurn()
    {
        var all = new PersuasionForGoodImporter().Import(new CorpusImportRequest(TestData.PersuasionForGood)).Conversations;

        // 300_dialog.csv, dialogue 20180719-210146_172_live, turn 1 (read from the CSV by hand): persuader sentences
        // greeting / other / task-related-inquiry; persuadee positive-to-inquiry ×2 / task-related-inquiry.
        var c = all.Single(x => x.Id == "20180719-210146_172_live");
        Assert.Equal("greeting|other|task-related-inquiry", c.Turns[2].Annotations!["er_act"]);
        Assert.Equal("positive-to-inquiry|task-related-inquiry", c.Turns[3].Annotations!["ee_act"]);
        Assert.Equal(2.0, c.Meta["intended_donation"].GetDouble()); // said $2, gave $0
        Assert.False(c.Outcome.Converted);
    }
}
