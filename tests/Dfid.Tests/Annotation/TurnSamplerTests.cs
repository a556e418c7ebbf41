using Dfid.Annotation;
using Dfid.Corpus;
using Dfid.Probing;

namespace Dfid.Tests.Annotation;

public sealed class TurnSamplerTests
{
    [Fact]
    public void Stratified_SameSeed_SameTasksWhateverTheInputOrder()
    {
        var corpus = AnnotationFixture.Generated(perOutcome: 20, maxUserTurns: 5);
        var a = TurnSampler.Stratified(corpus, 40, seed: 3);
        var rng = new Random(9);
        var shuffled = corpus.OrderBy(_ => rng.Next()).ToList();
        var b = TurnSampler.Stratified(shuffled, 40, seed: 3);
        var other = TurnSampler.Stratified(corpus, 40, seed: 4);

        Assert.Equal(a.Tasks, b.Tasks);
        Assert.Equal(a.Strata, b.Strata);
        Assert.NotEqual(a.Tasks.Select(t => (t.ConversationId, t.TurnIndex)), other.Tasks.Select(t => (t.ConversationId, t.TurnIndex)));
    }

    [Fact]
    public void Stratified_AllocatesInProportionToStrata_AndDrawsOnlyEligibleTurns()
    {
        var corpus = AnnotationFixture.Generated(perOutcome: 30, maxUserTurns: 6);
        var byId = corpus.ToDictionary(c => c.Id);
        var sample = TurnSampler.Stratified(corpus, 90, seed: 11);

        // Population per stratum, counted here independently: ordinal k of n user turns → third ceil(3k/n).
        var population = new Dictionary<(string, int), int>();
        foreach (var c in corpus)
        {
            var n = c.Turns.Count(t => t.Role == Role.User);
            for (var k = 1; k <= n; k++)
            {
                var key = (TurnSampler.OutcomeOf(c), (3 * k + n - 1) / n);
                population[key] = population.GetValueOrDefault(key) + 1;
            }
        }
        var total = population.Values.Sum();
        Assert.Equal(90, sample.Tasks.Count);
        Assert.Equal(9, sample.Strata.Count);
        foreach (var s in sample.Strata)
        {
            Assert.Equal(population.GetValueOrDefault((s.Outcome, s.Third)), s.Eligible);
            Assert.True(Math.Abs(s.Drawn - 90.0 * s.Eligible / total) < 1, $"{s.Outcome}/{s.Third}: drew {s.Drawn} of {s.Eligible}");
            Assert.Equal(s.Drawn, sample.Tasks.Count(t => t.Outcome == s.Outcome && t.Third == s.Third));
        }
        Assert.Equal(sample.Tasks.Count, sample.Tasks.Select(t => (t.ConversationId, t.TurnIndex)).Distinct().Count());
        foreach (var t in sample.Tasks)
        {
            var c = byId[t.ConversationId];
            Assert.Equal(Role.User, c.Turns[t.TurnIndex].Role);
            Assert.Equal(Role.Agent, c.Turns[t.AgentTurnIndex].Role);
            Assert.Equal(t.TurnIndex - 1, t.AgentTurnIndex);
        }
    }

    [Fact]
    public void Stratified_EveryTurnHasTheSameInclusionProbability()
    {
        // 3 outcomes × 24 conversations with 1, 2 or 3 user turns: thirds hold 8, 16 and 24 turns per outcome (144 in
        // all), so with N = 54 every stratum's proportional quota is a whole number (3, 6, 9) and each eligible turn must
        // be drawn with probability 54/144 exactly; 1,500 seeds estimate it per turn.
        var corpus = AnnotationFixture.Generated(perOutcome: 24, maxUserTurns: 3);
        const int n = 54;
        var first = TurnSampler.Stratified(corpus, n, 0);
        var eligible = first.Strata.Sum(s => s.Eligible);
        Assert.All(first.Strata, s => Assert.Equal(0, n * s.Eligible % eligible));
        var counts = new Dictionary<(string, int), int>();
        const int seeds = 1500;
        for (var seed = 0; seed < seeds; seed++)
            foreach (var t in TurnSampler.Stratified(corpus, n, seed).Tasks)
                counts[(t.ConversationId, t.TurnIndex)] = counts.GetValueOrDefault((t.ConversationId, t.TurnIndex)) + 1;
        var p = (double)n / eligible;
        var sd = Math.Sqrt(p * (1 - p) / seeds);
        Assert.Equal(eligible, counts.Count);
        Assert.All(counts, kv => Assert.True(Math.Abs((double)kv.Value / seeds - p) < 4.5 * sd,
            $"{kv.Key}: drawn {kv.Value} of {seeds} times, expected p = {p:0.000}"));
    }

