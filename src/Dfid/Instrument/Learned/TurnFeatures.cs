using Dfid.Corpus;

namespace Dfid.Instrument.Learned;

/// <summary>
/// Feature vector of a labelled turn: [embedding of the turn | embedding of the previous turn of the other side
/// (zeros when none) | position and length scalars]. Causal: nothing after the turn is used.
/// </summary>
internal static class TurnFeatures
{
    /// <summary>Bumped whenever the layout changes, so cached models are retrained.</summary>
    public const string Version = "features/1";

    public const int Scalars = 3;

    public static int Length(int embeddingDims) => 2 * embeddingDims + Scalars;

    /// <summary>The previous turn of the other role (the context) and how many turns of the labelled role came before.</summary>
    public static (string? Context, int Ordinal) Context(Conversation c, int turnIndex)
    {
        var role = c.Turns[turnIndex].Role;
        var other = role == Role.User ? Role.Agent : Role.User;
        string? context = null;
        var ordinal = 0;
        for (var i = turnIndex - 1; i >= 0; i--)
        {
            var t = c.Turns[i];
            if (t.Role == other && context is null) context = t.Text;
            if (t.Role == role) ordinal++;
        }
        return (context, ordinal);
    }

    public static float[] Build(float[] text, float[]? context, int ordinal, string rawText)
    {
        var d = text.Length;
        var f = new float[Length(d)];
        Array.Copy(text, f, d);
        if (context is not null) Array.Copy(context, 0, f, d, d);
        f[2 * d] = Math.Min(ordinal, 20) / 20f;
        f[2 * d + 1] = ordinal == 0 ? 1f : 0f;
        var words = rawText.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        f[2 * d + 2] = (float)(Math.Log(1 + words) / 4);
        return f;
    }
}
