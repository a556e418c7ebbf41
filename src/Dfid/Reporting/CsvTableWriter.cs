using System.Globalization;
using System.Text;

namespace Dfid.Reporting;

/// <summary>Writes a <see cref="ReportTable"/> as RFC 4180 CSV: numbers at full precision, text as shown.</summary>
internal static class CsvTableWriter
{
    public static string Render(ReportTable table)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', table.Columns.Select(c => ReportText.Csv(c))).Append("\r\n");
        foreach (var row in table.Rows)
        {
            sb.AppendJoin(',', row.Select(cell => cell.Value is { } v && double.IsFinite(v)
                ? ReportText.Csv(v.ToString("R", CultureInfo.InvariantCulture), isNumber: true)
                : ReportText.Csv(cell.Text, isNumber: cell.Numeric)));
            sb.Append("\r\n");
        }
        return sb.ToString();
    }
}
