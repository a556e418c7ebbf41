using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Corpus.Importers;

namespace Dfid.Tests.Corpus;

/// <summary>Property: for any corpus, import (jsonl) → write → read gives identical conversations.</summary>
public class CorpusRoundTripTests
{
    private static readonly string[] Fragments =
    [
        "hello", "price?", "\"quoted\"", "comma, here", "line\nbreak", "tab\there", "back\\slash", "日本語のテキスト", "émigré café",
        "emoji 🎉👍🏽", "zero\u200Bwidth", "<b>html</b>", "{\"json\": [1]}", "null", "   padded   ", "\r\nwindows", "ünïcödé", "$5.00",
        "\u0001control", "right-to-left עברית", "surrogate 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ];

    private static string Text(Random rng, bool nonBlank = true)
    {
        var sb = new StringBuilder();
        var parts = 1 + rng.Next(4);
        for (var i = 0; i < parts; i++) sb.Append(Fragments[rng.Next(Fragments.Length)]).Append(rng.Next(3) == 0 ? " " : "");
        var s = sb.ToString();
        return nonBlank && string.IsNullOrWhiteSpace(s) ? "x" : s;
    }

    private static JsonElement Value(Random rng) => rng.Next(6) switch
    {
        0 => CorpusMeta.Number(rng.Next(-1000, 1000)),
        1 => CorpusMeta.Number(rng.NextDouble() * Math.Pow(10, rng.Next(-5, 8))),
        2 => CorpusMeta.Text(Text(rng, nonBlank: false)),
        3 => CorpusMeta.Text(rng.Next(100).ToString(System.Globalization.CultureInfo.InvariantCulture)), // a number as a string stays a string
        4 => CorpusMeta.Number(0.1 + 0.2),
        _ => CorpusMeta.Text(""),
    };

    private static ImmutableSortedDictionary<string, JsonElement> Map(Random rng, bool metaValues)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
        var n = rng.Next(4) == 0 ? 0 : rng.Next(8);
        for (var i = 0; i < n; i++)
        {
            var key = rng.Next(5) == 0 ? Text(rng) : $"k{rng.Next(20)}";
            b[key] = metaValues && rng.Next(3) == 0
                ? JsonDocument.Parse(rng.Next(2) == 0 ? "{\"nested\":[1,true,null,\"x\"]}" : "[false, 2.5e-7]").RootElement.Clone()
                : Value(rng);
        }
        return b.ToImmutable();
    }

