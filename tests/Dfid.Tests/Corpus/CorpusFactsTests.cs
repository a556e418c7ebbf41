using System.Text;
using Dfid.Corpus;
using Dfid.Corpus.Importers;

namespace Dfid.Tests.Corpus;

/// <summary><see cref="CorpusFile.ReadFacts(string)"/> (what <c>validate</c> and <c>stats</c> read) agrees with
/// <see cref="CorpusFile.ReadLines(string)"/> (the full reader): same lines, same problems, same facts and statistics.</summary>
public class CorpusFactsTests
{
    /// <summary>every-fault.jsonl: each line's <c>meta.expect</c> says what it is ("valid", "duplicate"; lines without
    /// it have a fault), and <c>meta.slow</c> marks valid lines the single pass leaves to the full reader (escaped keys; a
    /// repeated top-level field, which the full reader accepts with the last value).</summary>
    private static readonly string EveryFault = TestData.Fixture("corpus", "every-fault.jsonl");

    [Fact]
    public void ReadFacts_EveryFaultKind_SameProblemsAndFactsAsFullReader()
    {
        var full = CorpusFile.ReadLines(EveryFault).ToList();
        var facts = CorpusFile.ReadFacts(EveryFault).ToList();

        AssertAgree(full, facts);
        var raw = File.ReadAllLines(EveryFault, Encoding.UTF8);
        var expectedValid = Enumerable.Range(1, raw.Length).Where(n => raw[n - 1].Contains("\"expect\":\"valid\"", StringComparison.Ordinal));
        Assert.Equal(expectedValid, facts.Where(l => l.IsValid).Select(l => l.Line));
        Assert.Equal(raw.Count(l => l.Trim().Length > 0), facts.Count);
        // Every fault kind of the issue is among the problems, each on its own line.
        var reasons = facts.SelectMany(l => l.Problems).Select(p => p.Reason).ToList();
        foreach (var kind in new[] { "bad JSON", "missing field \"outcome\"", "unknown role \"customer\"", "empty text", "duplicate id \"ok-plain\" (first used on line 1)",
                     "no user turn", "invalid UTF-8", "outcome marker past the end", "turns after the decision event", "profile.vip must be a string or a number",
                     "profile.a appears twice", "annotation set names and labels must be non-empty", "annotation \"act\" appears twice", "outcome.value must be a finite number", "surrogate without its pair" })
            Assert.Contains(reasons, r => r.Contains(kind, StringComparison.Ordinal));
        Assert.All(facts.Where(l => !l.IsValid), l => Assert.NotEmpty(l.Problems));
    }

    [Fact]
    public void SinglePass_AcceptsExactlyThePlainlyValidLines()
    {
        // The single pass must decline every faulty line (the full reader words it) and should take the plain valid ones
        // itself, otherwise validate and stats fall back to building records.
        foreach (var line in File.ReadAllLines(EveryFault, Encoding.UTF8).Select(l => l.TrimStart('\uFEFF')).Where(l => l.Trim().Length > 0))
        {
            var plain = line.Contains("\"expect\":\"", StringComparison.Ordinal) && !line.Contains("\"slow\":true", StringComparison.Ordinal);
            Assert.True(plain == CorpusJsonFacts.TryRead(Encoding.UTF8.GetBytes(line), out _), line);
        }
    }

    [Fact]
    public void ReadFacts_EveryFaultKind_StatsEqualFullReader()
    {
        var records = CorpusFile.ReadLines(EveryFault).Where(l => l.IsValid).Select(l => l.Conversation!).ToList();
        var fromFacts = new CorpusStatsAccumulator();
        foreach (var line in CorpusFile.ReadFacts(EveryFault))
            if (line.Facts is { } f) fromFacts.Add(f);

        var stats = fromFacts.Result();

        Assert.Equal(CorpusStatistics.Compute(records), stats);
        // By hand: annotated are ok-annotated-turns (a turn's labels) and ok-slow-escaped-annotated (meta.annotated, its key
        // escaped), not ok-rich (labels, but meta.annotated = false) nor ok-empty-annotations ("yes" is no flag, and its
        // label maps are empty); ok-rich drops 2 turns, ok-slow-escaped-key 4 (escaped key).
        Assert.Equal(2, stats.AnnotatedConversations);
        Assert.Equal(2, stats.TruncatedConversations);
        Assert.Equal(3.0, stats.MeanTruncatedTurns);
        Assert.Equal(1, stats.Converted);
    }

    [Fact]
    public void ReadFacts_ValidFixture_MatchesHandCountedStats()
    {
        var acc = new CorpusStatsAccumulator();
        foreach (var line in CorpusFile.ReadFacts(TestData.Fixture("corpus", "valid.jsonl")))
            acc.Add(line.Facts!.Value);

        Assert.Equal(new CorpusStats(3, 1, 1, 1, 2, 1, 1, 3.0, new CountSummary(2, 3, 3, 4), new CountSummary(1, 1, 4 / 3.0, 2)), acc.Result());
    }

