using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;

namespace Dfid.Tests.Corpus;

public class CorpusFileTests
{
    [Fact]
    public void ReadLines_ThreeFaultFile_ReportsEachFaultOnItsLine()
    {
        var path = TestData.Fixture("corpus", "three-faults.jsonl");

        var lines = CorpusFile.ReadLines(path).ToList();

        var problems = lines.SelectMany(l => l.Problems).ToList();
        Assert.Equal(3, problems.Count);
        Assert.Equal([3, 4, 6], problems.Select(p => p.Line));
        Assert.Contains("bad JSON", problems[0].Reason);
        Assert.Contains("unknown role \"customer\"", problems[1].Reason);
        Assert.Contains("duplicate id \"c1\" (first used on line 1)", problems[2].Reason);
        Assert.StartsWith(path + ":3: ", problems[0].ToString());
        Assert.Equal(["c1", "c2", "c5"], lines.Where(l => l.IsValid).Select(l => l.Conversation!.Id));
    }

    [Fact]
    public void ReadAll_FileWithProblems_ThrowsListingFileAndLine()
    {
        var path = TestData.Fixture("corpus", "three-faults.jsonl");

        var ex = Assert.Throws<DfidException>(() => CorpusFile.ReadAll(path));

        Assert.Contains(path + ":3: bad JSON", ex.Message);
        Assert.Contains(path + ":4: turn 1: unknown role", ex.Message);
        Assert.Contains(path + ":6: duplicate id", ex.Message);
    }

    [Fact]
    public void ReadAll_MissingFile_ThrowsWithFix()
    {
        var ex = Assert.Throws<DfidException>(() => CorpusFile.ReadAll("/nonexistent/x.jsonl"));
        Assert.Contains("corpus file not found: /nonexistent/x.jsonl", ex.Message);
        Assert.Contains("dfid corpus import", ex.Message);
    }