    internal static Conversation Generate(Random rng, int index)
    {
        var n = 1 + rng.Next(12);
        var userAt = rng.Next(n);
        var turns = ImmutableArray.CreateBuilder<Turn>(n);
        for (var t = 0; t < n; t++)
        {
            var role = t == userAt ? Role.User : (Role)rng.Next(3);
            ImmutableSortedDictionary<string, string>? annotations = null;
            if (rng.Next(3) == 0)
                annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                    Enumerable.Range(0, 1 + rng.Next(3)).Select(i => KeyValuePair.Create($"set{i}", Text(rng, nonBlank: false))));
            var time = rng.Next(2) == 0 ? null : $"2024-0{1 + rng.Next(9)}-1{rng.Next(10)}T10:{rng.Next(10, 60)}:00Z";
            turns.Add(new Turn(role, Text(rng), time, annotations));
        }
        bool? converted = rng.Next(3) switch { 0 => true, 1 => false, _ => null };
        var outcome = new Outcome(
            converted,
            rng.Next(2) == 0 ? null : Math.Round(rng.NextDouble() * 100, rng.Next(4)),
            rng.Next(2) == 0,
            converted == true && rng.Next(2) == 0 ? n : null,
            rng.Next(3) == 0 ? "2024-01-01T00:00:00" : null);
        var id = rng.Next(4) == 0 ? $"{Text(rng)}-{index}" : $"c{index}";
        var source = new CorpusSource(rng.Next(2) == 0 ? "gen" : Text(rng), rng.Next(2) == 0 ? null : "CC0-1.0");
        return new Conversation(id, turns.MoveToImmutable(), outcome, Map(rng, false), source, Map(rng, true));
    }

    [Fact]
    public void ImportWriteRead_GeneratedCorpora_Identical()
    {
        var dir = TestData.TempDir();
        for (var seed = 0; seed < 60; seed++)
        {
            var rng = new Random(seed);
            var corpus = Enumerable.Range(0, 1 + rng.Next(25)).Select(i => Generate(rng, i)).ToList();
            var source = Path.Combine(dir, $"source-{seed}.jsonl");
            CorpusFile.Write(source, corpus);

            var imported = new JsonlImporter().Import(new CorpusImportRequest(source));
            Assert.Empty(imported.Problems);
            var output = Path.Combine(dir, $"out-{seed}.jsonl");
            CorpusFile.Write(output, imported.Conversations);
            var read = CorpusFile.ReadAll(output);

            Assert.Equal(corpus.Count, read.Count);
            for (var i = 0; i < corpus.Count; i++)
                Assert.True(ConversationEquality.AreEqual(corpus[i], read[i]), $"seed {seed}: " + ConversationEquality.Describe(corpus[i], read[i]));
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(output)); // writing is canonical
        }
    }

    [Theory]
    [InlineData("persuasionforgood")]
    [InlineData("salestalk-ja")]
    public void ImportWriteRead_RealData_Identical(string format)
    {
        var folder = Path.Combine(TestData.Data, format);
        var imported = CorpusImporters.Get(format).Import(new CorpusImportRequest(folder)).Conversations;
        var path = Path.Combine(TestData.TempDir(), format + ".jsonl");

        CorpusFile.Write(path, imported);
        var read = CorpusFile.ReadAll(path);

        Assert.Equal(imported.Count, read.Count);
        for (var i = 0; i < read.Count; i++)
            Assert.True(ConversationEquality.AreEqual(imported[i], read[i]), ConversationEquality.Describe(imported[i], read[i]));
    }

    [Fact]
    public void ToJsonLineParseJsonLine_Generated_Identical()
    {
        var rng = new Random(99);
        for (var i = 0; i < 300; i++)
        {
            var c = Generate(rng, i);
            var back = CorpusFile.ParseJsonLine(CorpusFile.ToJsonLine(c));
            Assert.True(ConversationEquality.AreEqual(c, back), ConversationEquality.Describe(c, back));
        }
    }
}

/// <summary>The reader's fast path (one Utf8JsonReader pass) and its document walk read the same conversation.</summary>
public class CorpusFastPathTests
{
    [Fact]
    public void FastPath_AgreesWithDocumentWalk_OnGeneratedLines()
    {
        var rng = new Random(17);
        for (var i = 0; i < 300; i++)
        {
            var line = System.Text.Encoding.UTF8.GetBytes(CorpusFile.ToJsonLine(CorpusRoundTripTests.Generate(rng, i)));
            var fast = CorpusJsonFast.TryParse(line);
            using var doc = JsonDocument.Parse(line);
            var slow = CorpusJson.FromElement(doc.RootElement, default, []);
            Assert.NotNull(fast);
            Assert.NotNull(slow);
            Assert.True(ConversationEquality.AreEqual(slow, fast), ConversationEquality.Describe(slow, fast));
        }
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"id\":\"b\",\"turns\":[],\"outcome\":{\"converted\":null,\"verified\":false},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"x\",\"mood\":1}],\"outcome\":{\"converted\":null,\"verified\":false},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"x\"}],\"outcome\":{\"converted\":1,\"verified\":false},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"x\"}],\"outcome\":{\"converted\":null,\"verified\":false},\"profile\":{\"k\":1,\"k\":2},\"source\":{\"dataset\":\"d\"},\"meta\":{}}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"x\"}],\"outcome\":{\"converted\":null,\"verified\":false},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}} {}")]
    [InlineData("{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"x\"}],\"outcome\":{\"converted\":null,\"verified\":false},\"profile\":{},\"source\":{\"dataset\":\"d\"},\"meta\":{}")]
    public void FastPath_DeclinesWhatItDoesNotExpect(string json)
    {
        Assert.Null(CorpusJsonFast.TryParse(System.Text.Encoding.UTF8.GetBytes(json)));
    }
}
