using Dfid.Corpus;
using Dfid.Probing;
using Dfid.Store;

namespace Dfid.Annotation;

/// <summary>A drawn set of user turns with the strata it was drawn from.</summary>
/// <param name="Tasks">The turns, numbered in labelling order.</param>
/// <param name="Strata">Every stratum (also the empty ones), in the fixed stratum order.</param>
internal sealed record TurnSample(IReadOnlyList<LabellingTask> Tasks, IReadOnlyList<TurnStratum> Strata);

/// <summary>
/// Chooses the user turns people label: a random sample stratified by outcome and relative position (for the
/// prediction-powered estimate, which needs a random subset), or the real turns of a run's probes.
/// </summary>
/// <remarks>
/// <para>Eligible turns: every user turn with an agent turn before it, before the decision cut of a converted
/// conversation (<see cref="ProbeSelector.EligibleUserTurns"/> without skipping the greeting).</para>
/// <para>Strata: outcome (<c>not-converted</c>, <c>converted</c>, <c>unknown</c>) × third of the conversation
/// (ordinal k of n eligible user turns, <c>ceil(3k/n)</c>). The sample size is allocated to the strata in proportion
/// to their size (largest remainder; ties to the earlier stratum), so every eligible turn has the same inclusion
/// probability up to rounding and the sample stays a uniform random subset; within a stratum the turns are drawn
/// without replacement by a seeded partial Fisher–Yates shuffle of the turns ordered by (conversation id, turn).</para>
/// <para>Order: conversations in a seeded random order, and a conversation's turns together and in increasing turn
/// order, so an annotator never sees a later turn of a conversation before labelling an earlier one.</para>
/// </remarks>
internal static class TurnSampler
{
    /// <summary>The seed used when none is given (recorded in the plan).</summary>
    public const int DefaultSeed = 16;

    /// <summary>The outcome strata in their fixed order.</summary>
    public static IReadOnlyList<string> OutcomeStrata { get; } = ["not-converted", "converted", "unknown"];

    /// <summary>Draws <paramref name="count"/> eligible user turns (all of them when fewer exist).</summary>
    /// <param name="conversations">The corpus.</param>
    /// <param name="count">Turns to draw (&gt; 0).</param>
    /// <param name="seed">The same corpus and seed always give the same turns in the same order, whatever the input order.</param>
    public static TurnSample Stratified(IReadOnlyList<Conversation> conversations, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var strata = new List<(string Outcome, int Third, List<LabellingTask> Turns)>();
        foreach (var o in OutcomeStrata)
            for (var t = 1; t <= 3; t++) strata.Add((o, t, []));
        foreach (var c in conversations.OrderBy(c => c.Id, StringComparer.Ordinal))
            foreach (var task in EligibleTasks(c))
                strata[StratumIndex(task.Outcome, task.Third)].Turns.Add(task);

        var total = strata.Sum(s => s.Turns.Count);
        var quotas = Allocate([.. strata.Select(s => s.Turns.Count)], Math.Min(count, total));
        var drawn = new List<LabellingTask>();
        var result = new List<TurnStratum>();
        for (var s = 0; s < strata.Count; s++)
        {
            var turns = strata[s].Turns.ToArray();
            var rng = new Random(unchecked(seed * 7919 + s * 104729 + 1));
            for (var i = 0; i < quotas[s]; i++)
            {
                var j = rng.Next(i, turns.Length);
                (turns[i], turns[j]) = (turns[j], turns[i]);
                drawn.Add(turns[i]);
            }
            result.Add(new TurnStratum(strata[s].Outcome, strata[s].Third, turns.Length, quotas[s]));
        }
        return new TurnSample(Order(drawn, seed), result);
    }

