using System.Collections.Immutable;
using Dfid.Corpus;

namespace Dfid.Tests.Corpus;

public class CorpusSamplerTests
{
    private static Conversation Make(string id, bool? converted) => new(
        id, [new Turn(Role.Agent, "a"), new Turn(Role.User, "u")], new Outcome(converted), CorpusMeta.EmptyMap, new CorpusSource("t"), CorpusMeta.EmptyMap);

    private static List<Conversation> Corpus() =>
    [
        .. Enumerable.Range(0, 30).Select(i => Make($"n{i:00}", false)),
        .. Enumerable.Range(0, 8).Select(i => Make($"y{i:00}", true)),
        Make("u0", null),
    ];

    [Fact]
    public void Balanced_TakesNPerStratumAndWarnsWhenShort()
    {
        var sample = CorpusSampler.Balanced(Corpus(), 10, seed: 3);

        Assert.Equal(10, sample.Conversations.Count(c => c.Outcome.Converted == false));
        Assert.Equal(8, sample.Conversations.Count(c => c.Outcome.Converted == true));
        Assert.DoesNotContain(sample.Conversations, c => c.Outcome.Converted is null);
        Assert.Equal([new StratumDraw(false, 10, 30, 10), new StratumDraw(true, 10, 8, 8)], sample.Strata);
        Assert.Contains(sample.Warnings, w => w.Contains("only 8 converted", StringComparison.Ordinal));
        Assert.Contains(sample.Warnings, w => w.Contains("1 conversations with unknown outcome", StringComparison.Ordinal));
        Assert.Equal(sample.Conversations.Count, sample.Conversations.Distinct().Count());
    }

    [Fact]
    public void Balanced_SameSeed_SameSampleWhateverTheInputOrder()
    {
        var corpus = Corpus();
        var shuffled = corpus.OrderBy(c => c.Id.GetHashCode(StringComparison.Ordinal)).ToList();

        var a = CorpusSampler.Balanced(corpus, 5, seed: 11).Conversations.Select(c => c.Id).Order();
        var b = CorpusSampler.Balanced(shuffled, 5, seed: 11).Conversations.Select(c => c.Id).Order();

        Assert.Equal(a, b);
    }

    [Fact]
    public void Balanced_DifferentSeeds_UsuallyDiffer()
    {
        var corpus = Corpus();
        var draws = Enumerable.Range(0, 10).Select(s => string.Join(",", CorpusSampler.Balanced(corpus, 5, s).Conversations.Select(c => c.Id))).ToHashSet();
        Assert.True(draws.Count >= 9); // C(30,5) = 142,506 ways: collisions among 10 seeds would mean the seed is ignored
    }

    [Fact]
    public void Balanced_KeepsInputOrder()
    {
        var sample = CorpusSampler.Balanced(Corpus(), 5, seed: 1).Conversations.Select(c => c.Id).ToList();
        Assert.Equal(sample.Order(StringComparer.Ordinal), sample);
    }

    [Fact]
    public void Balanced_EachStratumIsUniformOverSeeds()
    {
        // Drawing 1 of 30 over 3,000 seeds: each conversation ~100 times; a fixed or biased draw fails this.
        var corpus = Corpus();
        var counts = Enumerable.Range(0, 3000)
            .Select(s => CorpusSampler.Balanced(corpus, 1, s).Conversations.Single(c => c.Outcome.Converted == false).Id)
            .CountBy(id => id).ToDictionary();
        Assert.Equal(30, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 55, 150));
    }
}
