using Dfid.Corpus;

namespace Dfid.Probing;

/// <summary>Selects the probed user turns of a conversation (protocol, "Teacher-forced probes").</summary>
/// <remarks>
/// The rule, precisely: take the user turns of the conversation in order; drop those at or after
/// <see cref="Outcome.DecidedAtTurn"/> when the conversation converted (the importer has already cut them; this
/// is a second guard against outcome leakage); drop the first remaining user turn when
/// <see cref="ProbeOptions.SkipGreeting"/> is set; also drop a user turn with no agent turn before it (its
/// history would be empty). The n turns left are the eligible ones. Position p selects the eligible turn with
/// 1-based ordinal <c>k = clamp(ceil(p·n), 1, n)</c>. Positions that select the same turn yield one probe (the
/// first position wins). With no positions (<c>all</c>), every eligible turn is a probe with position k/n.
/// With <see cref="ProbeOptions.Exits"/>, a conversation that did not convert and ends on an agent turn its user never
/// answered also gets a probe at that real exit point (<see cref="ExitPoint(Conversation)"/>).
/// </remarks>
public static class ProbeSelector
{
    /// <summary>Returns the probes of <paramref name="conversation"/>, ordered by turn index.</summary>
    public static IReadOnlyList<Probe> Select(Conversation conversation, ProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(options);
        var eligible = EligibleUserTurns(conversation, options.SkipGreeting);
        var n = eligible.Count;
        var probes = new List<Probe>();
        if (n == 0) return probes;
        if (options.Positions is null)
        {
            for (var k = 1; k <= n; k++)
                probes.Add(new Probe(conversation.Id, eligible[k - 1], (double)k / n, k, n));
            if (options.Exits && ExitPoint(conversation, n) is { } last) probes.Add(last);
            return probes;
        }
        var seen = new HashSet<int>();
        foreach (var p in options.Positions)
        {
            if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(options), p, "probe positions must lie in (0, 1]");
            // A small epsilon keeps 0.3·10 = 3.0000000000000004 from becoming 4.
            var k = (int)Math.Ceiling(p * n - 1e-9);
            k = Math.Clamp(k, 1, n);
            if (seen.Add(k)) probes.Add(new Probe(conversation.Id, eligible[k - 1], p, k, n));
        }
        probes.Sort((a, b) => a.TurnIndex.CompareTo(b.TurnIndex));
        if (options.Exits && ExitPoint(conversation, n) is { } exit) probes.Add(exit);
        return probes;
    }

    /// <summary>The real user turns from <paramref name="start"/> on (before a converted conversation's decision), at most
    /// <paramref name="cap"/>: the real continuation a rollout from <paramref name="start"/> is compared with.</summary>
    public static IReadOnlyList<int> UserTurnsFrom(Conversation conversation, int start, int cap)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return EligibleUserTurns(conversation, skipGreeting: false).Where(t => t >= start).Take(cap).ToList();
    }

    /// <summary>
    /// The real exit point of <paramref name="conversation"/>, or null when it has none: a conversation that did not
    /// convert (<see cref="Outcome.Converted"/> is false) and whose last turn is an agent turn the user never answered. A
    /// converted conversation ends at its decision and a conversation that ends on a user turn shows no exit.
    /// </summary>
    public static Probe? ExitPoint(Conversation conversation) =>
        ExitPoint(conversation, EligibleUserTurns(conversation, skipGreeting: true).Count);

    private static Probe? ExitPoint(Conversation conversation, int eligible)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var turns = conversation.Turns;
        if (conversation.Outcome.Converted != false || turns.Length == 0 || turns[^1].Role != Role.Agent) return null;
        if (conversation.LastTurnBefore(turns.Length, Role.User) < 0) return null;
        return new Probe(conversation.Id, turns.Length, 1.0, eligible + 1, eligible) { Kind = ProbeKind.Exit };
    }

    /// <summary>Turn indices of the user turns that may be probed, in order (see the class remarks).</summary>
    public static IReadOnlyList<int> EligibleUserTurns(Conversation conversation, bool skipGreeting)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var cut = conversation.Outcome.Converted == true && conversation.Outcome.DecidedAtTurn is int d
            ? Math.Min(d, conversation.Turns.Length)
            : conversation.Turns.Length;
        var users = new List<int>();
        for (var i = 0; i < cut; i++)
            if (conversation.Turns[i].Role == Role.User) users.Add(i);
        if (skipGreeting && users.Count > 0) users.RemoveAt(0);
        users.RemoveAll(i => conversation.LastTurnBefore(i, Role.Agent) < 0);
        return users;
    }
}