    /// <summary>The real turns of a run's probes, in labelling order.</summary>
    /// <param name="probes">The run's probes (<see cref="RunStore.ReadProbes"/>).</param>
    /// <param name="conversations">The run's conversations (<see cref="RunStore.ReadConversations"/>).</param>
    /// <param name="seed">Seed of the conversation order.</param>
    /// <exception cref="DfidException">A probe names a missing conversation, or a turn that is not a user turn after an agent turn.</exception>
    public static TurnSample FromProbes(IReadOnlyList<Probe> probes, IReadOnlyDictionary<string, Conversation> conversations, int seed)
    {
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(conversations);
        var tasks = new List<LabellingTask>();
        var counts = new int[OutcomeStrata.Count * 3];
        foreach (var p in probes)
        {
            if (!conversations.TryGetValue(p.ConversationId, out var c))
                throw new DfidException($"probe ({p.ConversationId}, turn {p.TurnIndex}): the run store has no conversation '{p.ConversationId}'; the run folder is incomplete, re-run it.");
            var task = EligibleTasks(c).FirstOrDefault(t => t.TurnIndex == p.TurnIndex)
                ?? throw new DfidException($"probe ({p.ConversationId}, turn {p.TurnIndex}): not a user turn with an agent turn before it, so it cannot be labelled.");
            tasks.Add(task);
            counts[StratumIndex(task.Outcome, task.Third)]++;
        }
        var strata = new List<TurnStratum>();
        for (var s = 0; s < counts.Length; s++) strata.Add(new TurnStratum(OutcomeStrata[s / 3], s % 3 + 1, counts[s], counts[s]));
        return new TurnSample(Order(tasks, seed), strata);
    }

    /// <summary>The outcome stratum of a conversation.</summary>
    public static string OutcomeOf(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return conversation.Outcome.Converted switch { true => "converted", false => "not-converted", null => "unknown" };
    }

    /// <summary>Every eligible user turn of a conversation as an (unnumbered) task.</summary>
    internal static IEnumerable<LabellingTask> EligibleTasks(Conversation c)
    {
        var eligible = ProbeSelector.EligibleUserTurns(c, skipGreeting: false);
        var outcome = OutcomeOf(c);
        for (var k = 1; k <= eligible.Count; k++)
        {
            var third = Math.Clamp((int)Math.Ceiling(3.0 * k / eligible.Count - 1e-9), 1, 3);
            yield return new LabellingTask(0, c.Id, eligible[k - 1], c.LastTurnBefore(eligible[k - 1], Role.Agent), outcome, third);
        }
    }

    /// <summary>Largest-remainder allocation of <paramref name="count"/> in proportion to <paramref name="sizes"/>.</summary>
    internal static int[] Allocate(int[] sizes, int count)
    {
        var total = sizes.Sum();
        var quotas = new int[sizes.Length];
        if (total == 0 || count == 0) return quotas;
        var remainders = new double[sizes.Length];
        for (var s = 0; s < sizes.Length; s++)
        {
            var exact = (double)count * sizes[s] / total;
            quotas[s] = (int)Math.Floor(exact);
            remainders[s] = exact - quotas[s];
        }
        var left = count - quotas.Sum();
        foreach (var s in Enumerable.Range(0, sizes.Length).OrderByDescending(s => remainders[s]).ThenBy(s => s).Take(left))
            quotas[s]++;
        return quotas;
    }

    private static int StratumIndex(string outcome, int third)
    {
        for (var o = 0; o < OutcomeStrata.Count; o++)
            if (OutcomeStrata[o] == outcome) return o * 3 + third - 1;
        throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown outcome stratum");
    }

    private static List<LabellingTask> Order(IEnumerable<LabellingTask> tasks, int seed)
    {
        var list = tasks.ToList();
        var ids = list.Select(t => t.ConversationId).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
        var rng = new Random(seed);
        for (var i = ids.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++) rank[ids[i]] = i;
        return
        [
            .. list.OrderBy(t => rank[t.ConversationId]).ThenBy(t => t.TurnIndex)
                .Select((t, i) => t with { Number = i + 1 }),
        ];
    }
}
