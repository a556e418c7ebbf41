using System.Text;

namespace Dfid.Corpus.Importers;

/// <summary>One CSV record with the physical line it starts on.</summary>
internal readonly record struct CsvRecord(int Line, string[] Fields);

/// <summary>An RFC 4180 CSV reader: quoted fields may hold commas, doubled quotes and line breaks.</summary>
/// <remarks>Written here rather than taken from a package: the sources need only this much, and it reports the line of
/// each record, which the problems printed as FILE:LINE need.</remarks>
internal sealed class CsvTable
{
    private CsvTable(string name, string[] header, List<CsvRecord> records)
    {
        Name = name;
        Header = header;
        Records = records;
    }

    public string Name { get; }
    public string[] Header { get; }
    public List<CsvRecord> Records { get; }

    /// <summary>Index of a column, or -1.</summary>
    public int Column(string name) => Array.IndexOf(Header, name);

    /// <summary>Index of a required column.</summary>
    /// <exception cref="DfidException">The column is missing; the message lists the columns found.</exception>
    public int RequiredColumn(string name)
    {
        var i = Column(name);
        return i >= 0 ? i : throw new DfidException(
            $"{Name}:1: missing column \"{name}\" (columns found: {string.Join(", ", Header)})", 1);
    }

    public static CsvTable Load(string path)
    {
        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            return Parse(reader, path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DfidException($"file not found: {path}", 1, ex);
        }
    }

    public static CsvTable Parse(TextReader reader, string name)
    {
        var records = new List<CsvRecord>();
        string[]? header = null;
        foreach (var record in ReadRecords(reader, name))
        {
            if (header is null)
            {
                header = record.Fields;
                continue;
            }
            if (record.Fields is [""]) continue; // blank line
            records.Add(record);
        }
        if (header is null) throw new DfidException($"{name}: empty CSV file (expected a header line)", 1);
        return new CsvTable(name, header, records);
    }

    public static IEnumerable<CsvRecord> ReadRecords(TextReader reader, string name)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var inQuotes = false;
        var quotedField = false;
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else inQuotes = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append((char)c);
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    if (field.Length == 0 && !quotedField) { inQuotes = true; quotedField = true; }
                    else field.Append('"'); // a stray quote inside an unquoted field is kept as text
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    quotedField = false;
                    break;
                case '\r':
                    if (reader.Peek() == '\n') reader.Read();
                    goto case '\n';
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    quotedField = false;
                    yield return new CsvRecord(recordLine, fields.ToArray());
                    fields.Clear();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }
        if (inQuotes) throw new DfidException($"{name}:{recordLine}: a quoted field is never closed (missing '\"')", 1);
        if (field.Length > 0 || fields.Count > 0 || quotedField)
        {
            fields.Add(field.ToString());
            yield return new CsvRecord(recordLine, fields.ToArray());
        }
    }
}
