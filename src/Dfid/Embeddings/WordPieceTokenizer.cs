using System.Globalization;
using System.Text;

namespace Dfid.Embeddings;

/// <summary>
/// The BERT uncased tokenizer (basic tokenisation, then greedy longest-match WordPiece) that all-MiniLM-L6-v2 was
/// trained with: clean control characters, space out CJK ideographs, lower-case, strip accents, split punctuation,
/// then <c>[CLS] pieces [SEP]</c>, truncated to the model's maximum sequence length.
/// </summary>
/// <remarks>
/// Written from the reference algorithm (Hugging Face <c>BertTokenizer</c> with <c>do_lower_case=True</c>) because the
/// package's own tokenizer pads nothing per text, never truncates, and treats sub-words as regular expressions.
/// Thread-safe after construction.
/// </remarks>
internal sealed class WordPieceTokenizer
{
    private const int MaxCharsPerWord = 100;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly List<string> _tokens = [];
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Reads a vocabulary file (one token per line, the line number is the id).</summary>
    public WordPieceTokenizer(TextReader vocabulary, int maxTokens = 256)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        _vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var id = 0;
        for (var line = vocabulary.ReadLine(); line is not null; line = vocabulary.ReadLine())
        {
            _tokens.Add(line.TrimEnd('\r'));
            _vocabulary.TryAdd(_tokens[^1], id++);
        }
        _lookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        MaxTokens = maxTokens;
        ClassifierId = Id("[CLS]");
        SeparatorId = Id("[SEP]");
        UnknownId = Id("[UNK]");
    }

    /// <summary>Longest output, <c>[CLS]</c> and <c>[SEP]</c> included; longer texts are cut at the end.</summary>
    public int MaxTokens { get; }

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClassifierId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SeparatorId { get; }

    /// <summary>Id of <c>[UNK]</c>.</summary>
    public int UnknownId { get; }

    private int Id(string token) =>
        _vocabulary.TryGetValue(token, out var id) ? id : throw new InvalidDataException($"vocabulary has no {token} token");

    /// <summary>Token ids of <paramref name="text"/>: <c>[CLS]</c>, WordPiece ids, <c>[SEP]</c>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(Math.Min(MaxTokens, text.Length / 3 + 2)) { ClassifierId };
        var limit = MaxTokens - 1;
        foreach (var word in BasicTokens(text))
        {
            AddWordPieces(word, ids);
            if (ids.Count >= limit) break;
        }
        if (ids.Count > limit) ids.RemoveRange(limit, ids.Count - limit);
        ids.Add(SeparatorId);
        return ids.ToArray();
    }

    /// <summary>The vocabulary entry of <paramref name="id"/>, e.g. <c>##able</c>.</summary>
    public string TokenOf(int id) => _tokens[id];

    /// <summary>Basic tokens: lower-cased, accent-free words and single punctuation or CJK characters.</summary>
    internal static IEnumerable<string> BasicTokens(string text)
    {
        var word = new StringBuilder();
        foreach (var rune in Normalise(text).EnumerateRunes())
        {
            var v = rune.Value;
            if (Rune.IsWhiteSpace(rune))
            {
                if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
            }
            else if (IsPunctuation(rune) || IsCjk(v))
            {
                if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
                yield return rune.ToString();
            }
            else Append(word, rune);
        }
        if (word.Length > 0) yield return word.ToString();
    }

    /// <summary>Drops control characters, maps whitespace to spaces, lower-cases, and strips combining marks (NFD).</summary>
    private static string Normalise(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            if (v == 0 || v == 0xFFFD) continue;
            if (v is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune)) { cleaned.Append(' '); continue; }
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned) continue;
            Append(cleaned, Rune.ToLowerInvariant(rune));
        }
        var decomposed = cleaned.ToString().Normalize(NormalizationForm.FormD);
        var stripped = new StringBuilder(decomposed.Length);
        foreach (var ch in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark) stripped.Append(ch);
        return stripped.ToString();
    }

    private static void Append(StringBuilder text, Rune rune)
    {
        Span<char> utf16 = stackalloc char[2];
        text.Append(utf16[..rune.EncodeToUtf16(utf16)]);
    }

    private static bool IsPunctuation(Rune rune)
    {
        var v = rune.Value;
        // BERT counts every non-letter/number ASCII symbol as punctuation, e.g. "$" and "^", not only category P*.
        if (v is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int v) =>
        v is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>Greedy longest-match-first WordPiece; a word with any unmatched remainder becomes one <c>[UNK]</c>.</summary>
    private void AddWordPieces(string word, List<int> ids)
    {
        if (word.Length > MaxCharsPerWord) { ids.Add(UnknownId); return; }
        if (_lookup.TryGetValue(word, out var whole)) { ids.Add(whole); return; }
        var start = ids.Count;
        Span<char> buffer = stackalloc char[MaxCharsPerWord + 2];
        for (var begin = 0; begin < word.Length;)
        {
            var found = -1;
            var end = word.Length;
            for (; end > begin; end--)
            {
                scoped ReadOnlySpan<char> piece;
                if (begin == 0) piece = word.AsSpan(0, end);
                else
                {
                    buffer[0] = '#';
                    buffer[1] = '#';
                    word.AsSpan(begin, end - begin).CopyTo(buffer[2..]);
                    piece = buffer[..(end - begin + 2)];
                }
                if (_lookup.TryGetValue(piece, out found)) break;
                found = -1;
            }
            if (found < 0)
            {
                ids.RemoveRange(start, ids.Count - start);
                ids.Add(UnknownId);
                return;
            }
            ids.Add(found);
            begin = end;
        }
    }
}
