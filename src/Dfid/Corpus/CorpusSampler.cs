namespace Dfid.Corpus;

/// <summary>How one outcome stratum was drawn.</summary>
/// <param name="Converted">The stratum: <c>true</c> converted, <c>false</c> not converted.</param>
/// <param name="Requested">Conversations asked for.</param>
/// <param name="Available">Conversations in the stratum.</param>
/// <param name="Drawn">Conversations drawn (<c>min(Requested, Available)</c>).</param>
public sealed record StratumDraw(bool Converted, int Requested, int Available, int Drawn)
{
    /// <summary>Whether fewer conversations exist than were asked for.</summary>
    public bool IsShort => Available < Requested;
}

/// <summary>An outcome-balanced sample.</summary>
/// <param name="Conversations">The drawn conversations, in the input's order.</param>
/// <param name="Strata">The draw per stratum (not converted first).</param>
/// <param name="UnknownOutcomeExcluded">Conversations left out because their outcome is unknown.</param>
public sealed record CorpusSample(IReadOnlyList<Conversation> Conversations, IReadOnlyList<StratumDraw> Strata, int UnknownOutcomeExcluded)
{
    /// <summary>One warning per short stratum (and for excluded unknown outcomes); empty when the draw is complete.</summary>
    public IReadOnlyList<string> Warnings =>
    [
        .. Strata.Where(s => s.IsShort).Select(s =>
            $"only {s.Available} {(s.Converted ? "converted" : "not-converted")} conversations exist; all are taken instead of {s.Requested}"),
        .. UnknownOutcomeExcluded > 0 ? [$"{UnknownOutcomeExcluded} conversations with unknown outcome are not sampled"] : Array.Empty<string>(),
    ];
}

/// <summary>Draws outcome-balanced samples (the protocol's sampling step; <c>dfid corpus sample</c> and the run stage use it).</summary>
public static class CorpusSampler
{
    /// <summary>Draws <paramref name="perStratum"/> conversations from each outcome stratum (or all that exist).</summary>
    /// <param name="conversations">The corpus; unknown outcomes are excluded.</param>
    /// <param name="perStratum">Conversations per stratum (&gt; 0).</param>
    /// <param name="seed">The seed: the same corpus and seed always give the same sample, whatever the input order.</param>
    /// <remarks>Each stratum is ordered by id (ordinal) and shuffled with its own seeded <see cref="Random"/>
    /// (Fisher–Yates), so adding conversations to one stratum does not change the draw of the other.</remarks>
    public static CorpusSample Balanced(IReadOnlyList<Conversation> conversations, int perStratum, int seed)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perStratum);
        var chosen = new HashSet<Conversation>(ReferenceEqualityComparer.Instance);
        var strata = new List<StratumDraw>();
        foreach (var converted in new[] { false, true })
        {
            var stratum = conversations.Where(c => c.Outcome.Converted == converted).OrderBy(c => c.Id, StringComparer.Ordinal).ToArray();
            var rng = new Random(converted ? unchecked(seed * 31 + 17) : seed);
            var take = Math.Min(perStratum, stratum.Length);
            for (var i = 0; i < take; i++)
            {
                var j = rng.Next(i, stratum.Length);
                (stratum[i], stratum[j]) = (stratum[j], stratum[i]);
                chosen.Add(stratum[i]);
            }
            strata.Add(new StratumDraw(converted, perStratum, stratum.Length, take));
        }
        var unknown = conversations.Count(c => c.Outcome.Converted is null);
        return new CorpusSample(conversations.Where(chosen.Contains).ToArray(), strata, unknown);
    }
}
