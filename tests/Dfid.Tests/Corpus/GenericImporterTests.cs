using Dfid.Corpus;
using Dfid.Corpus.Importers;

namespace Dfid.Tests.Corpus;

public class GenericImporterTests
{
    [Fact]
    public void OpenAiChat_MapsRolesCutsAtDecisionAndKeepsSystemPromptInMeta()
    {
        var path = TestData.Fixture("corpus", "openai-chat.jsonl");

        var result = new OpenAiChatImporter().Import(new CorpusImportRequest(path));

        var o1 = result.Conversations[0];
        Assert.Equal(
            [
                (Role.Agent, "Hi! Looking for a phone plan?"),
                (Role.User, "Maybe, what's the price?"),
                (Role.Agent, "It's $10 a month.\nFirst month free."),
                (Role.User, "OK, I'll take it."),
            ],
            o1.Turns.Select(t => (t.Role, t.Text)));
        Assert.Equal("2024-03-01T12:00:00Z", o1.Turns[1].Time);
        Assert.Equal("You are a helpful sales assistant.", o1.Meta["system_prompt"].GetString());
        Assert.Equal(2, o1.Meta["dropped_turns"].GetInt32());
        Assert.Equal(new Outcome(true, 10, true, 4), o1.Outcome);
        Assert.Equal("student", o1.Profile["segment"].GetString());
        Assert.Equal("openai-chat", o1.Source.Dataset);

        var o2 = result.Conversations[1];
        Assert.False(o2.Outcome.Verified);
        Assert.Equal("web", o2.Meta["channel"].GetString());
        Assert.Equal("spring", o2.Meta["campaign"].GetString());

        var problem = Assert.Single(result.Problems);
        Assert.Equal(3, problem.Line);
        Assert.Contains("message 1: unknown role \"tool\"", problem.Reason);
    }

    [Fact]
    public void Csv_OrdersTurnsJoinsOutcomesAndReportsBadRows()
    {
        var result = new CsvImporter().Import(new CorpusImportRequest(
            TestData.Fixture("corpus", "turns.csv"), TestData.Fixture("corpus", "outcomes.csv")));

        Assert.Equal(["a", "b"], result.Conversations.Select(c => c.Id));
        var a = result.Conversations[0];
        Assert.Equal(
            [
                (Role.Agent, "Hello, how can I help?"),
                (Role.User, "I want \"the big\" box"),
                (Role.Agent, "It costs $5.\nShall I order?"),
                (Role.User, "Yes please"),
            ],
            a.Turns.Select(t => (t.Role, t.Text)));
        Assert.Equal("2024-05-01T09:00:10", a.Turns[1].Time);
        Assert.Null(a.Turns[2].Time);
        Assert.Equal(new Outcome(true, 5, true, 4), a.Outcome);
        Assert.Equal(2, a.Meta["dropped_turns"].GetInt32());
        Assert.Equal("chat", a.Meta["channel"].GetString());
        Assert.Equal(28, a.Profile["age"].GetDouble());
        Assert.Equal("Oslo", a.Profile["city"].GetString());

        var b = result.Conversations[1];
        Assert.Equal([Role.Agent, Role.User], b.Turns.Select(t => t.Role));
        Assert.Equal(new Outcome(false), b.Outcome);

        var turnsCsv = TestData.Fixture("corpus", "turns.csv");
        Assert.Contains(result.Problems, p => p.File == turnsCsv && p.Line == 12 && p.Reason.Contains("unknown role \"robot\""));
        Assert.Contains(result.Problems, p => p.Line == 4 && p.Reason.Contains("outcome for conversation \"z\""));
    }

    [Fact]
    public void Csv_WithoutOutcomes_OutcomesAreUnknownAndSaid()
    {
        var result = new CsvImporter().Import(new CorpusImportRequest(TestData.Fixture("corpus", "turns.csv")));

        Assert.All(result.Conversations, c => Assert.Null(c.Outcome.Converted));
        Assert.Contains(result.Notes, n => n.Contains("no --outcomes file", StringComparison.Ordinal));
    }

    [Fact]
    public void Jsonl_NormalisesAndCutsAtTheDecision()
    {
        var path = TestData.Fixture("corpus", "to-normalise.jsonl");

        var result = new JsonlImporter().Import(new CorpusImportRequest(path));

        Assert.Empty(result.Problems);
        var first = result.Conversations[0];
        Assert.Equal("7", first.Id);
        Assert.Equal(2, first.Turns.Length);
        Assert.Equal(new Outcome(true, null, false, 2), first.Outcome);
        Assert.Equal(2, first.Meta["dropped_turns"].GetInt32());
        Assert.Equal("kept", first.Meta["extra_field"].GetString());
        Assert.Equal("to-normalise", first.Source.Dataset);
        Assert.Empty(first.Profile);
        // What the importer writes is a valid corpus.
        var outPath = Path.Combine(TestData.TempDir(), "n.jsonl");
        CorpusFile.Write(outPath, result.Conversations);
        Assert.Equal(2, CorpusFile.ReadAll(outPath).Count);
    }

    [Fact]
    public void Jsonl_ThreeFaultFile_KeepsTheGoodLines()
    {
        var result = new JsonlImporter().Import(new CorpusImportRequest(TestData.Fixture("corpus", "three-faults.jsonl")));

        Assert.Equal(["c1", "c2", "c5"], result.Conversations.Select(c => c.Id));
        Assert.Equal([3, 4, 6], result.Problems.Select(p => p.Line));
    }

    [Fact]
    public void Registry_UnknownFormat_ListsKnownOnes()
    {
        var ex = Assert.Throws<DfidException>(() => CorpusImporters.Get("xlsx"));
        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("persuasionforgood, salestalk-ja, jsonl, openai-chat, csv", ex.Message);
        Assert.IsType<CsvImporter>(CorpusImporters.Get("CSV"));
    }
}
