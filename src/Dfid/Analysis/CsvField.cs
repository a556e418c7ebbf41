namespace Dfid.Analysis;

/// <summary>One RFC 4180 CSV field, guarded against spreadsheet formula injection: every CSV dfid writes goes through it.</summary>
public static class CsvField
{
    /// <summary>
    /// <paramref name="text"/> as a CSV field: quoted when it holds a comma, quote or line break (or starts or ends with a
    /// space); a text (not a number) starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR gets a leading apostrophe so
    /// a spreadsheet shows it instead of evaluating it.
    /// </summary>
    public static string Of(string text, bool isNumber = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!isNumber && text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r') text = "'" + text;
        var quote = text.IndexOfAny([',', '"', '\n', '\r']) >= 0 || (text.Length > 0 && (text[0] == ' ' || text[^1] == ' '));
        return quote ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
