using System.Text.Json;
using Dfid.Corpus;

namespace Dfid.Tests.Corpus;

/// <summary>Structural equality of conversations (records hold immutable collections, which compare by reference).</summary>
internal static class ConversationEquality
{
    public static bool AreEqual(Conversation a, Conversation b) => Describe(a, b) == "";

    /// <summary>Empty when equal, otherwise the first difference.</summary>
    public static string Describe(Conversation a, Conversation b)
    {
        if (a.Id != b.Id) return $"id {a.Id} vs {b.Id}";
        if (a.Turns.Length != b.Turns.Length) return $"{a.Id}: {a.Turns.Length} vs {b.Turns.Length} turns";
        for (var i = 0; i < a.Turns.Length; i++)
        {
            var (x, y) = (a.Turns[i], b.Turns[i]);
            if (x.Role != y.Role || x.Text != y.Text || x.Time != y.Time) return $"{a.Id} turn {i}: {x} vs {y}";
            var xa = (IEnumerable<KeyValuePair<string, string>>?)x.Annotations ?? [];
            var ya = (IEnumerable<KeyValuePair<string, string>>?)y.Annotations ?? [];
            if (!xa.SequenceEqual(ya)) return $"{a.Id} turn {i}: annotations differ";
        }
        if (a.Outcome != b.Outcome) return $"{a.Id}: outcome {a.Outcome} vs {b.Outcome}";
        if (a.Source != b.Source) return $"{a.Id}: source {a.Source} vs {b.Source}";
        var p = MapDiff(a.Profile, b.Profile);
        if (p != "") return $"{a.Id}: profile {p}";
        var m = MapDiff(a.Meta, b.Meta);
        return m != "" ? $"{a.Id}: meta {m}" : "";
    }

    private static string MapDiff(IReadOnlyDictionary<string, JsonElement> a, IReadOnlyDictionary<string, JsonElement> b)
    {
        if (!a.Keys.SequenceEqual(b.Keys)) return $"keys [{string.Join(",", a.Keys)}] vs [{string.Join(",", b.Keys)}]";
        foreach (var (k, v) in a)
            if (!JsonElement.DeepEquals(v, b[k])) return $"{k}: {v.GetRawText()} vs {b[k].GetRawText()}";
        return "";
    }
}
