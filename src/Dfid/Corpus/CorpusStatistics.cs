using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Dfid.Corpus;

/// <summary>Which conversations a statistic or sample covers (<c>--where</c>).</summary>
public enum CorpusSubset
{
    /// <summary>Every conversation.</summary>
    All,
    /// <summary>Conversations whose outcome is verified.</summary>
    Verified,
    /// <summary>Conversations that converted.</summary>
    Converted,
    /// <summary>Conversations that did not convert (unknown outcomes excluded).</summary>
    NotConverted,
}

/// <summary>Min, median, mean and max of a count over conversations.</summary>
/// <param name="Min">Smallest value.</param>
/// <param name="Median">Median (mean of the two middle values for an even count).</param>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Max">Largest value.</param>
public sealed record CountSummary(int Min, double Median, double Mean, int Max);

/// <summary>Statistics of a corpus or subset (<c>dfid corpus stats</c>); also the protocol's selection check.</summary>
/// <param name="Conversations">Number of conversations.</param>
/// <param name="Converted">Conversations with <c>outcome.converted = true</c>.</param>
/// <param name="NotConverted">Conversations with <c>outcome.converted = false</c>.</param>
/// <param name="UnknownOutcome">Conversations with <c>outcome.converted = null</c>.</param>
/// <param name="Verified">Conversations with <c>outcome.verified = true</c>.</param>
/// <param name="AnnotatedConversations">Conversations with human labels (<see cref="CorpusMeta.IsAnnotated"/>).</param>
/// <param name="TruncatedConversations">Conversations cut at a decision event with turns dropped (<c>meta.dropped_turns</c> &gt; 0).</param>
/// <param name="MeanTruncatedTurns">Mean dropped turns over the truncated conversations; <c>null</c> when none is truncated.</param>
/// <param name="Turns">Turns per conversation; <c>null</c> for an empty corpus.</param>
/// <param name="UserTurns">User turns per conversation; <c>null</c> for an empty corpus.</param>
public sealed record CorpusStats(
    int Conversations,
    int Converted,
    int NotConverted,
    int UnknownOutcome,
    int Verified,
    int AnnotatedConversations,
    int TruncatedConversations,
    double? MeanTruncatedTurns,
    CountSummary? Turns,
    CountSummary? UserTurns)
{
    /// <summary>The statistics as JSON with the snake_case fields of <c>dfid corpus stats --json</c>.</summary>
    public string ToJson(bool indented = true)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteNumber("conversations", Conversations);
            w.WriteNumber("converted", Converted);
            w.WriteNumber("not_converted", NotConverted);
            w.WriteNumber("unknown_outcome", UnknownOutcome);
            w.WriteNumber("verified", Verified);
            w.WriteNumber("annotated_conversations", AnnotatedConversations);
            w.WriteNumber("truncated_conversations", TruncatedConversations);
            if (MeanTruncatedTurns is double m) w.WriteNumber("mean_truncated_turns", m); else w.WriteNull("mean_truncated_turns");
            WriteSummary(w, "turns", Turns);
            WriteSummary(w, "user_turns", UserTurns);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteSummary(Utf8JsonWriter w, string name, CountSummary? s)
    {
        if (s is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteNumber("min", s.Min);
        w.WriteNumber("median", s.Median);
        w.WriteNumber("mean", s.Mean);
        w.WriteNumber("max", s.Max);
        w.WriteEndObject();
    }
}

/// <summary>Accumulates <see cref="CorpusStats"/> one conversation at a time (memory: two ints per conversation).</summary>
/// <remarks>Not thread-safe: one accumulator per reader.</remarks>
internal sealed class CorpusStatsAccumulator
{
    private readonly List<int> _turns = [];
    private readonly List<int> _userTurns = [];
    private int _converted, _notConverted, _unknown, _verified, _annotated, _truncated;
    private long _droppedTurns;

    /// <summary>Adds one conversation.</summary>
    public void Add(Conversation conversation) => Add(ConversationFacts.Of(conversation));

    /// <summary>Adds one conversation's facts (as <see cref="CorpusFile.ReadFacts(string)"/> streams them).</summary>
    public void Add(in ConversationFacts facts)
    {
        switch (facts.Converted)
        {
            case true: _converted++; break;
            case false: _notConverted++; break;
            default: _unknown++; break;
        }
        if (facts.Verified) _verified++;
        if (facts.Annotated) _annotated++;
        if (facts.DroppedTurns > 0)
        {
            _truncated++;
            _droppedTurns += facts.DroppedTurns;
        }
        _turns.Add(facts.Turns);
        _userTurns.Add(facts.UserTurns);
    }

    /// <summary>The statistics of everything added so far.</summary>
    public CorpusStats Result() => new(
        _turns.Count, _converted, _notConverted, _unknown, _verified, _annotated, _truncated,
        _truncated > 0 ? (double)_droppedTurns / _truncated : null,
        CorpusStatistics.Summarise(_turns), CorpusStatistics.Summarise(_userTurns));
}

/// <summary>Corpus statistics and subsets.</summary>
public static class CorpusStatistics
{
    /// <summary>Statistics of the conversations in <paramref name="subset"/>.</summary>
    public static CorpusStats Compute(IEnumerable<Conversation> conversations, CorpusSubset subset = CorpusSubset.All)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        var acc = new CorpusStatsAccumulator();
        foreach (var c in conversations)
            if (Matches(c, subset)) acc.Add(c);
        return acc.Result();
    }

    /// <summary>Whether a conversation belongs to a subset.</summary>
    public static bool Matches(Conversation conversation, CorpusSubset subset)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return Matches(conversation.Outcome.Converted, conversation.Outcome.Verified, subset);
    }

    /// <summary>Whether a conversation, known by its facts, belongs to a subset.</summary>
    internal static bool Matches(in ConversationFacts facts, CorpusSubset subset) => Matches(facts.Converted, facts.Verified, subset);

    private static bool Matches(bool? converted, bool verified, CorpusSubset subset) => subset switch
    {
        CorpusSubset.All => true,
        CorpusSubset.Verified => verified,
        CorpusSubset.Converted => converted == true,
        CorpusSubset.NotConverted => converted == false,
        _ => throw new ArgumentOutOfRangeException(nameof(subset), subset, null),
    };

    /// <summary>Min, median, mean and max; <c>null</c> for no values.</summary>
    public static CountSummary? Summarise(IReadOnlyList<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return null;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + (double)sorted[n / 2]) / 2;
        long sum = 0;
        foreach (var v in sorted) sum += v;
        return new CountSummary(sorted[0], median, (double)sum / n, sorted[^1]);
    }
}
