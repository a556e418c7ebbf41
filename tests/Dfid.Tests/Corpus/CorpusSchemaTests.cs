using System.Text.Json;
using Dfid.Corpus;
using Json.Schema;

namespace Dfid.Tests.Corpus;

/// <summary>docs/corpus.schema.json and the reader agree: what the writer produces passes the schema, and the schema
/// rejects the shape faults the reader rejects.</summary>
public class CorpusSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(TestData.RepoRoot, "docs", "corpus.schema.json"));

    private static bool Valid(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid;
    }

    [Fact]
    public void Schema_AcceptsEveryWrittenConversation()
    {
        var rng = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            var line = CorpusFile.ToJsonLine(CorpusRoundTripTests.Generate(rng, i));
            Assert.True(Valid(line), line);
        }
        foreach (var line in File.ReadLines(TestData.Fixture("corpus", "valid.jsonl")).Where(l => l.Length > 0))
            Assert.True(Valid(line), line);
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"customer\",\"text\":\"hi\"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"agent\",\"text\":\"hi\"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\" \"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":false},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{\"x\":true},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":false,\"verified\":true},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{},\"extra\":1}")]
    public void Schema_AndReader_RejectTheSameFaults(string json)
    {
        Assert.False(Valid(json));
        var line = Assert.Single(CorpusFile.ReadLines(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "x"));
        Assert.False(line.IsValid);
    }
}