    [Fact]
    public void Stratified_OrdersAConversationsTurnsTogetherAndIncreasing()
    {
        var sample = TurnSampler.Stratified(AnnotationFixture.Generated(perOutcome: 20, maxUserTurns: 6), 60, seed: 5);
        Assert.Equal(Enumerable.Range(1, 60), sample.Tasks.Select(t => t.Number));
        var seen = new HashSet<string>();
        for (var i = 0; i < sample.Tasks.Count; i++)
        {
            var t = sample.Tasks[i];
            if (i > 0 && sample.Tasks[i - 1].ConversationId == t.ConversationId)
                Assert.True(sample.Tasks[i - 1].TurnIndex < t.TurnIndex, "a later turn came first");
            else Assert.True(seen.Add(t.ConversationId), $"conversation {t.ConversationId} is split");
        }
        // Not simply in id order: the conversations are shuffled.
        var ids = sample.Tasks.Select(t => t.ConversationId).Distinct().ToList();
        Assert.NotEqual(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public void Stratified_MoreThanEligible_TakesEveryEligibleTurn()
    {
        var corpus = AnnotationFixture.Corpus();
        var sample = TurnSampler.Stratified(corpus, 1000, seed: 1);
        var expected = corpus.Sum(c => ProbeSelector.EligibleUserTurns(c, skipGreeting: false).Count);
        Assert.Equal(expected, sample.Tasks.Count);
        Assert.Equal(expected, sample.Strata.Sum(s => s.Eligible));
    }

    [Fact]
    public void Allocate_LargestRemainder_TiesToTheEarlierStratum()
    {
        // 5 · (5, 3, 2) / 10 = (2.5, 1.5, 1.0): floors 2, 1, 1; one left for the two .5 remainders → the first.
        Assert.Equal([3, 1, 1], TurnSampler.Allocate([5, 3, 2], 5));
        Assert.Equal([0, 0, 0], TurnSampler.Allocate([0, 0, 0], 5));
        Assert.Equal([1, 0, 2], TurnSampler.Allocate([1, 0, 2], 3));
    }

    [Fact]
    public void FromProbes_TasksAreExactlyTheProbedTurns()
    {
        var corpus = AnnotationFixture.CorpusById();
        var probes = corpus.Values.SelectMany(c => ProbeSelector.Select(c, ProbeOptions.Default)).ToList();
        var sample = TurnSampler.FromProbes(probes, corpus, seed: 2);
        Assert.Equal(probes.Select(p => (p.ConversationId, p.TurnIndex)).Order(), sample.Tasks.Select(t => (t.ConversationId, t.TurnIndex)).Order());
        Assert.Equal(probes.Count, sample.Strata.Sum(s => s.Drawn));

        var missing = Assert.Throws<DfidException>(() => TurnSampler.FromProbes([new Probe("nope", 1, 0.3, 1, 2)], corpus, 2));
        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
        var agentTurn = Assert.Throws<DfidException>(() => TurnSampler.FromProbes([new Probe("shop-01", 2, 0.3, 1, 2)], corpus, 2));
        Assert.Contains("shop-01, turn 2", agentTurn.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlindTurn_HoldsOnlyTheEarlierTurnsAndTheLabelledOne()
    {
        var corpus = AnnotationFixture.CorpusById();
        foreach (var task in TurnSampler.Stratified([.. corpus.Values], 1000, 1).Tasks)
        {
            var c = corpus[task.ConversationId];
            var view = BlindTurn.For(c, task);
            Assert.Equal(task.TurnIndex, view.Context.Count);
            Assert.Equal(c.Turns.Take(task.TurnIndex).Select(t => t.Text), view.Context.Select(t => t.Text));
            Assert.Equal(c.Turns[task.TurnIndex].Text, view.Text);
        }
        var wrong = new LabellingTask(1, "shop-01", 0, -1, "converted", 1);
        Assert.Throws<ArgumentException>(() => BlindTurn.For(corpus["shop-01"], wrong));
    }
}
