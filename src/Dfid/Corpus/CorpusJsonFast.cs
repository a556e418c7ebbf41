using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Dfid.Corpus;

/// <summary>The happy path of reading a line: one forward pass with <see cref="Utf8JsonReader"/>, no document for the
/// line (only for non-empty profile/meta maps, whose values are kept as <see cref="JsonElement"/>s).</summary>
/// <remarks>Returns <c>null</c> at the first thing it does not expect (bad JSON, a wrong type, an unknown or repeated
/// field); the caller then re-reads the line with <see cref="CorpusJson"/>'s document walk, which words every problem.
/// So the fast path decides nothing about validity on its own: it only accepts the shape the slow path would accept.
/// Its methods skip tier-0 JIT (<c>AggressiveOptimization</c>): a CLI pass over a file is one-shot, and tier-0 code
/// running the first tens of thousands of lines cost ~13% of a 30,000-line pass.</remarks>
internal static class CorpusJsonFast
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Conversation? TryParse(ReadOnlySpan<byte> line)
    {
        try
        {
            var r = new Utf8JsonReader(line, Options);
            return ReadConversation(ref r);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Conversation? ReadConversation(ref Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
        string? id = null;
        ImmutableArray<Turn> turns = default;
        Outcome? outcome = null;
        ImmutableSortedDictionary<string, JsonElement>? profile = null, meta = null;
        CorpusSource? source = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("id"u8))
            {
                if (id is not null || !r.Read() || r.TokenType != JsonTokenType.String) return null;
                id = r.GetString();
            }
            else if (r.ValueTextEquals("turns"u8))
            {
                if (!turns.IsDefault) return null;
                turns = ReadTurns(ref r);
                if (turns.IsDefault) return null;
            }
            else if (r.ValueTextEquals("outcome"u8))
            {
                if (outcome is not null) return null;
                outcome = ReadOutcome(ref r);
                if (outcome is null) return null;
            }
            else if (r.ValueTextEquals("profile"u8))
            {
                if (profile is not null) return null;
                profile = ReadMap(ref r, profileValues: true);
                if (profile is null) return null;
            }
            else if (r.ValueTextEquals("source"u8))
            {
                if (source is not null) return null;
                source = ReadSource(ref r);
                if (source is null) return null;
            }
            else if (r.ValueTextEquals("meta"u8))
            {
                if (meta is not null) return null;
                meta = ReadMap(ref r, profileValues: false);
                if (meta is null) return null;
            }
            else return null;
        }
        if (r.TokenType != JsonTokenType.EndObject || r.Read()) return null; // trailing tokens: let the slow path word it
        if (id is null || turns.IsDefault || outcome is null || profile is null || source is null || meta is null) return null;
        return new Conversation(id, turns, outcome, profile, source, meta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ImmutableArray<Turn> ReadTurns(ref Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartArray) return default;
        var builder = ImmutableArray.CreateBuilder<Turn>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject) return default;
            Role? role = null;
            string? text = null, time = null;
            ImmutableSortedDictionary<string, string>? annotations = null;
            bool seenTime = false, seenAnnotations = false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("role"u8))
                {
                    if (role is not null || !r.Read() || r.TokenType != JsonTokenType.String) return default;
                    if (r.ValueTextEquals("agent"u8)) role = Role.Agent;
                    else if (r.ValueTextEquals("user"u8)) role = Role.User;
                    else if (r.ValueTextEquals("system"u8)) role = Role.System;
                    else return default;
                }
                else if (r.ValueTextEquals("text"u8))
                {
                    if (text is not null || !r.Read() || r.TokenType != JsonTokenType.String) return default;
                    text = r.GetString();
                }
                else if (r.ValueTextEquals("time"u8))
                {
                    if (seenTime || !r.Read()) return default;
                    seenTime = true;
                    if (r.TokenType == JsonTokenType.String) time = r.GetString();
                    else if (r.TokenType != JsonTokenType.Null) return default;
                }
                else if (r.ValueTextEquals("annotations"u8))
                {
                    if (seenAnnotations || !r.Read()) return default;
                    seenAnnotations = true;
                    if (r.TokenType == JsonTokenType.Null) continue;
                    if (r.TokenType != JsonTokenType.StartObject) return default;
                    var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = r.GetString()!;
                        if (!r.Read() || r.TokenType != JsonTokenType.String || !b.TryAdd(key, r.GetString()!)) return default;
                    }
                    if (b.Count > 0) annotations = b.ToImmutable();
                }
                else return default;
            }
            if (r.TokenType != JsonTokenType.EndObject || role is null || text is null) return default;
            builder.Add(new Turn(role.Value, text, time, annotations));
        }
        return builder.ToImmutable();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Outcome? ReadOutcome(ref Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
        bool? converted = null;
        double? value = null;
        bool? verified = null;
        int? decidedAt = null;
        string? decidedTime = null;
        bool seenConverted = false, seenValue = false, seenAt = false, seenTime = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("converted"u8))
            {
                if (seenConverted || !r.Read()) return null;
                seenConverted = true;
                converted = r.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    JsonTokenType.Null => null,
                    _ => throw new InvalidOperationException(),
                };
            }
            else if (r.ValueTextEquals("value"u8))
            {
                if (seenValue || !r.Read()) return null;
                seenValue = true;
                if (r.TokenType == JsonTokenType.Number && r.TryGetDouble(out var v)) value = v;
                else if (r.TokenType != JsonTokenType.Null) return null;
            }
            else if (r.ValueTextEquals("verified"u8))
            {
                if (verified is not null || !r.Read() || r.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return null;
                verified = r.GetBoolean();
            }
            else if (r.ValueTextEquals("decided_at_turn"u8))
            {
                if (seenAt || !r.Read()) return null;
                seenAt = true;
                if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var at)) decidedAt = at;
                else if (r.TokenType != JsonTokenType.Null) return null;
            }
            else if (r.ValueTextEquals("decided_at_time"u8))
            {
                if (seenTime || !r.Read()) return null;
                seenTime = true;
                if (r.TokenType == JsonTokenType.String) decidedTime = r.GetString();
                else if (r.TokenType != JsonTokenType.Null) return null;
            }
            else return null;
        }
        if (r.TokenType != JsonTokenType.EndObject || !seenConverted || verified is null) return null;
        return new Outcome(converted, value, verified.Value, decidedAt, decidedTime);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static CorpusSource? ReadSource(ref Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
        string? dataset = null, licence = null;
        var seenLicence = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("dataset"u8))
            {
                if (dataset is not null || !r.Read() || r.TokenType != JsonTokenType.String) return null;
                dataset = r.GetString();
            }
            else if (r.ValueTextEquals("licence"u8))
            {
                if (seenLicence || !r.Read()) return null;
                seenLicence = true;
                if (r.TokenType == JsonTokenType.String) licence = r.GetString();
                else if (r.TokenType != JsonTokenType.Null) return null;
            }
            else return null;
        }
        return r.TokenType == JsonTokenType.EndObject && dataset is not null ? new CorpusSource(dataset, licence) : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ImmutableSortedDictionary<string, JsonElement>? ReadMap(ref Utf8JsonReader r, bool profileValues)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
        var peek = r;
        if (peek.Read() && peek.TokenType == JsonTokenType.EndObject)
        {
            r = peek;
            return CorpusMeta.EmptyMap;
        }
        // One document per non-empty map: its elements outlive the line's buffer.
        var map = JsonElement.ParseValue(ref r);
        var builder = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in map.EnumerateObject())
        {
            if (profileValues && p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)) return null;
            if (!builder.TryAdd(p.Name, p.Value)) return null;
        }
        return builder.ToImmutable();
    }
}