    [Fact]
    public void ReadAll_ValidFile_ReadsEveryField()
    {
        var all = CorpusFile.ReadAll(TestData.Fixture("corpus", "valid.jsonl"));

        Assert.Equal(3, all.Count);
        var v1 = all[0];
        Assert.Equal("v1", v1.Id);
        Assert.Equal(Role.Agent, v1.Turns[0].Role);
        Assert.Equal("Just looking, thanks.", v1.Turns[1].Text);
        Assert.False(v1.Outcome.Converted);
        Assert.True(v1.Outcome.Verified);
        Assert.Equal(41, v1.Profile["age"].GetInt32());
        Assert.Equal("Leeds", v1.Profile["city"].GetString());
        Assert.Equal(new CorpusSource("fixture", "MIT"), v1.Source);
        Assert.Empty(v1.Meta);
        Assert.Equal(120, all[1].Outcome.Value);
        Assert.Equal(4, all[1].Outcome.DecidedAtTurn);
        Assert.Null(all[2].Outcome.Converted);
        Assert.Equal(Role.System, all[2].Turns[0].Role);
        Assert.Equal("2024-01-01T10:00:00Z", all[2].Turns[2].Time);
        Assert.Equal("exploring", all[2].Turns[2].Annotations!["stage"]);
        Assert.True(all[2].Meta["annotated"].GetBoolean());
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"agent\",\"text\":\"hi\"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "no user turn")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"  \"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "empty text")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":true,\"verified\":true,\"decided_at_turn\":5},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "outcome marker past the end")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":true,\"verified\":true},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "missing field \"profile\"")]
    [InlineData("{\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":true,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "missing field \"id\"")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":\"yes\",\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "outcome.converted must be true, false or null")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":true,\"verified\":true},\"profile\":{\"x\":[1]},\"source\":{\"dataset\":\"d\"},\"meta\":{}}", "profile.x must be a string or a number")]
    [InlineData("[1,2]", "a line must be one JSON object")]
    public void ReadLines_InvalidLine_NamesTheReason(string json, string expected)
    {
        var line = Assert.Single(CorpusFile.ReadLines(new MemoryStream(Encoding.UTF8.GetBytes(json + "\n")), "mem.jsonl"));
        Assert.False(line.IsValid);
        Assert.Contains(line.Problems, p => p.Reason.Contains(expected, StringComparison.Ordinal) && p.Line == 1 && p.File == "mem.jsonl");
    }

    [Fact]
    public void ReadLines_InvalidUtf8_IsReportedWithItsLine()
    {
        var ok = Encoding.UTF8.GetBytes("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":true,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}\n");
        var bad = Encoding.UTF8.GetBytes("{\"id\":\"b\",\"turns\":[{\"role\":\"user\",\"text\":\"h").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\"}]}\n")).ToArray();

        var lines = CorpusFile.ReadLines(new MemoryStream([.. ok, .. bad]), "u.jsonl").ToList();

        Assert.True(lines[0].IsValid);
        var problem = Assert.Single(lines[1].Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains("invalid UTF-8", problem.Reason);
    }

    [Fact]
    public void Write_ThenRead_GivesEqualConversationsAndReadableUnicode()
    {
        var conversation = new Conversation(
            "日本-1",
            [new Turn(Role.Agent, "こんにちは！\n\"quoted\", comma"), new Turn(Role.User, "はい", "2024-02-22T10:32:06",
                ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("goal_acceptance", "positive")]))],
            new Outcome(true, 0.05, true, 2, "2024-02-22T10:40:00"),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("age", JsonSerializer.SerializeToElement(34.5))]),
            new CorpusSource("salestalk-ja", "CC-BY-NC-SA-4.0"),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("dropped_turns", JsonSerializer.SerializeToElement(3))]));
        var path = Path.Combine(TestData.TempDir(), "out", "c.jsonl");

        Assert.Equal(1, CorpusFile.Write(path, [conversation]));
        var back = Assert.Single(CorpusFile.ReadAll(path));

        Assert.True(ConversationEquality.AreEqual(conversation, back), ConversationEquality.Describe(conversation, back));
        var text = File.ReadAllText(path);
        Assert.Contains("こんにちは！\\n\\\"quoted\\\", comma", text);
        Assert.EndsWith("\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void ReadLines_ManyBatches_KeepsOrderLineNumbersAndCrossBatchDuplicates()
    {
        // More lines than one parallel batch holds, blank lines in between, faults far apart.
        var sb = new StringBuilder();
        const string good = "{{\"id\":\"{0}\",\"turns\":[{{\"role\":\"user\",\"text\":\"t{0}\"}}],\"outcome\":{{\"converted\":false,\"verified\":true}},\"profile\":{{}},\"source\":{{\"dataset\":\"d\"}},\"meta\":{{}}}}";
        for (var i = 1; i <= 1000; i++)
        {
            if (i % 97 == 0) sb.Append('\n'); // blank line: skipped but counted
            sb.Append(i switch { 450 => "{broken", 800 => string.Format(System.Globalization.CultureInfo.InvariantCulture, good, "id-3"), _ => string.Format(System.Globalization.CultureInfo.InvariantCulture, good, "id-" + i) }).Append('\n');
        }

        var lines = CorpusFile.ReadLines(new MemoryStream(Encoding.UTF8.GetBytes(sb.ToString())), "big.jsonl").ToList();

        Assert.Equal(1000, lines.Count);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => "id-" + i).Where(id => id is not ("id-450" or "id-800")),
            lines.Where(l => l.IsValid).Select(l => l.Conversation!.Id));
        var bad = lines.Where(l => !l.IsValid).ToList();
        Assert.Equal([450 + 450 / 97, 800 + 800 / 97], bad.Select(l => l.Line));
        Assert.Contains("bad JSON", bad[0].Problems[0].Reason);
        Assert.Contains("duplicate id \"id-3\" (first used on line 3)", bad[1].Problems[0].Reason);
        Assert.True(lines.Select(l => l.Line).SequenceEqual(lines.Select(l => l.Line).Order()));
    }

    [Fact]
    public void ToJsonLine_MapsBuiltWithAnyComparer_WrittenInOrdinalKeyOrder()
    {
        var culture = ImmutableSortedDictionary<string, JsonElement>.Empty
            .Add("a", CorpusMeta.Number(1)).Add("B", CorpusMeta.Number(2)).Add("_x", CorpusMeta.Number(3));
        var c = new Conversation("k", [new Turn(Role.User, "hi", null, ImmutableSortedDictionary<string, string>.Empty.Add("z", "1").Add("Y", "2"))],
            new Outcome(null), culture, new CorpusSource("d"), culture);

        var json = CorpusFile.ToJsonLine(c);

        Assert.Contains("\"profile\":{\"B\":2,\"_x\":3,\"a\":1}", json);
        Assert.Contains("\"annotations\":{\"Y\":\"2\",\"z\":\"1\"}", json);
    }
}
