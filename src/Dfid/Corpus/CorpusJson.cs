using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Dfid.Corpus;

/// <summary>Reads and writes one <c>dfid.corpus/1</c> line.</summary>
/// <remarks>
/// JsonDocument over the caller's bytes (no copy), then a walk that collects every problem of the line rather than
/// stopping at the first; profile and meta are cloned once per map so their elements outlive the line buffer.
/// </remarks>
internal static class CorpusJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Writer options: readable non-ASCII text (Japanese stays Japanese), one line per conversation.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    private static readonly string[] TopLevel = ["id", "turns", "outcome", "profile", "source", "meta"];
    private static readonly string[] TurnFields = ["role", "text", "time", "annotations"];
    private static readonly string[] OutcomeFields = ["converted", "value", "verified", "decided_at_turn", "decided_at_time"];
    private static readonly string[] SourceFields = ["dataset", "licence"];
    private static readonly byte[][] TopLevelUtf8 = Utf8Names(TopLevel);
    private static readonly byte[][] TurnFieldsUtf8 = Utf8Names(TurnFields);
    private static readonly byte[][] OutcomeFieldsUtf8 = Utf8Names(OutcomeFields);
    private static readonly byte[][] SourceFieldsUtf8 = Utf8Names(SourceFields);

    private static byte[][] Utf8Names(string[] names) => names.Select(Encoding.UTF8.GetBytes).ToArray();

    /// <summary>The property's name as one of the known (interned) names, without allocating; unknown names are allocated.</summary>
    private static string Known(JsonProperty p, string[] names, byte[][] utf8)
    {
        for (var i = 0; i < utf8.Length; i++)
            if (p.NameEquals(utf8[i])) return names[i];
        return p.Name;
    }

    /// <summary>How strictly a line is read.</summary>
    /// <param name="Lenient">Importer mode: missing <c>profile</c>/<c>meta</c>/<c>source</c>/<c>verified</c> get defaults and
    /// unknown top-level fields move into <c>meta</c>; turns after <c>decided_at_turn</c> are left for the importer to cut.</param>
    /// <param name="DefaultDataset">Dataset name used when <c>source</c> is missing (lenient mode).</param>
    public readonly record struct ParseMode(bool Lenient, string? DefaultDataset);

    public static Conversation? Parse(ReadOnlyMemory<byte> line, ParseMode mode, List<string> problems)
    {
        var span = line.Span;
        if (!Utf8.IsValid(span))
        {
            problems.Add($"invalid UTF-8 at byte {FirstInvalidUtf8(span) + 1} of the line (save the file as UTF-8)");
            return null;
        }
        if (!mode.Lenient && CorpusJsonFast.TryParse(span) is { } fast)
        {
            var reasons = CorpusRules.Check(fast);
            if (reasons.Count == 0) return fast;
            problems.AddRange(reasons);
            return null;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line, DocumentOptions);
        }
        catch (JsonException ex)
        {
            problems.Add("bad JSON: " + CleanJsonMessage(ex));
            return null;
        }
        using (doc)
        {
            var before = problems.Count;
            Conversation? conversation;
            try
            {
                conversation = FromElement(doc.RootElement, mode, problems);
            }
            catch (InvalidOperationException ex)
            {
                // An escaped lone surrogate ("\ud800") parses as JSON and only fails when the string is read.
                problems.Add($"bad JSON: {ex.Message.TrimEnd('.')} (an escaped UTF-16 surrogate without its pair)");
                return null;
            }
            if (conversation is null || problems.Count > before) return null;
            if (mode.Lenient) return conversation; // the importer normalises (cuts at the decision) and then checks
            foreach (var reason in CorpusRules.Check(conversation)) problems.Add(reason);
            return problems.Count > before ? null : conversation;
        }
    }

    /// <summary>Builds a conversation from a parsed JSON object, adding every shape problem found.</summary>
    public static Conversation? FromElement(JsonElement root, ParseMode mode, List<string> problems)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"bad JSON: a line must be one JSON object, not {Kind(root)}");
            return null;
        }
        string? id = null;
        ImmutableArray<Turn> turns = default;
        Outcome? outcome = null;
        ImmutableSortedDictionary<string, JsonElement>? profile = null, meta = null;
        CorpusSource? source = null;
        List<JsonProperty>? extra = null;
        bool seenId = false, seenTurns = false, seenOutcome = false, seenProfile = false, seenSource = false, seenMeta = false;

        foreach (var p in root.EnumerateObject())
        {
            switch (Known(p, TopLevel, TopLevelUtf8))
            {
                case "id":
                    seenId = true;
                    if (p.Value.ValueKind == JsonValueKind.String) id = p.Value.GetString();
                    else if (mode.Lenient && p.Value.ValueKind == JsonValueKind.Number) id = p.Value.GetRawText();
                    else problems.Add($"\"id\" must be a string, not {Kind(p.Value)}");
                    break;
                case "turns":
                    seenTurns = true;
                    turns = ReadTurns(p.Value, problems);
                    break;
                case "outcome":
                    seenOutcome = true;
                    outcome = ReadOutcome(p.Value, mode, problems);
                    break;
                case "profile":
                    seenProfile = true;
                    profile = ReadMap(p.Value, "profile", problems, profileValues: true);
                    break;
                case "source":
                    seenSource = true;
                    source = ReadSource(p.Value, problems);
                    break;
                case "meta":
                    seenMeta = true;
                    meta = ReadMap(p.Value, "meta", problems, profileValues: false);
                    break;
                default:
                    if (mode.Lenient) (extra ??= []).Add(p);
                    else problems.Add($"unknown field \"{p.Name}\" (allowed: {string.Join(", ", TopLevel)}; keep extra data in \"meta\")");
                    break;
            }
        }
        if (!seenId) problems.Add("missing field \"id\"");
        if (!seenTurns) problems.Add("missing field \"turns\"");
        if (!seenOutcome) problems.Add("missing field \"outcome\" (use {\"converted\": null, \"verified\": false} when unknown)");
        if (!seenProfile)
        {
            if (mode.Lenient) profile = ImmutableSortedDictionary<string, JsonElement>.Empty.WithComparers(StringComparer.Ordinal);
            else problems.Add("missing field \"profile\" (use {} when nothing is known about the user)");
        }
        if (!seenSource)
        {
            if (mode.Lenient && mode.DefaultDataset is { } ds) source = new CorpusSource(ds);
            else problems.Add("missing field \"source\" (e.g. {\"dataset\": \"my-shop\", \"licence\": \"proprietary\"})");
        }
        if (!seenMeta)
        {
            if (mode.Lenient) meta = ImmutableSortedDictionary<string, JsonElement>.Empty.WithComparers(StringComparer.Ordinal);
            else problems.Add("missing field \"meta\" (use {} when there is nothing to keep)");
        }
        if (extra is not null && meta is not null)
        {
            var builder = meta.ToBuilder();
            foreach (var p in extra) builder[p.Name] = p.Value.Clone();
            meta = builder.ToImmutable();
        }
        if (id is null || turns.IsDefault || outcome is null || profile is null || source is null || meta is null) return null;
        return new Conversation(id, turns, outcome, profile, source, meta);
    }

    private static ImmutableArray<Turn> ReadTurns(JsonElement value, List<string> problems)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"\"turns\" must be an array, not {Kind(value)}");
            return default;
        }
        var builder = ImmutableArray.CreateBuilder<Turn>(value.GetArrayLength());
        var i = 0;
        var ok = true;
        foreach (var t in value.EnumerateArray())
        {
            var turn = ReadTurn(t, i, problems);
            if (turn is null) ok = false;
            else builder.Add(turn);
            i++;
        }
        return ok ? builder.MoveToImmutable() : default;
    }

    private static Turn? ReadTurn(JsonElement t, int index, List<string> problems)
    {
        if (t.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"turn {index} must be an object, not {Kind(t)}");
            return null;
        }
        Role? role = null;
        string? text = null, time = null;
        ImmutableSortedDictionary<string, string>? annotations = null;
        bool seenRole = false, seenText = false, ok = true;
        foreach (var p in t.EnumerateObject())
        {
            switch (Known(p, TurnFields, TurnFieldsUtf8))
            {
                case "role":
                    seenRole = true;
                    if (p.Value.ValueKind == JsonValueKind.String && TryRole(p.Value, out var r)) role = r;
                    else
                    {
                        problems.Add($"turn {index}: unknown role {p.Value.GetRawText()} (use \"agent\", \"user\" or \"system\")");
                        ok = false;
                    }
                    break;
                case "text":
                    seenText = true;
                    if (p.Value.ValueKind == JsonValueKind.String) text = p.Value.GetString();
                    else
                    {
                        problems.Add($"turn {index}: \"text\" must be a string, not {Kind(p.Value)}");
                        ok = false;
                    }
                    break;
                case "time":
                    if (p.Value.ValueKind == JsonValueKind.String) time = p.Value.GetString();
                    else if (p.Value.ValueKind != JsonValueKind.Null)
                    {
                        problems.Add($"turn {index}: \"time\" must be a string (ISO 8601) or null, not {Kind(p.Value)}");
                        ok = false;
                    }
                    break;
                case "annotations":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.Object)
                    {
                        problems.Add($"turn {index}: \"annotations\" must be an object of label set → label, not {Kind(p.Value)}");
                        ok = false;
                        break;
                    }
                    var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                    foreach (var a in p.Value.EnumerateObject())
                    {
                        if (a.Value.ValueKind != JsonValueKind.String)
                        {
                            problems.Add($"turn {index}: annotation \"{a.Name}\" must be a string label, not {Kind(a.Value)}");
                            ok = false;
                        }
                        else if (!b.TryAdd(a.Name, a.Value.GetString()!))
                        {
                            problems.Add($"turn {index}: annotation \"{a.Name}\" appears twice");
                            ok = false;
                        }
                    }
                    if (b.Count > 0) annotations = b.ToImmutable();
                    break;
                default:
                    problems.Add($"turn {index}: unknown field \"{p.Name}\" (allowed: {string.Join(", ", TurnFields)})");
                    ok = false;
                    break;
            }
        }
        if (!seenRole) { problems.Add($"turn {index}: missing field \"role\""); ok = false; }
        if (!seenText) { problems.Add($"turn {index}: missing field \"text\""); ok = false; }
        return ok && role is { } rr && text is not null ? new Turn(rr, text, time, annotations) : null;
    }

    private static bool TryRole(JsonElement value, out Role role)
    {
        if (value.ValueEquals("agent"u8)) role = Role.Agent;
        else if (value.ValueEquals("user"u8)) role = Role.User;
        else if (value.ValueEquals("system"u8)) role = Role.System;
        else
        {
            role = default;
            return false;
        }
        return true;
    }

    private static Outcome? ReadOutcome(JsonElement o, ParseMode mode, List<string> problems)
    {
        if (o.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"\"outcome\" must be an object, not {Kind(o)}");
            return null;
        }
        bool? converted = null;
        double? value = null;
        bool verified = false;
        int? decidedAt = null;
        string? decidedTime = null;
        bool seenConverted = false, seenVerified = false, ok = true;
        foreach (var p in o.EnumerateObject())
        {
            switch (Known(p, OutcomeFields, OutcomeFieldsUtf8))
            {
                case "converted":
                    seenConverted = true;
                    switch (p.Value.ValueKind)
                    {
                        case JsonValueKind.True: converted = true; break;
                        case JsonValueKind.False: converted = false; break;
                        case JsonValueKind.Null: converted = null; break;
                        default:
                            problems.Add($"outcome.converted must be true, false or null, not {p.Value.GetRawText()}");
                            ok = false;
                            break;
                    }
                    break;
                case "value":
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out var v)) value = v;
                    else if (p.Value.ValueKind != JsonValueKind.Null)
                    {
                        problems.Add($"outcome.value must be a number or null, not {p.Value.GetRawText()}");
                        ok = false;
                    }
                    break;
                case "verified":
                    seenVerified = true;
                    if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) verified = p.Value.GetBoolean();
                    else
                    {
                        problems.Add($"outcome.verified must be true or false, not {p.Value.GetRawText()}");
                        ok = false;
                    }
                    break;
                case "decided_at_turn":
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var at)) decidedAt = at;
                    else if (p.Value.ValueKind != JsonValueKind.Null)
                    {
                        problems.Add($"outcome.decided_at_turn must be a whole number or null, not {p.Value.GetRawText()}");
                        ok = false;
                    }
                    break;
                case "decided_at_time":
                    if (p.Value.ValueKind == JsonValueKind.String) decidedTime = p.Value.GetString();
                    else if (p.Value.ValueKind != JsonValueKind.Null)
                    {
                        problems.Add($"outcome.decided_at_time must be a string or null, not {Kind(p.Value)}");
                        ok = false;
                    }
                    break;
                default:
                    problems.Add($"outcome: unknown field \"{p.Name}\" (allowed: {string.Join(", ", OutcomeFields)})");
                    ok = false;
                    break;
            }
        }
        if (!seenConverted) { problems.Add("missing field \"outcome.converted\" (true, false or null)"); ok = false; }
        if (!seenVerified && !mode.Lenient) { problems.Add("missing field \"outcome.verified\" (true when the outcome comes from a record)"); ok = false; }
        return ok ? new Outcome(converted, value, verified, decidedAt, decidedTime) : null;
    }

    private static CorpusSource? ReadSource(JsonElement s, List<string> problems)
    {
        if (s.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"\"source\" must be an object, not {Kind(s)}");
            return null;
        }
        string? dataset = null, licence = null;
        var ok = true;
        foreach (var p in s.EnumerateObject())
        {
            switch (Known(p, SourceFields, SourceFieldsUtf8))
            {
                case "dataset":
                    if (p.Value.ValueKind == JsonValueKind.String) dataset = p.Value.GetString();
                    else { problems.Add($"source.dataset must be a string, not {Kind(p.Value)}"); ok = false; }
                    break;
                case "licence":
                    if (p.Value.ValueKind == JsonValueKind.String) licence = p.Value.GetString();
                    else if (p.Value.ValueKind != JsonValueKind.Null) { problems.Add($"source.licence must be a string or null, not {Kind(p.Value)}"); ok = false; }
                    break;
                default:
                    problems.Add($"source: unknown field \"{p.Name}\" (allowed: {string.Join(", ", SourceFields)})");
                    ok = false;
                    break;
            }
        }
        if (dataset is null) { problems.Add("missing field \"source.dataset\""); ok = false; }
        return ok ? new CorpusSource(dataset!, licence) : null;
    }

    private static ImmutableSortedDictionary<string, JsonElement>? ReadMap(JsonElement value, string name, List<string> problems, bool profileValues)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"\"{name}\" must be an object, not {Kind(value)}");
            return null;
        }
        var builder = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
        var any = false;
        foreach (var _ in value.EnumerateObject()) { any = true; break; }
        if (!any) return builder.ToImmutable();
        var ok = true;
        // One clone per map: its elements stay valid after the line's document is disposed.
        foreach (var p in value.Clone().EnumerateObject())
        {
            if (profileValues && p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                problems.Add($"profile.{p.Name} must be a string or a number, not {Kind(p.Value)}");
                ok = false;
            }
            else if (!builder.TryAdd(p.Name, p.Value))
            {
                problems.Add($"{name}.{p.Name} appears twice");
                ok = false;
            }
        }
        return ok ? builder.ToImmutable() : null;
    }

    /// <summary>Writes one conversation as a single JSON object (no newline).</summary>
    public static void Write(Utf8JsonWriter w, Conversation c)
    {
        w.WriteStartObject();
        w.WriteString("id", c.Id);
        w.WriteStartArray("turns");
        foreach (var t in c.Turns)
        {
            w.WriteStartObject();
            w.WriteString("role", CorpusFormat.RoleName(t.Role));
            w.WriteString("text", t.Text);
            if (t.Time is not null) w.WriteString("time", t.Time);
            if (t.Annotations is { Count: > 0 } annotations)
            {
                w.WriteStartObject("annotations");
                foreach (var (k, v) in Ordinal(annotations)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        var o = c.Outcome;
        w.WriteStartObject("outcome");
        if (o.Converted is bool conv) w.WriteBoolean("converted", conv); else w.WriteNull("converted");
        if (o.Value is double value) w.WriteNumber("value", value);
        w.WriteBoolean("verified", o.Verified);
        if (o.DecidedAtTurn is int at) w.WriteNumber("decided_at_turn", at);
        if (o.DecidedAtTime is not null) w.WriteString("decided_at_time", o.DecidedAtTime);
        w.WriteEndObject();
        WriteMap(w, "profile", c.Profile);
        w.WriteStartObject("source");
        w.WriteString("dataset", c.Source.Dataset);
        if (c.Source.Licence is not null) w.WriteString("licence", c.Source.Licence);
        w.WriteEndObject();
        WriteMap(w, "meta", c.Meta);
        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, ImmutableSortedDictionary<string, JsonElement> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in Ordinal(map))
        {
            w.WritePropertyName(k);
            v.WriteTo(w);
        }
        w.WriteEndObject();
    }

    /// <summary>The map in ordinal key order (maps built by callers may use a culture-sensitive comparer), so the written
    /// form is canonical whoever built the record.</summary>
    private static IEnumerable<KeyValuePair<string, T>> Ordinal<T>(ImmutableSortedDictionary<string, T> map) =>
        ReferenceEquals(map.KeyComparer, StringComparer.Ordinal) ? map : map.OrderBy(p => p.Key, StringComparer.Ordinal);

    /// <summary>Serialises one conversation to a JSON string (one line).</summary>
    public static string ToJson(Conversation c)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) Write(w, c);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    internal static int FirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var offset = 0;
        while (offset < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[offset..], out _, out var consumed) != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }

    private static string CleanJsonMessage(JsonException ex)
    {
        // "'x' is an invalid start of a value. LineNumber: 0 | BytePositionInLine: 5." → position as a column.
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return ex.BytePositionInLine is long pos ? $"{message.TrimEnd('.')} (at byte {pos + 1})" : message;
    }
}
