using System.Text.RegularExpressions;

namespace Dfid.Simulation;

/// <summary>Turns a model's raw answer into just the user's reply, or says why there is none.</summary>
internal static partial class ReplyCleaner
{
    /// <summary>The exit form the simulators' prompts document (simulation/exit.rule.txt): the reply is only this token.</summary>
    public const string ExitToken = "[LEAVE]";

    /// <summary>Cleans <paramref name="raw"/>: drops a leading role label ("User:", "Customer:", "You:", ...), stops at a line
    /// where the model starts writing the other party's turn, strips surrounding quotes, and detects empty answers and refusals.</summary>
    /// <param name="raw">The model's answer.</param>
    /// <param name="agentLabel">The agent label used in the history (a line starting with it ends the reply).</param>
    /// <param name="exitOffered">Whether the exit channel was offered: then <see cref="ExitToken"/> anywhere in the reply means the
    /// user leaves (<see cref="AnswerStatus.Exit"/>; words before it, a goodbye, are kept as the text).</param>
    /// <returns>The cleaned text (null when empty) and its status.</returns>
    public static (string? Text, AnswerStatus Status) Clean(string? raw, string agentLabel = "Agent", bool exitOffered = false)
    {
        if (string.IsNullOrWhiteSpace(raw)) return (null, AnswerStatus.Empty);
        if (exitOffered && raw.IndexOf(ExitToken, StringComparison.OrdinalIgnoreCase) is var at and >= 0)
        {
            var (farewell, status) = Clean(raw[..at], agentLabel);
            return (status == AnswerStatus.Ok ? farewell : null, AnswerStatus.Exit);
        }
        var text = raw.ReplaceLineEndings("\n").Trim();
        // A model that keeps writing the transcript continues with the agent's next line: keep only the user's part.
        var lines = text.Split('\n');
        var kept = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (i > 0 && IsAgentLine(line, agentLabel)) break;
            kept.Add(line);
        }
        text = string.Join("\n", kept).Trim();
        for (var pass = 0; pass < 3; pass++)
        {
            var before = text;
            text = RolePrefix().Replace(text, "", 1).Trim();
            text = StripQuotes(text);
            if (text == before) break;
        }
        if (text.Length == 0 || Placeholder().IsMatch(text)) return (null, AnswerStatus.Empty);
        if (Refusal().IsMatch(text)) return (text, AnswerStatus.Refusal);
        return (text, AnswerStatus.Ok);
    }

    /// <summary>A model's raw reply as an answer: cleaned, with its status and, for a failure, why.</summary>
    /// <param name="raw">The model's answer.</param>
    /// <param name="otherLabel">The label of the other party's turns in the history (a line starting with it ends the reply).</param>
    /// <param name="exitOffered">Whether the exit channel was offered.</param>
    /// <param name="call">The model call.</param>
    public static Answer<string> ToAnswer(string? raw, string otherLabel, bool exitOffered, ModelCall call)
    {
        var (text, status) = Clean(raw, otherLabel, exitOffered);
        var error = status switch
        {
            AnswerStatus.Empty => "empty answer",
            AnswerStatus.Refusal => "the model refused to role-play",
            _ => null,
        };
        return new Answer<string>(text, status, error, call, raw);
    }

    private static bool IsAgentLine(string line, string agentLabel)
    {
        var t = line.TrimStart('*', ' ', '\t');
        return t.StartsWith(agentLabel + ":", StringComparison.OrdinalIgnoreCase) || AgentPrefix().IsMatch(t);
    }

    private static string StripQuotes(string text)
    {
        if (text.Length < 2) return text;
        var pairs = new[] { ("\"", "\""), ("'", "'"), ("\u201C", "\u201D"), ("\u2018", "\u2019"), ("\u00AB", "\u00BB"), ("\u300C", "\u300D"), ("`", "`") };
        foreach (var (open, close) in pairs)
        {
            if (text.StartsWith(open, StringComparison.Ordinal) && text.EndsWith(close, StringComparison.Ordinal))
            {
                var inner = text[open.Length..^close.Length];
                // Only strip when the quotes wrap the whole reply, not two quoted parts ("a" and "b"); for the
                // apostrophe, an inner one counts as a quote only next to a space (we'll vs 'a' and 'b').
                var wrapsAll = open == "'"
                    ? !inner.Contains("' ", StringComparison.Ordinal) && !inner.Contains(" '", StringComparison.Ordinal)
                    : !inner.Contains(close, StringComparison.Ordinal);
                if (wrapsAll) return inner.Trim();
            }
        }
        return text;
    }

    [GeneratedRegex(@"^\s*\**\s*(user|customer|client|buyer|persuadee|participant|you|me|assistant|human|reply|response|answer|ユーザー|お客様|客)\s*\**\s*[:：]\s*\**", RegexOptions.IgnoreCase)]
    private static partial Regex RolePrefix();

    [GeneratedRegex(@"^(agent|salesperson|seller|persuader|assistant|sales|営業)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex AgentPrefix();

    [GeneratedRegex(@"^[\s.…\-_*()\[\]]*$")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(i'?m sorry,? (but )?i (can(no|')t|am unable|won't)|i (can(no|')t|won't|am not able to) (help|assist|role-?play|pretend|continue|comply|do that)|as an ai\b|i'?m an ai\b|sorry, i can'?t)", RegexOptions.IgnoreCase)]
    private static partial Regex Refusal();
}
