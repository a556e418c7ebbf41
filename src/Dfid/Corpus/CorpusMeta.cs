using System.Collections.Immutable;
using System.Text.Json;

namespace Dfid.Corpus;

/// <summary>The <c>meta</c> keys the importers write and the statistics read.</summary>
internal static class CorpusMeta
{
    /// <summary><c>meta.dropped_turns</c>: turns cut after the decision event (number).</summary>
    public const string DroppedTurnsKey = "dropped_turns";

    /// <summary><c>meta.annotated</c>: whether the conversation carries human labels (boolean).</summary>
    public const string AnnotatedKey = "annotated";

    /// <summary>Turns dropped after the decision event (0 when <c>meta.dropped_turns</c> is absent or not a whole number).</summary>
    public static int DroppedTurns(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return conversation.Meta.TryGetValue(DroppedTurnsKey, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;
    }

    /// <summary>Whether the conversation is human-annotated: <c>meta.annotated</c> when present, otherwise whether any turn has annotations.</summary>
    public static bool IsAnnotated(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        if (conversation.Meta.TryGetValue(AnnotatedKey, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return v.GetBoolean();
        foreach (var t in conversation.Turns)
            if (t.Annotations is { Count: > 0 }) return true;
        return false;
    }

    /// <summary>A JSON number for a meta or profile map.</summary>
    public static JsonElement Number(double value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A JSON whole number for a meta or profile map.</summary>
    public static JsonElement Number(long value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A JSON string for a meta or profile map.</summary>
    public static JsonElement Text(string value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A JSON boolean for a meta map.</summary>
    public static JsonElement Flag(bool value) => JsonSerializer.SerializeToElement(value);

    /// <summary>An empty map with the ordinal key order every corpus map uses.</summary>
    public static ImmutableSortedDictionary<string, JsonElement> EmptyMap { get; } =
        ImmutableSortedDictionary<string, JsonElement>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Cuts a conversation at <c>outcome.decided_at_turn</c> when turns follow it, recording the dropped count
    /// in <c>meta.dropped_turns</c>; returns it unchanged otherwise.</summary>
    public static Conversation CutAtDecision(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        if (conversation.Outcome.DecidedAtTurn is not int at || at < 0 || at >= conversation.Turns.Length) return conversation;
        var dropped = conversation.Turns.Length - at;
        return conversation with
        {
            Turns = conversation.Turns[..at],
            Meta = conversation.Meta.SetItem(DroppedTurnsKey, Number(DroppedTurns(conversation) + dropped)),
        };
    }
}
