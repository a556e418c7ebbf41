using Dfid.Corpus;

namespace Dfid.Instrument.Learned;

/// <summary>The causal context of a labelled user turn: the agent turn before it, the user's own turn before that, and
/// how many user turns came before.</summary>
internal readonly record struct StageContext(string? Agent, string? PreviousUser, int Ordinal)
{
    public static StageContext Of(Conversation c, int turnIndex)
    {
        var role = c.Turns[turnIndex].Role;
        string? agent = null, previous = null;
        var ordinal = 0;
        for (var i = turnIndex - 1; i >= 0; i--)
        {
            var t = c.Turns[i];
            if (t.Role == role)
            {
                previous ??= t.Text;
                ordinal++;
            }
            else if (t.Role != Role.System) agent ??= t.Text;
        }
        return new StageContext(agent, previous, ordinal);
    }
}

/// <summary>
/// Features of the learned stage model (layout <see cref="Version"/>). Dense: MiniLM of the turn, of the agent turn
/// before it and of the user's previous turn (zeros when absent), position and length, and the four
/// <see cref="CommitmentCues"/> flags. Sparse (the lexical channel): the turn's word 1–2-grams with its opening words, and
/// its character 2–5-grams, as two channels (<see cref="LexicalFeatures"/>). Causal: nothing after the turn is used.
/// </summary>
internal static class StageFeatures
{
    /// <summary>Bumped whenever the layout, the lexical channel or the cues change, so cached models are retrained.</summary>
    public const string Version = "stage-features/2+" + CommitmentCues.Version;

    public const int Scalars = 3;

    public const int CueFlags = 4;

    public static int DenseLength(int embeddingDims) => 3 * embeddingDims + Scalars + CueFlags;

    public static float[] Dense(float[] text, float[]? agent, float[]? previousUser, int ordinal, string rawText)
    {
        var d = text.Length;
        var f = new float[DenseLength(d)];
        Array.Copy(text, f, d);
        if (agent is not null) Array.Copy(agent, 0, f, d, d);
        if (previousUser is not null) Array.Copy(previousUser, 0, f, 2 * d, d);
        var at = 3 * d;
        f[at++] = Math.Min(ordinal, 20) / 20f;
        f[at++] = ordinal == 0 ? 1 : 0;
        f[at++] = (float)(Math.Log(1 + rawText.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length) / 4);
        var cue = CommitmentCues.Read(rawText);
        f[at++] = cue.NamesPositiveAmount ? 1 : 0;
        f[at++] = cue.NamesOnlyZero ? 1 : 0;
        f[at++] = cue.Declines ? 1 : 0;
        f[at] = cue.IsRefusal ? 1 : 0;
        return f;
    }

    /// <summary>The lexical channels of a turn: [word n-grams, character n-grams], each id → count.</summary>
    public static Dictionary<int, int>[] Lexical(string rawText)
    {
        var words = new Dictionary<int, int>();
        LexicalFeatures.CountWords(rawText, 'u', words);
        var characters = new Dictionary<int, int>();
        LexicalFeatures.CountCharacters(rawText, 'u', characters);
        return [words, characters];
    }
}
