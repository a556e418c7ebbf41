using System.Globalization;
using System.Text.Json;
using Dfid.Annotation;
using Dfid.Instrument;
using Json.Schema;

namespace Dfid.Tests.Annotation;

public sealed class LabelsFileTests
{
    private static readonly DateTimeOffset T = DateTimeOffset.Parse("2026-03-01T12:00:00.250Z", CultureInfo.InvariantCulture);

    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(TestData.RepoRoot, "docs", "labels.schema.json"));

    [Fact]
    public void WriteThenRead_GivesTheSameLabels()
    {
        HumanLabel[] labels =
        [
            new("shop-01", 3, "ana", Stage.Exploring, null, null, T),
            new("shop-01", 3, "ben", Stage.Considering, AgentAction.Pitch, 2, T.AddMinutes(1)),
            new("shop \"07\" <x>", 1, "ćłö", Stage.Deciding, AgentAction.HandleObjection, 0, T.AddDays(1)),
        ];
        var path = Path.Combine(TestData.TempDir(), "labels.jsonl");
        Assert.Equal(3, LabelsFile.Write(path, labels));
        Assert.Equal(labels, LabelsFile.Read(path));
        Assert.Equal(
            """{"format":"dfid.labels/1","conversation":"shop-01","turn":3,"annotator":"ben","stage":"considering","action":"pitch","agent_turn":2,"time":"2026-03-01T12:01:00.250Z"}""",
            File.ReadLines(path).ElementAt(1));
        foreach (var line in File.ReadLines(path)) Assert.True(Valid(line), line);

        var byTurn = LabelsFile.ByTurn(labels);
        Assert.Equal(["ana", "ben"], byTurn[("shop-01", 3)].Select(l => l.Annotator));
    }

    [Fact]
    public void ReadLines_EveryFaultIsNamedWithItsLine()
    {
        string[] lines =
        [
            Line(),                                                            // 1 ok
            "",                                                                // 2 blank: skipped
            "{not json",                                                       // 3
            "[1, 2]",                                                          // 4
            Line(format: "dfid.labels/2"),                                     // 5
            Line(stage: "maybe"),                                              // 6
            Line(turn: "-1"),                                                  // 7
            Line(action: "\"bribe\"", agentTurn: "0"),                         // 8
            Line(action: "\"pitch\""),                                         // 9 action without agent_turn
            Line(agentTurn: "0"),                                              // 10 agent_turn without action
            Line(time: "2026-03-01 12:00"),                                    // 11 not ISO UTC
            Line(time: "2026-03-01T12:00:00+02:00"),                           // 12 not UTC
            Line().Replace("\"stage\"", "\"stgae\"", StringComparison.Ordinal), // 13 typo: unknown key and missing stage
            Line(annotator: "ben"),                                            // 14 ok
            Line(),                                                            // 15 duplicate of line 1
            Line(action: "\"pitch\"", agentTurn: "5"),                         // 16 agent_turn after the turn
        ];
        var read = LabelsFile.ReadLines(lines, "f.jsonl").ToList();
        Assert.Equal([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], read.Select(l => l.Line));
        string Problems(int line) => string.Join(" | ", read.Single(l => l.Line == line).Problems.Select(p => p.ToString()));
        Assert.Empty(Problems(1));
        Assert.Empty(Problems(14));
        Assert.StartsWith("f.jsonl:3: not valid JSON", Problems(3), StringComparison.Ordinal);
        Assert.Equal("f.jsonl:4: a line must be a JSON object", Problems(4));
        Assert.Equal("f.jsonl:5: format 'dfid.labels/2' is not dfid.labels/1", Problems(5));
        Assert.Contains("f.jsonl:6: stage 'maybe' is not one of resisting, exploring, engaging, considering, deciding", Problems(6), StringComparison.Ordinal);
        Assert.Contains("f.jsonl:7: 'turn' must be a whole number >= 0", Problems(7), StringComparison.Ordinal);
        Assert.Contains("f.jsonl:8: action 'bribe' is not one of rapport, probe, pitch, handle-objection, push-close, reassure", Problems(8), StringComparison.Ordinal);
        Assert.Equal("f.jsonl:9: an action needs agent_turn: the index of the agent turn it labels", Problems(9));
        Assert.Equal("f.jsonl:10: agent_turn is given without an action; drop it or add the action", Problems(10));
        Assert.Contains("f.jsonl:11: time '2026-03-01 12:00' is not an ISO 8601 UTC time", Problems(11), StringComparison.Ordinal);
        Assert.Contains("f.jsonl:12: time '2026-03-01T12:00:00+02:00' is not an ISO 8601 UTC time", Problems(12), StringComparison.Ordinal);
        Assert.Contains("f.jsonl:13: unknown key 'stgae'", Problems(13), StringComparison.Ordinal);
        Assert.Contains("f.jsonl:13: missing 'stage'", Problems(13), StringComparison.Ordinal);
        Assert.Equal("f.jsonl:15: annotator 'ana' already labelled conversation 'shop-01' turn 3 on line 1; keep one label per annotator and turn", Problems(15));
        Assert.Equal("f.jsonl:16: agent_turn 5 must come before turn 3", Problems(16));

        // The schema rejects the same shape faults (the duplicate and cross-field rules are the reader's alone).
        foreach (var n in new[] { 4, 5, 6, 7, 8, 9, 10, 13 }) Assert.False(Valid(lines[n - 1]), $"schema accepted line {n}");
        Assert.True(Valid(lines[0]));
    }

    [Fact]
    public void Read_AFileWithProblems_ThrowsListingThem()
    {
        var path = Path.Combine(TestData.TempDir(), "bad.jsonl");
        File.WriteAllLines(path, [Line(), Line(stage: "maybe")]);
        var ex = Assert.Throws<DfidException>(() => LabelsFile.Read(path));
        Assert.Contains($"{path}:2: stage 'maybe'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dfid labels validate", ex.Message, StringComparison.Ordinal);
        Assert.Throws<DfidException>(() => LabelsFile.Read(Path.Combine(TestData.TempDir(), "missing.jsonl")));
    }

    [Fact]
    public void Validate_WithCorpus_ChecksConversationsTurnsAndRoles()
    {
        var path = Path.Combine(TestData.TempDir(), "labels.jsonl");
        File.WriteAllLines(path,
        [
            Line(conversation: "shop-01", turn: "3"),                              // 1 ok (a user turn)
            Line(conversation: "shop-99", turn: "1"),                              // 2 no such conversation
            Line(conversation: "shop-02", turn: "6"),                              // 3 out of range (6 turns)
            Line(conversation: "shop-02", turn: "2"),                              // 4 an agent turn
            Line(conversation: "shop-01", turn: "5", action: "\"pitch\"", agentTurn: "2"), // 5 not the agent turn right before (4)
            Line(conversation: "shop-01", turn: "5", annotator: "ben", action: "\"pitch\"", agentTurn: "4"), // 6 ok
        ]);
        var (problems, labels) = LabelsFile.Validate(path, AnnotationFixture.CorpusById());
        Assert.Equal(2, labels);
        Assert.Equal(
        [
            $"{path}:2: conversation 'shop-99' is not in the corpus; label turns of the corpus you pass with --corpus",
            $"{path}:3: conversation 'shop-02' has 6 turns (0..5); turn 6 does not exist",
            $"{path}:4: turn 2 of conversation 'shop-02' is not a user turn (role agent); only user turns carry stage labels",
            $"{path}:5: agent_turn 2 is not the agent turn right before turn 5 of conversation 'shop-01' (that is 4)",
        ], problems.Select(p => p.ToString()));
        Assert.Equal(6, LabelsFile.Validate(path).Labels); // without the corpus every line is well-formed
    }

    private static bool Valid(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return Schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Line(string format = "dfid.labels/1", string conversation = "shop-01", string turn = "3", string annotator = "ana",
        string stage = "exploring", string action = "null", string? agentTurn = null, string time = "2026-03-01T12:00:00Z") =>
        $$"""{"format":"{{format}}","conversation":"{{conversation}}","turn":{{turn}},"annotator":"{{annotator}}","stage":"{{stage}}","action":{{action}}{{(agentTurn is null ? "" : ",\"agent_turn\":" + agentTurn)}},"time":"{{time}}"}""";
}
