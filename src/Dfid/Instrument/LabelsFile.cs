using System.Globalization;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>
/// Reads, checks and writes <c>dfid.labels/1</c> files: JSON Lines, one human label per line (docs/labels-format.md).
/// </summary>
/// <remarks>
/// Each line carries <c>"format": "dfid.labels/1"</c>, so files can be concatenated (<c>cat a.jsonl b.jsonl</c>).
/// Unknown keys are errors (a misspelt key must not drop a label silently). A (conversation, turn, annotator) may
/// appear once per file.
/// </remarks>
public static class LabelsFile
{
    /// <summary>The format tag every line carries.</summary>
    public const string Format = "dfid.labels/1";

    /// <summary>Most problems listed in an exception message before the rest are counted.</summary>
    public const int MaxProblemsInMessage = 20;

    private static readonly string[] Keys = ["format", "conversation", "turn", "annotator", "stage", "action", "agent_turn", "time"];

    /// <summary>Reads every label of a labels file; the file must be valid.</summary>
    /// <param name="path">The labels file.</param>
    /// <returns>The labels in file order.</returns>
    /// <exception cref="DfidException">The file is missing or has problems: the message lists them as <c>FILE:LINE: reason</c>
    /// and says to run <c>dfid labels validate</c>.</exception>
    public static IReadOnlyList<HumanLabel> Read(string path)
    {
        var labels = new List<HumanLabel>();
        var problems = new List<LabelsProblem>();
        foreach (var line in ReadLines(path))
        {
            if (line.Label is { } l) labels.Add(l);
            else problems.AddRange(line.Problems);
        }
        if (problems.Count > 0) throw new DfidException(Describe(path, problems), 1);
        return labels;
    }

