using System.Text;

namespace Dfid.Reporting;

/// <summary>Escaping of untrusted text (corpus turns, simulator output, names) for HTML, Markdown and CSV.</summary>
internal static class ReportText
{
    /// <summary>
    /// Escapes text for HTML element content and quoted attribute values: &amp; &lt; &gt; " ' become entities;
    /// control characters other than tab/newline and lone surrogates become U+FFFD.
    /// </summary>
    public static string Html(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (char.IsSurrogate(c) || (char.IsControl(c) && c is not ('\n' or '\t')) || c is '\uFFFE' or '\uFFFF')
                    {
                        if (c != '\r') sb.Append('\uFFFD');
                    }
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    // Characters that are Markdown/GFM syntax anywhere in a line: escape chars, code spans, emphasis, links and
    // images ([ ]), raw HTML and autolinks (< >), entities (&), table cells (|), strikethrough (~), math ($).
    private const string MarkdownInline = "\\`*_[]<>&|~$";

    /// <summary>
    /// Escapes text for one line of Markdown (paragraph, list item or table cell): inline syntax is
    /// backslash-escaped, block syntax at the start (#, &gt;, lists, setext) too unless the text sits inside a
    /// table cell (<paramref name="atLineStart"/> false), line breaks become spaces.
    /// </summary>
    public static string Markdown(string? text, bool atLineStart = true)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 16);
        var lastWasSpace = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\t' or '\r')
            {
                if (!lastWasSpace) sb.Append(' ');
                lastWasSpace = true;
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                lastWasSpace = false;
                continue;
            }
            if (char.IsSurrogate(c) || char.IsControl(c) || c is '\uFFFE' or '\uFFFF') c = '\uFFFD';
            lastWasSpace = c == ' ';
            if (MarkdownInline.Contains(c)) sb.Append('\\');
            sb.Append(c);
        }
        var s = sb.ToString().Trim();
        if (!atLineStart) return s;
        // Block syntax only counts at the start of a line: headings, quotes, list markers, setext/thematic breaks.
        if (s.Length > 0 && s[0] is '#' or '>' or '-' or '+' or '=' or '*' or '_') s = "\\" + s;
        else
        {
            var digits = 0;
            while (digits < s.Length && char.IsAsciiDigit(s[digits])) digits++;
            if (digits > 0 && digits < s.Length && s[digits] is '.' or ')') s = s[..digits] + "\\" + s[digits..];
        }
        return s;
    }

    /// <summary>A code fence longer than any backtick run in <paramref name="text"/> (CommonMark closes a fence only with one at least as long).</summary>
    public static string Fence(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return new string('`', Math.Max(3, longest + 1));
    }

    /// <summary>
    /// Quotes a CSV field (RFC 4180). Text fields that a spreadsheet would run as a formula (= + - @ tab CR at the
    /// start) get a leading apostrophe; numbers are passed with <paramref name="isNumber"/> and left alone.
    /// </summary>
    public static string Csv(string text, bool isNumber = false) => Analysis.CsvField.Of(text, isNumber);
}
