using Dfid.Instrument;

namespace Dfid.Analysis;

/// <summary>The protocol's spelling of the label enums ("prior-failure", "handle-objection", "simulation-failed").</summary>
public static class ProtocolNames
{
    /// <summary>Protocol name of a stage.</summary>
    public static string Of(Stage stage) => Kebab(stage.ToString());

    /// <summary>Protocol name of an emotion.</summary>
    public static string Of(Emotion emotion) => Kebab(emotion.ToString());

    /// <summary>Protocol name of a blocker.</summary>
    public static string Of(Blocker blocker) => Kebab(blocker.ToString());

    /// <summary>Protocol name of an agent action.</summary>
    public static string Of(AgentAction action) => Kebab(action.ToString());

    /// <summary>Protocol name of a probe status ("ok", "simulation-failed", ...).</summary>
    public static string Of(ProbeStatus status) => Kebab(status.ToString());

    private static string Kebab(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('-');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