    /// <summary>Reads a labels file line by line: each non-blank line gives its label or its problems (a repeated
    /// conversation/turn/annotator is a problem of the later line).</summary>
    /// <exception cref="DfidException">The file does not exist.</exception>
    public static IEnumerable<LabelsLine> ReadLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new DfidException($"{path}: labels file not found; export one with `dfid labels export --store FILE --out {path}`.", 2);
        return ReadLines(File.ReadLines(path, Encoding.UTF8), path);
    }

    /// <summary>Reads labels from lines of text; <paramref name="name"/> names them in problems.</summary>
    public static IEnumerable<LabelsLine> ReadLines(IEnumerable<string> lines, string name)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(name);
        var seen = new Dictionary<(string, int, string), int>();
        var number = 0;
        foreach (var text in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var reasons = new List<string>();
            var label = Parse(text, reasons);
            if (label is not null)
            {
                var key = (label.ConversationId, label.TurnIndex, label.Annotator);
                if (seen.TryGetValue(key, out var first))
                {
                    reasons.Add($"annotator '{label.Annotator}' already labelled conversation '{label.ConversationId}' turn {label.TurnIndex} on line {first}; keep one label per annotator and turn");
                    label = null;
                }
                else seen[key] = number;
            }
            yield return new LabelsLine(number, label, [.. reasons.Select(r => new LabelsProblem(name, number, r))]);
        }
    }

    /// <summary>
    /// Every problem of a labels file; with <paramref name="corpus"/> also whether each label's conversation exists,
    /// its turn is a user turn and its agent turn is the agent turn right before.
    /// </summary>
    /// <param name="path">The labels file.</param>
    /// <param name="corpus">The corpus by conversation id, or <c>null</c> to check the file alone.</param>
    /// <returns>The problems in line order (empty when the file is valid) and the number of valid labels.</returns>
    public static (IReadOnlyList<LabelsProblem> Problems, int Labels) Validate(string path, IReadOnlyDictionary<string, Conversation>? corpus = null)
    {
        var problems = new List<LabelsProblem>();
        var labels = 0;
        foreach (var line in ReadLines(path))
        {
            if (line.Label is not { } l)
            {
                problems.AddRange(line.Problems);
                continue;
            }
            var reason = corpus is null ? null : CheckAgainst(l, corpus);
            if (reason is null) labels++;
            else problems.Add(new LabelsProblem(path, line.Line, reason));
        }
        return (problems, labels);
    }

    /// <summary>Whether a label fits the corpus; <c>null</c> when it does, else the reason.</summary>
    public static string? CheckAgainst(HumanLabel label, IReadOnlyDictionary<string, Conversation> corpus)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(corpus);
        if (!corpus.TryGetValue(label.ConversationId, out var c))
            return $"conversation '{label.ConversationId}' is not in the corpus; label turns of the corpus you pass with --corpus";
        if (label.TurnIndex >= c.Turns.Length)
            return $"conversation '{c.Id}' has {c.Turns.Length} turns (0..{c.Turns.Length - 1}); turn {label.TurnIndex} does not exist";
        if (c.Turns[label.TurnIndex].Role != Role.User)
            return $"turn {label.TurnIndex} of conversation '{c.Id}' is not a user turn (role {c.Turns[label.TurnIndex].Role.ToString().ToLowerInvariant()}); only user turns carry stage labels";
        if (label.AgentTurnIndex is int a)
        {
            var expected = c.LastTurnBefore(label.TurnIndex, Role.Agent);
            if (a != expected)
                return expected < 0
                    ? $"turn {label.TurnIndex} of conversation '{c.Id}' has no agent turn before it, so agent_turn {a} cannot be labelled"
                    : $"agent_turn {a} is not the agent turn right before turn {label.TurnIndex} of conversation '{c.Id}' (that is {expected})";
        }
        return null;
    }

    /// <summary>Writes labels as a <c>dfid.labels/1</c> file, replacing it atomically (temp file, then rename).</summary>
    /// <returns>The number of labels written.</returns>
    /// <exception cref="DfidException">The file cannot be written.</exception>
    public static int Write(string path, IEnumerable<HumanLabel> labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(labels);
        return AtomicFile.Write(path, stream =>
        {
            var count = 0;
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            foreach (var l in labels)
            {
                writer.WriteLine(ToJsonLine(l));
                count++;
            }
            return count;
        });
    }

    /// <summary>One label as its <c>dfid.labels/1</c> line (no trailing newline).</summary>
    public static string ToJsonLine(HumanLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("conversation", label.ConversationId);
            w.WriteNumber("turn", label.TurnIndex);
            w.WriteString("annotator", label.Annotator);
            w.WriteString("stage", StateNames.Of(label.Stage));
            if (label.Action is { } a) w.WriteString("action", StateNames.Of(a));
            else w.WriteNull("action");
            if (label.AgentTurnIndex is int at) w.WriteNumber("agent_turn", at);
            w.WriteString("time", FormatTime(label.Time));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The labels grouped by turn: (conversation id, turn index) → the labels of every annotator of that turn.</summary>
    public static ILookup<(string ConversationId, int TurnIndex), HumanLabel> ByTurn(IEnumerable<HumanLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.ToLookup(l => l.Turn);
    }

    /// <summary>A time as written in labels files: ISO 8601 UTC with milliseconds, e.g. <c>2026-03-01T12:00:00.000Z</c>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static string Describe(string path, IReadOnlyList<LabelsProblem> problems)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{path}: {problems.Count} problem(s) in the labels file:");
        foreach (var p in problems.Take(MaxProblemsInMessage)) sb.Append('\n').Append(p);
        if (problems.Count > MaxProblemsInMessage) sb.Append(CultureInfo.InvariantCulture, $"\n... and {problems.Count - MaxProblemsInMessage} more");
        sb.Append(CultureInfo.InvariantCulture, $"\nRun `dfid labels validate {path}` for the full list.");
        return sb.ToString();
    }

    private static HumanLabel? Parse(string text, List<string> reasons)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            reasons.Add($"not valid JSON ({ex.Message}); every line must be one JSON object");
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reasons.Add("a line must be a JSON object");
                return null;
            }
            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                if (Array.IndexOf(Keys, p.Name) < 0) reasons.Add($"unknown key '{p.Name}' (known: {string.Join(", ", Keys)})");
                else if (!fields.TryAdd(p.Name, p.Value)) reasons.Add($"key '{p.Name}' appears twice");
            }
            var format = String(fields, "format", reasons, required: true);
            if (format is not null && format != Format) reasons.Add($"format '{format}' is not {Format}");
            var conversation = String(fields, "conversation", reasons, required: true);
            var turn = Index(fields, "turn", reasons, required: true);
            var annotator = String(fields, "annotator", reasons, required: true);
            var stageName = String(fields, "stage", reasons, required: true);
            Stage stage = default;
            if (stageName is not null && !StateNames.TryParse(stageName, out stage))
                reasons.Add($"stage '{stageName}' is not one of {string.Join(", ", StateNames.All<Stage>())}");
            var actionName = String(fields, "action", reasons, required: false);
            AgentAction? action = null;
            if (actionName is not null)
            {
                if (StateNames.TryParse(actionName, out AgentAction a)) action = a;
                else reasons.Add($"action '{actionName}' is not one of {string.Join(", ", StateNames.All<AgentAction>())} (or null)");
            }
            var agentTurn = Index(fields, "agent_turn", reasons, required: false);
            var actionGiven = fields.TryGetValue("action", out var av) && av.ValueKind != JsonValueKind.Null;
            var agentTurnGiven = fields.TryGetValue("agent_turn", out var atv) && atv.ValueKind != JsonValueKind.Null;
            if (actionGiven && !agentTurnGiven) reasons.Add("an action needs agent_turn: the index of the agent turn it labels");
            if (!actionGiven && agentTurnGiven) reasons.Add("agent_turn is given without an action; drop it or add the action");
            if (agentTurn is int at && turn is int t && at >= t) reasons.Add($"agent_turn {at} must come before turn {t}");
            var timeText = String(fields, "time", reasons, required: true);
            DateTimeOffset time = default;
            if (timeText is not null)
            {
                if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time)
                    || !(timeText.EndsWith('Z') || timeText.EndsWith("+00:00", StringComparison.Ordinal)))
                    reasons.Add($"time '{timeText}' is not an ISO 8601 UTC time such as 2026-03-01T12:00:00Z");
            }
            if (reasons.Count > 0) return null;
            return new HumanLabel(conversation!, turn!.Value, annotator!, stage, action, agentTurn, time.ToUniversalTime());
        }
    }

    private static string? String(Dictionary<string, JsonElement> fields, string key, List<string> reasons, bool required)
    {
        if (!fields.TryGetValue(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) reasons.Add($"missing '{key}'");
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            reasons.Add($"'{key}' must be a string");
            return null;
        }
        var s = v.GetString()!;
        if (string.IsNullOrWhiteSpace(s))
        {
            reasons.Add($"'{key}' is blank");
            return null;
        }
        return s;
    }

    private static int? Index(Dictionary<string, JsonElement> fields, string key, List<string> reasons, bool required)
    {
        if (!fields.TryGetValue(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) reasons.Add($"missing '{key}'");
            return null;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i) || i < 0)
        {
            reasons.Add($"'{key}' must be a whole number >= 0 (the 0-based index in the conversation's turns)");
            return null;
        }
        return i;
    }
}