    [Fact]
    public void ReadFacts_RandomlyDamagedLines_AgreeWithFullReader()
    {
        // Valid generated lines, then each damaged by a random edit: whatever the single pass accepts, the full reader
        // must accept with the same facts; everything else gets the full reader's problems.
        var rng = new Random(5);
        var sb = new StringBuilder();
        string[] inserts = ["\"", "{", "}", "[", "]", ",", ":", "\\", " ", "null", "true", "1e999", "-1", "\"user\"", "\"system\"",
            "\"role\":\"user\"", "\"\"", "\\u0000", "\\ud800", "\"x\":1,", "\u3000", "é"];
        string[] swaps = ["user", "agent", "turns", "text", "profile", "meta", "outcome", "verified", "converted", "dataset", "annotations", "dropped_turns", "annotated", "id"];
        for (var i = 0; i < 3000; i++)
        {
            var line = CorpusFile.ToJsonLine(CorpusRoundTripTests.Generate(rng, i));
            switch (rng.Next(5))
            {
                case 0:
                    var start = rng.Next(line.Length);
                    line = line.Remove(start, 1 + rng.Next(Math.Min(8, line.Length - start)));
                    break;
                case 1:
                    line = line.Insert(rng.Next(line.Length + 1), inserts[rng.Next(inserts.Length)]);
                    break;
                case 2:
                    var from = swaps[rng.Next(swaps.Length)];
                    line = line.Replace('"' + from + '"', '"' + swaps[rng.Next(swaps.Length)] + '"', StringComparison.Ordinal);
                    break;
                case 3:
                    var at = line.IndexOf(rng.Next(2) == 0 ? "\"text\":\"" : "\"id\":\"", rng.Next(line.Length), StringComparison.Ordinal);
                    if (at >= 0) line = line.Insert(line.IndexOf(':', at) + 2, rng.Next(2) == 0 ? " " : "\\t");
                    break;
                default:
                    break; // left valid; a quarter of ids repeat below
            }
            if (rng.Next(8) == 0) line = line.Replace($"\"c{i}\"", $"\"c{rng.Next(i + 1)}\"", StringComparison.Ordinal);
            sb.Append(line).Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());

        var full = CorpusFile.ReadLines(new MemoryStream(bytes), "damaged.jsonl").ToList();
        var facts = CorpusFile.ReadFacts(new MemoryStream(bytes), "damaged.jsonl").ToList();

        AssertAgree(full, facts);
        Assert.InRange(facts.Count(l => l.IsValid), 300, 2700); // both kinds are well represented
    }

    [Theory]
    [InlineData("persuasionforgood")]
    [InlineData("salestalk-ja")]
    public void ReadFacts_RealImport_AgreesWithFullReaderAndSinglePassTakesEveryLine(string format)
    {
        var imported = CorpusImporters.Get(format).Import(new CorpusImportRequest(Path.Combine(TestData.Data, format))).Conversations;
        var path = Path.Combine(TestData.TempDir(), format + ".jsonl");
        CorpusFile.Write(path, imported);

        var full = CorpusFile.ReadLines(path).ToList();
        var facts = CorpusFile.ReadFacts(path).ToList();

        AssertAgree(full, facts);
        Assert.All(facts, l => Assert.True(l.IsValid));
        foreach (var line in File.ReadLines(path))
            Assert.True(CorpusJsonFacts.TryRead(Encoding.UTF8.GetBytes(line), out _), line[..Math.Min(200, line.Length)]);
        var acc = new CorpusStatsAccumulator();
        foreach (var line in facts) acc.Add(line.Facts!.Value);
        Assert.Equal(CorpusStatistics.Compute(imported), acc.Result());
        if (format == "persuasionforgood")
            Assert.Equal((1017, 545, 472, 300), (acc.Result().Conversations, acc.Result().Converted, acc.Result().NotConverted, acc.Result().AnnotatedConversations));
    }

    [Theory]
    [InlineData(100, null, true)]
    [InlineData(100, "k_0000099", false)]
    [InlineData(3, "k_0000001", false)]
    [InlineData(100, "k_0000000", false)]
    [InlineData(5, "k_00000", true)] // a prefix of other keys is another key
    public void SinglePass_LargeAndRepeatedProfileKeys_DecidedLikeFullReader(int keys, string? repeated, bool valid)
    {
        var profile = string.Join(",", Enumerable.Range(0, keys).Select(k => $"\"k_{k:0000000}\":{k}").Append(repeated is null ? null : $"\"{repeated}\":\"again\"").OfType<string>());
        var line = "{\"id\":\"a\",\"turns\":[{\"role\":\"user\",\"text\":\"hi\"}],\"outcome\":{\"converted\":true,\"verified\":true},\"profile\":{" + profile + "},\"source\":{\"dataset\":\"d\"},\"meta\":{}}";
        var bytes = Encoding.UTF8.GetBytes(line + "\n");

        var full = CorpusFile.ReadLines(new MemoryStream(bytes), "m.jsonl").ToList();
        var facts = CorpusFile.ReadFacts(new MemoryStream(bytes), "m.jsonl").ToList();

        AssertAgree(full, facts);
        Assert.Equal(valid, facts[0].IsValid);
        Assert.Equal(valid, CorpusJsonFacts.TryRead(Encoding.UTF8.GetBytes(line), out _));
        if (!valid) Assert.Contains($"profile.{repeated} appears twice", facts[0].Problems[0].Reason);
    }

    [Fact]
    public void ReadFacts_MissingFile_ThrowsWithFix()
    {
        var ex = Assert.Throws<DfidException>(() => CorpusFile.ReadFacts("/nonexistent/x.jsonl"));
        Assert.Contains("corpus file not found: /nonexistent/x.jsonl", ex.Message);
    }

    private static void AssertAgree(List<CorpusLine> full, List<CorpusLineFacts> facts)
    {
        Assert.Equal(full.Count, facts.Count);
        for (var i = 0; i < full.Count; i++)
        {
            Assert.Equal(full[i].Line, facts[i].Line);
            Assert.Equal(full[i].Problems.Select(p => p.ToString()), facts[i].Problems.Select(p => p.ToString()));
            Assert.Equal(full[i].Conversation is null ? null : ConversationFacts.Of(full[i].Conversation!), facts[i].Facts);
        }
    }
}
