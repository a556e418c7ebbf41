namespace Dfid.Core;

/// <summary>The protocol's spelling of the label enums (kebab-case: <c>prior-failure</c>, <c>handle-objection</c>, <c>simulation-failed</c>); one spelling for prompts, stores, results and reports.</summary>
public static class StateNames
{
    /// <summary>The name of a stage, e.g. <c>considering</c>.</summary>
    public static string Of(Stage stage) => Kebab(stage.ToString());

    /// <summary>The name of an emotion, e.g. <c>hesitant</c>.</summary>
    public static string Of(Emotion emotion) => Kebab(emotion.ToString());

    /// <summary>The name of a blocker, e.g. <c>prior-failure</c>.</summary>
    public static string Of(Blocker blocker) => Kebab(blocker.ToString());

    /// <summary>The name of an agent action, e.g. <c>push-close</c>.</summary>
    public static string Of(AgentAction action) => Kebab(action.ToString());

    /// <summary>The name of a probe status, e.g. <c>simulation-failed</c>.</summary>
    public static string Of(ProbeStatus status) => Kebab(status.ToString());

    /// <summary>Parses a stage name (case-insensitive; kebab-case or the enum name).</summary>
    public static bool TryParse(string? name, out Stage stage) => TryParseGeneric(name, out stage);

    /// <summary>Parses an emotion name.</summary>
    public static bool TryParse(string? name, out Emotion emotion) => TryParseGeneric(name, out emotion);

    /// <summary>Parses a blocker name.</summary>
    public static bool TryParse(string? name, out Blocker blocker) => TryParseGeneric(name, out blocker);

    /// <summary>Parses an agent action name.</summary>
    public static bool TryParse(string? name, out AgentAction action) => TryParseGeneric(name, out action);

    /// <summary>All names of an enum in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum =>
        Enum.GetValues<T>().Select(v => Kebab(v.ToString())).ToArray();

    internal static string NameOf<T>(T value) where T : struct, Enum => Kebab(value.ToString());

    internal static bool TryParseGeneric<T>(string? name, out T value) where T : struct, Enum
    {
        value = default;
        if (string.IsNullOrWhiteSpace(name)) return false;
        var compact = name.Trim().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        // Reject numeric strings: Enum.TryParse would accept "7" as an undefined value.
        if (compact.Length == 0 || char.IsDigit(compact[0]) || compact[0] == '-') return false;
        return Enum.TryParse(compact, ignoreCase: true, out value) && Enum.IsDefined(value);
    }

    private static string Kebab(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
