using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;

namespace Dfid.Simulation;

/// <summary>Renders the parts of a simulator prompt: profile, history, placeholders; loads the embedded prompt texts.</summary>
internal static class PromptText
{
    private static readonly Dictionary<string, string> ProfileLabels = new(StringComparer.OrdinalIgnoreCase)
    {
        ["age"] = "Age",
        ["sex"] = "Sex",
        ["gender"] = "Gender",
        ["race"] = "Ethnicity",
        ["edu"] = "Education",
        ["education"] = "Education",
        ["marital"] = "Marital status",
        ["employment"] = "Employment",
        ["income"] = "Household income (survey code)",
        ["religion"] = "Religion",
        ["ideology"] = "Political views",
    };

    /// <summary>The real profile as natural language: known fields as "Label: value" lines, numeric scores in one line.</summary>
    /// <remarks>Deterministic (keys in sorted order) so the same profile always yields the same prompt and cache key.</remarks>
    public static string RenderProfile(IReadOnlyDictionary<string, JsonElement> profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var lines = new List<string>();
        var scores = new List<string>();
        foreach (var key in ProfileLabels.Keys.Where(profile.ContainsKey).Concat(profile.Keys.Where(k => !ProfileLabels.ContainsKey(k)).Order(StringComparer.Ordinal)).Distinct(StringComparer.Ordinal))
        {
            var value = profile[key];
            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? "",
                JsonValueKind.Number => FormatNumber(value.GetDouble()),
                JsonValueKind.True => "yes",
                JsonValueKind.False => "no",
                _ => "",
            };
            if (text.Length == 0) continue;
            if (ProfileLabels.TryGetValue(key, out var label)) lines.Add($"- {label}: {text}");
            else if (value.ValueKind == JsonValueKind.Number) scores.Add($"{Humanise(key)} {text}");
            else lines.Add($"- {char.ToUpperInvariant(Humanise(key)[0])}{Humanise(key)[1..]}: {text}");
        }
        if (scores.Count > 0) lines.Add("- Personality, values and decision style (questionnaire scores): " + string.Join(", ", scores));
        return lines.Count == 0 ? "- (nothing is known about you)" : string.Join("\n", lines);
    }

    /// <summary>The history before <paramref name="beforeTurn"/>: agent turns labelled with <paramref name="agentLabel"/>, user turns
    /// with <paramref name="userLabel"/> ("You" when the user is the one writing).</summary>
    public static string RenderHistory(Conversation conversation, int beforeTurn, string agentLabel, string userLabel = "You")
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var sb = new StringBuilder();
        for (var i = 0; i < beforeTurn && i < conversation.Turns.Length; i++)
        {
            var t = conversation.Turns[i];
            var who = t.Role switch { Role.Agent => agentLabel, Role.User => userLabel, _ => "[notice]" };
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(who).Append(": ").Append(t.Text.ReplaceLineEndings(" "));
        }
        return sb.ToString();
    }

    /// <summary>Replaces <c>{name}</c> placeholders; unknown placeholders are left as they are.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var sb = new StringBuilder(template.Length + 256);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0) { sb.Append(template, i, template.Length - i); break; }
            var close = template.IndexOf('}', open + 1);
            if (close < 0) { sb.Append(template, i, template.Length - i); break; }
            var name = template.Substring(open + 1, close - open - 1);
            sb.Append(template, i, open - i);
            if (values.TryGetValue(name, out var v))
            {
                sb.Append(v);
                i = close + 1;
            }
            else
            {
                // Not a placeholder (e.g. a JSON or YAML brace): keep the brace and look again right after it.
                sb.Append('{');
                i = open + 1;
            }
        }
        return sb.ToString();
    }

    /// <summary>Reads an embedded resource of the library (e.g. <c>simulation/persona.system.txt</c>).</summary>
    public static string Resource(string relativePath)
    {
        var asm = typeof(PromptText).Assembly;
        var name = "Dfid.Resources." + relativePath.Replace('/', '.');
        using var stream = asm.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} not found; have: {string.Join(", ", asm.GetManifestResourceNames())}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().ReplaceLineEndings("\n").TrimEnd('\n');
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Sha256(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Humanise(string key) => key.Replace('_', ' ').Replace('.', ' ');

    private static string FormatNumber(double d) =>
        Math.Abs(d - Math.Round(d)) < 1e-9 ? ((long)Math.Round(d)).ToString(CultureInfo.InvariantCulture) : Math.Round(d, 2).ToString(CultureInfo.InvariantCulture);
}
