using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Dfid.Corpus.Importers;

/// <summary>Imports OpenAI-style chat logs (<c>--format openai-chat</c>): JSON Lines of
/// <c>{"id", "messages": [{"role", "content"}], "outcome", "profile"}</c>.</summary>
/// <remarks>
/// <c>assistant</c> messages become agent turns, <c>user</c> messages user turns. System messages before the first
/// assistant/user message are instructions to the model, not something the user saw: they go to <c>meta.system_prompt</c>.
/// Later system messages become system turns. <c>content</c> may be a string or a list of <c>{"type": "text", "text"}</c> parts;
/// a message may carry <c>time</c> (or <c>timestamp</c>) and <c>annotations</c>. Other fields are read as in the corpus format
/// (<c>outcome</c>, <c>profile</c>, <c>source</c>, <c>meta</c>; extra fields go into <c>meta</c>), and turns after
/// <c>outcome.decided_at_turn</c> are cut.
/// </remarks>
public sealed class OpenAiChatImporter : ICorpusImporter
{
    /// <inheritdoc/>
    public string Format => "openai-chat";

    /// <inheritdoc/>
    public string Description => "JSON Lines of {\"id\", \"messages\": [{\"role\": \"system\"|\"assistant\"|\"user\", \"content\"}], \"outcome\", \"profile\"}";

    /// <inheritdoc/>
    public CorpusImport Import(CorpusImportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var collector = new ImportCollector();
        var mode = new CorpusJson.ParseMode(true, Path.GetFileNameWithoutExtension(request.InputPath));
        var buffer = new ArrayBufferWriter<byte>(1 << 14);
        collector.ReadJsonLines(request.InputPath, (root, problems) =>
        {
            buffer.ResetWrittenCount();
            if (!Translate(root, buffer, problems)) return null;
            using var translated = JsonDocument.Parse(buffer.WrittenMemory);
            return CorpusJson.FromElement(translated.RootElement, mode, problems);
        }, cancellationToken);
        return collector.Result();
    }

    /// <summary>Rewrites one chat line as a corpus line (messages → turns, leading system messages → meta.system_prompt).</summary>
    private static bool Translate(JsonElement root, IBufferWriter<byte> output, List<string> problems)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add("bad JSON: a line must be one JSON object");
            return false;
        }
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            problems.Add("missing field \"messages\" (an array of {\"role\", \"content\"})");
            return false;
        }
        var systemPrompt = new StringBuilder();
        using var w = new Utf8JsonWriter(output, CorpusJson.WriterOptions);
        w.WriteStartObject();
        w.WriteStartArray("turns");
        var index = 0;
        var started = false;
        var ok = true;
        foreach (var m in messages.EnumerateArray())
        {
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var text = Content(m);
            if (text is null)
            {
                problems.Add($"message {index}: \"content\" must be a string or a list of text parts");
                ok = false;
            }
            string? turnRole = role switch
            {
                "assistant" => "agent",
                "user" => "user",
                "system" => "system",
                _ => null,
            };
            if (turnRole is null)
            {
                problems.Add($"message {index}: unknown role {(role is null ? "(missing)" : $"\"{role}\"")} (use \"system\", \"assistant\" or \"user\")");
                ok = false;
            }
            else if (turnRole == "system" && !started)
            {
                if (systemPrompt.Length > 0) systemPrompt.Append('\n');
                systemPrompt.Append(text);
            }
            else if (text is not null)
            {
                started = true;
                w.WriteStartObject();
                w.WriteString("role", turnRole);
                w.WriteString("text", text);
                var time = m.TryGetProperty("time", out var t) ? t : m.TryGetProperty("timestamp", out var ts) ? ts : default;
                if (time.ValueKind != JsonValueKind.Undefined) { w.WritePropertyName("time"); time.WriteTo(w); }
                if (m.TryGetProperty("annotations", out var a)) { w.WritePropertyName("annotations"); a.WriteTo(w); }
                w.WriteEndObject();
            }
            index++;
        }
        w.WriteEndArray();
        JsonElement meta = default;
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name is "messages" or "turns") continue;
            if (p.Name == "meta") { meta = p.Value; continue; }
            p.WriteTo(w);
        }
        if (systemPrompt.Length > 0 || meta.ValueKind != JsonValueKind.Undefined)
        {
            w.WriteStartObject("meta");
            if (meta.ValueKind == JsonValueKind.Object)
                foreach (var p in meta.EnumerateObject())
                    if (p.Name != "system_prompt" || systemPrompt.Length == 0) p.WriteTo(w);
            if (systemPrompt.Length > 0) w.WriteString("system_prompt", systemPrompt.ToString());
            w.WriteEndObject();
            if (meta.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
            {
                problems.Add("\"meta\" must be an object");
                ok = false;
            }
        }
        w.WriteEndObject();
        return ok;
    }

    private static string? Content(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var c)) return null;
        if (c.ValueKind == JsonValueKind.String) return c.GetString();
        if (c.ValueKind != JsonValueKind.Array) return null;
        var parts = new List<string>();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.String) parts.Add(part.GetString()!);
            else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) parts.Add(t.GetString()!);
        }
        return string.Join("\n", parts);
    }
}
