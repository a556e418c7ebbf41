using Dfid.Analysis;
using Dfid.Corpus;
using Dfid.Instrument;

namespace Dfid.Running;

/// <summary>The engagement statistics of the selection check (<see cref="SelectionCheck"/>), from conversations and their
/// human labels.</summary>
internal static class SelectionStatistics
{
    /// <summary>Engagement of <paramref name="conversations"/>: counts, outcome shares, turns and user turns per conversation
    /// (mean and median), and the human resisting share of the user turns <paramref name="human"/> labels.</summary>
    public static EngagementStatistics Engagement(IEnumerable<Conversation> conversations, IHumanLabels? human)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        var facts = conversations.Select(c => Facts(c, human)).ToList();
        var converted = facts.Count(f => f.Converted == true);
        var notConverted = facts.Count(f => f.Converted == false);
        return new EngagementStatistics(facts.Count, converted, notConverted, facts.Count - converted - notConverted,
            converted + notConverted == 0 ? null : (double)converted / (converted + notConverted),
            Group(facts), Group([.. facts.Where(f => f.Converted == true)]), Group([.. facts.Where(f => f.Converted == false)]));
    }

    private sealed record ConversationEngagement(bool? Converted, int Turns, int UserTurns, int Labelled, int Resisting);

    private static ConversationEngagement Facts(Conversation c, IHumanLabels? human)
    {
        int user = 0, labelled = 0, resisting = 0;
        for (var i = 0; i < c.Turns.Length; i++)
        {
            if (c.Turns[i].Role != Role.User) continue;
            user++;
            if (human?.StageOf(c, i) is not { } stage) continue;
            labelled++;
            if (stage == Stage.Resisting) resisting++;
        }
        return new ConversationEngagement(c.Outcome.Converted, c.Turns.Length, user, labelled, resisting);
    }

    private static EngagementGroup Group(IReadOnlyList<ConversationEngagement> facts)
    {
        var turns = CorpusStatistics.Summarise([.. facts.Select(f => f.Turns)]);
        var user = CorpusStatistics.Summarise([.. facts.Select(f => f.UserTurns)]);
        var labelled = facts.Sum(f => f.Labelled);
        return new EngagementGroup(facts.Count, turns?.Mean, turns?.Median, user?.Mean, user?.Median, labelled,
            labelled == 0 ? null : (double)facts.Sum(f => f.Resisting) / labelled);
    }
}
