using System.Text;

namespace Dfid.Instrument.Learned;

/// <summary>
/// The lexical channel of the learned models: word 1–2-grams and character 2–5-grams (within words, padded with a space
/// on both sides) of a text, hashed to 24-bit ids with FNV-1a over the UTF-16 code units (the same on every machine and
/// run). Sentence embeddings blur negation and numbers ("I'll donate $0" sits next to "I'll donate $1"); n-grams keep
/// "no thanks", "$0", "not today" and "rather not" as features of their own.
/// </summary>
internal static class LexicalFeatures
{
    /// <summary>Ids live in [0, 2^24): far more than a training set's distinct n-grams, so collisions are rare.</summary>
    public const int IdBits = 24;

    /// <summary>Adds the hashed word n-grams of <paramref name="text"/> to <paramref name="counts"/>: every word, every
    /// pair of adjacent words, the first word and the first two words; each id salted by <paramref name="channel"/>
    /// (so the same word in two channels is two features).</summary>
    public static void CountWords(string text, char channel, Dictionary<int, int> counts)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Words(text);
        for (var i = 0; i < words.Count; i++)
        {
            Add(counts, Hash(channel, 'w', words[i], null));
            if (i + 1 < words.Count) Add(counts, Hash(channel, 'b', words[i], words[i + 1]));
        }
        // How a turn opens carries its act ("no ...", "yes ...", "how ..."): the first word and first two words.
        if (words.Count > 0) Add(counts, Hash(channel, 's', words[0], null));
        if (words.Count > 1) Add(counts, Hash(channel, 't', words[0], words[1]));
        if (words.Count == 0) Add(counts, Hash(channel, 'e', "", null)); // an empty or punctuation-only turn says something too
    }

    /// <summary>Adds the hashed character 2–5-grams of every word of <paramref name="text"/> (padded with a space on both
    /// sides, so prefixes and suffixes are their own n-grams) to <paramref name="counts"/>.</summary>
    public static void CountCharacters(string text, char channel, Dictionary<int, int> counts)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var w in Words(text))
        {
            var padded = " " + w + " ";
            for (var n = 2; n <= 5; n++)
                for (var s = 0; s + n <= padded.Length; s++)
                    Add(counts, Hash(channel, 'c', padded.Substring(s, n), null));
        }
    }

    /// <summary>Lower-cased word tokens: runs of letters, digits, apostrophes, <c>$</c> and inner dots ("$0.50", "don't");
    /// "?" and "!" are tokens of their own (a question is a different act from a statement).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        void Flush()
        {
            // A dot only joins digits ("0.50", ".25"); trailing dots end the sentence.
            while (sb.Length > 0 && sb[^1] == '.') sb.Length--;
            if (sb.Length > 0) words.Add(sb.ToString());
            sb.Clear();
        }
        for (var i = 0; i < text.Length; i++)
        {
            var ch = char.ToLowerInvariant(text[i]);
            if (ch == '’' || ch == '‘') ch = '\'';
            if (char.IsLetterOrDigit(ch) || ch == '\'' || ch == '$') sb.Append(ch);
            else if (ch == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1])) sb.Append(ch);
            else
            {
                Flush();
                if (ch is '?' or '!') words.Add(ch.ToString());
            }
        }
        Flush();
        return words;
    }

    private static void Add(Dictionary<int, int> counts, int id) =>
        counts[id] = counts.TryGetValue(id, out var n) ? n + 1 : 1;

    private static int Hash(char channel, char kind, string a, string? b)
    {
        const ulong offset = 14695981039346656037UL, prime = 1099511628211UL;
        var h = offset;
        void Mix(char c)
        {
            h ^= c;
            h *= prime;
        }
        Mix(channel);
        Mix(kind);
        foreach (var c in a) Mix(c);
        if (b is not null)
        {
            Mix('\u0001');
            foreach (var c in b) Mix(c);
        }
        return (int)((h ^ (h >> 32)) & ((1UL << IdBits) - 1));
    }
}
