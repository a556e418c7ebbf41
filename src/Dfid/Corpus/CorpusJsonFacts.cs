using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Dfid.Corpus;

/// <summary>Reads a line's <see cref="ConversationFacts"/> in one <see cref="Utf8JsonReader"/> pass, checking it the
/// way <see cref="CorpusJsonFast"/> + <see cref="CorpusRules.Check"/> do, without building the <see cref="Conversation"/>.</summary>
/// <remarks>
/// Why a second single-pass reader next to <see cref="CorpusJsonFast"/>: <c>validate</c> and <c>stats</c> need only the
/// facts, and building the record (strings for every text, one JSON document per profile/meta map, immutable sorted
/// maps) was most of their cost; every other reader of a corpus needs the record, so that reader stays.
/// Like <see cref="CorpusJsonFast"/> it decides nothing about invalid lines: it returns <c>false</c> at anything that
/// is not plainly valid (bad JSON, a wrong type, an unknown, repeated or escaped key, a rule the line breaks, ...),
/// and the caller then reads the line with <see cref="CorpusJson.Parse"/>, which words the problems (or accepts the
/// line). So it may only accept lines that reader accepts, with the same facts; tests compare the two on every fault
/// kind and on randomly damaged lines.
/// </remarks>
internal static class CorpusJsonFacts
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>Keys of one map seen so far: hash and position in the line, to find repeated keys without strings.
    /// Its array (hash, start, length per key) comes from the shared pool and goes back in <see cref="Dispose"/>.</summary>
    private struct KeySet : IDisposable
    {
        private int[] _entries;
        private int _count;

        public KeySet() => _entries = ArrayPool<int>.Shared.Rent(3 * 64);

        public void Clear() => _count = 0;

        /// <summary>Adds the key the reader is on; <c>false</c> when the map already has it or it is escaped.</summary>
        public bool TryAdd(ReadOnlySpan<byte> line, ref Utf8JsonReader r)
        {
            if (r.ValueIsEscaped) return false; // the unescaped form could equal another key: leave it to the full reader
            var key = r.ValueSpan;
            var hash = Hash(key);
            var entries = _entries;
            for (var i = 0; i < 3 * _count; i += 3)
                if (entries[i] == hash && line.Slice(entries[i + 1], entries[i + 2]).SequenceEqual(key)) return false;
            if (3 * _count + 3 > entries.Length)
            {
                var bigger = ArrayPool<int>.Shared.Rent(entries.Length * 2);
                entries.AsSpan(0, 3 * _count).CopyTo(bigger);
                ArrayPool<int>.Shared.Return(entries);
                _entries = entries = bigger;
            }
            entries[3 * _count] = hash;
            entries[3 * _count + 1] = checked((int)r.TokenStartIndex + 1); // past the opening quote
            entries[3 * _count + 2] = key.Length;
            _count++;
            return true;
        }

        public void Dispose() => ArrayPool<int>.Shared.Return(_entries);

        /// <summary>A cheap hash of a key's length and first and last 8 bytes (keys are short; a collision only costs a
        /// comparison). <see cref="HashCode.AddBytes"/> was 3% of a validate pass.</summary>
        private static int Hash(ReadOnlySpan<byte> key)
        {
            ulong h;
            if (key.Length >= 8)
                h = MemoryMarshal.Read<ulong>(key) ^ BitOperations.RotateLeft(MemoryMarshal.Read<ulong>(key[^8..]), 29);
            else
            {
                h = 0;
                foreach (var b in key) h = (h << 8) | b;
            }
            h ^= (ulong)key.Length * 0x9E3779B97F4A7C15;
            return (int)(h ^ (h >> 32));
        }
    }

    /// <summary>Reads the facts of a line that is valid UTF-8; <c>false</c> when the line is not plainly valid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryRead(ReadOnlySpan<byte> line, out ConversationFacts facts)
    {
        facts = default;
        var scratch = ArrayPool<char>.Shared.Rent(256);
        var keys = new KeySet();
        try
        {
            var r = new Utf8JsonReader(line, Options);
            return ReadConversation(line, ref r, ref keys, ref scratch, out facts);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            keys.Dispose();
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadConversation(ReadOnlySpan<byte> line, ref Utf8JsonReader r, ref KeySet keys, ref char[] scratch, out ConversationFacts facts)
    {
        facts = default;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        string? id = null;
        bool seenTurns = false, seenOutcome = false, seenProfile = false, seenSource = false, seenMeta = false;
        int turns = 0, users = 0;
        var turnAnnotations = false;
        bool? converted = null;
        var verified = false;
        int? decidedAt = null;
        bool? annotatedFlag = null;
        var dropped = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("id"u8))
            {
                if (id is not null || !r.Read() || r.TokenType != JsonTokenType.String) return false;
                id = r.GetString()!;
                if (string.IsNullOrWhiteSpace(id)) return false;
            }
            else if (r.ValueTextEquals("turns"u8))
            {
                if (seenTurns) return false;
                seenTurns = true;
                if (!ReadTurns(line, ref r, ref keys, ref scratch, out turns, out users, out turnAnnotations)) return false;
            }
            else if (r.ValueTextEquals("outcome"u8))
            {
                if (seenOutcome) return false;
                seenOutcome = true;
                if (!ReadOutcome(ref r, ref scratch, out converted, out verified, out decidedAt)) return false;
            }
            else if (r.ValueTextEquals("profile"u8))
            {
                if (seenProfile) return false;
                seenProfile = true;
                if (!ReadProfile(line, ref r, ref keys, ref scratch)) return false;
            }
            else if (r.ValueTextEquals("source"u8))
            {
                if (seenSource) return false;
                seenSource = true;
                if (!ReadSource(ref r, ref scratch)) return false;
            }
            else if (r.ValueTextEquals("meta"u8))
            {
                if (seenMeta) return false;
                seenMeta = true;
                if (!ReadMeta(line, ref r, ref keys, ref scratch, out annotatedFlag, out dropped)) return false;
            }
            else return false;
        }
        if (r.TokenType != JsonTokenType.EndObject || r.Read()) return false; // trailing tokens
        if (id is null || !seenTurns || !seenOutcome || !seenProfile || !seenSource || !seenMeta) return false;
        // CorpusRules: at least one turn, a user turn, and a decision marker (if any) exactly at the end of the turns.
        if (turns == 0 || users == 0 || (decidedAt is int at && at != turns)) return false;
        facts = new ConversationFacts(id, converted, verified, annotatedFlag ?? turnAnnotations, dropped, turns, users);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadTurns(ReadOnlySpan<byte> line, ref Utf8JsonReader r, ref KeySet keys, ref char[] scratch,
        out int turns, out int users, out bool annotated)
    {
        turns = users = 0;
        annotated = false;
        if (!r.Read() || r.TokenType != JsonTokenType.StartArray) return false;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject) return false;
            bool seenRole = false, seenText = false, seenTime = false, seenAnnotations = false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("role"u8))
                {
                    if (seenRole || !r.Read() || r.TokenType != JsonTokenType.String) return false;
                    seenRole = true;
                    if (r.ValueTextEquals("user"u8)) users++;
                    else if (!r.ValueTextEquals("agent"u8) && !r.ValueTextEquals("system"u8)) return false;
                }
                else if (r.ValueTextEquals("text"u8))
                {
                    if (!ReadNonBlankString(ref r, ref scratch, ref seenText)) return false;
                }
                else if (r.ValueTextEquals("time"u8))
                {
                    if (!ReadOptionalString(ref r, ref scratch, ref seenTime)) return false;
                }
                else if (r.ValueTextEquals("annotations"u8))
                {
                    if (seenAnnotations || !r.Read()) return false;
                    seenAnnotations = true;
                    if (r.TokenType == JsonTokenType.Null) continue;
                    if (r.TokenType != JsonTokenType.StartObject) return false;
                    keys.Clear();
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        // An annotation set name must be non-empty (CorpusRules); labels are strings.
                        if (r.ValueSpan.Length == 0 || !keys.TryAdd(line, ref r)) return false;
                        if (!r.Read() || r.TokenType != JsonTokenType.String) return false;
                        CheckEscapes(ref r, ref scratch);
                        annotated = true;
                    }
                }
                else return false;
            }
            if (r.TokenType != JsonTokenType.EndObject || !seenRole || !seenText) return false;
            turns++;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadOutcome(ref Utf8JsonReader r, ref char[] scratch, out bool? converted, out bool verified, out int? decidedAt)
    {
        converted = null;
        verified = false;
        decidedAt = null;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        bool seenConverted = false, seenValue = false, seenVerified = false, seenAt = false, seenTime = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("converted"u8))
            {
                if (seenConverted || !r.Read()) return false;
                seenConverted = true;
                switch (r.TokenType)
                {
                    case JsonTokenType.True: converted = true; break;
                    case JsonTokenType.False: converted = false; break;
                    case JsonTokenType.Null: converted = null; break;
                    default: return false;
                }
            }
            else if (r.ValueTextEquals("value"u8))
            {
                if (seenValue || !r.Read()) return false;
                seenValue = true;
                if (r.TokenType == JsonTokenType.Number)
                {
                    if (!r.TryGetDouble(out var v) || !double.IsFinite(v)) return false;
                }
                else if (r.TokenType != JsonTokenType.Null) return false;
            }
            else if (r.ValueTextEquals("verified"u8))
            {
                if (seenVerified || !r.Read() || r.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return false;
                seenVerified = true;
                verified = r.TokenType == JsonTokenType.True;
            }
            else if (r.ValueTextEquals("decided_at_turn"u8))
            {
                if (seenAt || !r.Read()) return false;
                seenAt = true;
                if (r.TokenType == JsonTokenType.Number)
                {
                    if (!r.TryGetInt32(out var at)) return false;
                    decidedAt = at;
                }
                else if (r.TokenType != JsonTokenType.Null) return false;
            }
            else if (r.ValueTextEquals("decided_at_time"u8))
            {
                if (!ReadOptionalString(ref r, ref scratch, ref seenTime)) return false;
            }
            else return false;
        }
        return r.TokenType == JsonTokenType.EndObject && seenConverted && seenVerified;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadSource(ref Utf8JsonReader r, ref char[] scratch)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        bool seenDataset = false, seenLicence = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("dataset"u8))
            {
                if (!ReadNonBlankString(ref r, ref scratch, ref seenDataset)) return false;
            }
            else if (r.ValueTextEquals("licence"u8))
            {
                if (!ReadOptionalString(ref r, ref scratch, ref seenLicence)) return false;
            }
            else return false;
        }
        return r.TokenType == JsonTokenType.EndObject && seenDataset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadProfile(ReadOnlySpan<byte> line, ref Utf8JsonReader r, ref KeySet keys, ref char[] scratch)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        keys.Clear();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!keys.TryAdd(line, ref r) || !r.Read()) return false;
            if (r.TokenType == JsonTokenType.String) CheckEscapes(ref r, ref scratch);
            else if (r.TokenType != JsonTokenType.Number) return false; // profile values are strings or numbers
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadMeta(ReadOnlySpan<byte> line, ref Utf8JsonReader r, ref KeySet keys, ref char[] scratch,
        out bool? annotated, out int dropped)
    {
        annotated = null;
        dropped = 0;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        keys.Clear();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!keys.TryAdd(line, ref r)) return false;
            var isAnnotated = r.ValueTextEquals(CorpusMeta.AnnotatedKey);
            var isDropped = !isAnnotated && r.ValueTextEquals(CorpusMeta.DroppedTurnsKey);
            if (!r.Read()) return false;
            switch (r.TokenType)
            {
                case JsonTokenType.True or JsonTokenType.False:
                    if (isAnnotated) annotated = r.TokenType == JsonTokenType.True;
                    break;
                case JsonTokenType.Number:
                    if (isDropped && r.TryGetInt32(out var n)) dropped = n;
                    break;
                case JsonTokenType.String:
                    CheckEscapes(ref r, ref scratch);
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    // Nested values are kept as they are (the record holds them as JSON); only their strings are checked.
                    if (!SkipValue(ref r, ref scratch)) return false;
                    break;
                case JsonTokenType.Null:
                    break;
                default:
                    return false;
            }
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>Skips an object or array, checking that its strings unescape (as building its JSON element would).</summary>
    private static bool SkipValue(ref Utf8JsonReader r, ref char[] scratch)
    {
        var depth = r.CurrentDepth;
        while (r.Read())
        {
            if (r.TokenType is JsonTokenType.String or JsonTokenType.PropertyName) CheckEscapes(ref r, ref scratch);
            if (r.CurrentDepth == depth && r.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) return true;
        }
        return false;
    }

    /// <summary>The value of a key seen for the first time: a string that is not blank. <c>false</c> for a repeated key,
    /// another type or a blank string.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadNonBlankString(ref Utf8JsonReader r, ref char[] scratch, ref bool seen)
    {
        if (seen || !r.Read() || r.TokenType != JsonTokenType.String) return false;
        seen = true;
        return !IsBlank(ref r, ref scratch);
    }

    /// <summary>The value of a key seen for the first time: a string (its escapes checked) or null. <c>false</c> for a
    /// repeated key or another type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadOptionalString(ref Utf8JsonReader r, ref char[] scratch, ref bool seen)
    {
        if (seen || !r.Read()) return false;
        seen = true;
        if (r.TokenType == JsonTokenType.String) CheckEscapes(ref r, ref scratch);
        return r.TokenType is JsonTokenType.String or JsonTokenType.Null;
    }

    /// <summary>Unescapes an escaped string the reader is on, throwing <see cref="InvalidOperationException"/> where
    /// <see cref="Utf8JsonReader.GetString"/> would (an escaped lone surrogate), so such lines go to the full reader.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckEscapes(ref Utf8JsonReader r, ref char[] scratch)
    {
        if (r.ValueIsEscaped) Unescape(ref r, ref scratch);
    }

    private static ReadOnlySpan<char> Unescape(ref Utf8JsonReader r, ref char[] scratch)
    {
        var length = r.HasValueSequence ? checked((int)r.ValueSequence.Length) : r.ValueSpan.Length;
        if (scratch.Length < length)
        {
            ArrayPool<char>.Shared.Return(scratch);
            scratch = ArrayPool<char>.Shared.Rent(length);
        }
        return scratch.AsSpan(0, r.CopyString(scratch));
    }

    /// <summary>Whether the string the reader is on is empty or white space (<see cref="string.IsNullOrWhiteSpace"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsBlank(ref Utf8JsonReader r, ref char[] scratch)
    {
        if (r.ValueIsEscaped) return Unescape(ref r, ref scratch).IsWhiteSpace();
        var s = r.ValueSpan;
        while (s.Length > 0)
        {
            if (s[0] < 0x80)
            {
                if (!char.IsWhiteSpace((char)s[0])) return false;
                s = s[1..];
                continue;
            }
            if (Rune.DecodeFromUtf8(s, out var rune, out var consumed) != OperationStatus.Done) return false;
            if (!Rune.IsWhiteSpace(rune)) return false;
            s = s[consumed..];
        }
        return true;
    }
}
