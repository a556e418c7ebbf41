using System.Text;

namespace Dfid.Reporting;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as GitHub-flavoured Markdown. Corpus text is escaped with
/// <see cref="ReportText.Markdown"/>; prompts go into code fences longer than any backtick run they contain.
/// Figures link to <c>figures/ID.svg</c> beside the file.
/// </summary>
internal static class MarkdownReportRenderer
{
    public static string Render(ReportDocument doc, string footer)
    {
        var sb = new StringBuilder(128 * 1024);
        sb.Append("# ").Append(ReportText.Markdown(doc.Title, atLineStart: false)).Append("\n\n");
        sb.Append(ReportText.Markdown(doc.Subtitle)).Append("\n\n");
        var figureNo = 0;
        var tableNo = 0;
        foreach (var s in doc.Sections)
        {
            sb.Append("## ").Append(ReportText.Markdown(s.Title, atLineStart: false)).Append("\n\n");
            foreach (var block in s.Blocks)
            {
                switch (block)
                {
                    case ParagraphBlock p:
                        sb.Append(Runs(p.Runs)).Append("\n\n");
                        break;
                    case ListBlock l:
                        foreach (var item in l.Items) sb.Append("- ").Append(Runs(item)).Append('\n');
                        sb.Append('\n');
                        break;
                    case TableBlock t:
                        Table(sb, t.Table, ++tableNo);
                        break;
                    case FigureBlock f:
                        figureNo++;
                        sb.Append("![").Append(ReportText.Markdown(f.Figure.AltText, atLineStart: false)).Append("](figures/")
                          .Append(SafeFileName(f.Figure.Id)).Append(".svg)\n\n*Figure ").Append(figureNo).Append(". ")
                          .Append(ReportText.Markdown(f.Figure.Title, atLineStart: false)).Append("* ")
                          .Append(ReportText.Markdown(f.Figure.Caption, atLineStart: false)).Append("\n\n");
                        break;
                    case PreformattedBlock pre:
                        var fence = ReportText.Fence(pre.Text);
                        sb.Append("**").Append(ReportText.Markdown(pre.Label, atLineStart: false)).Append("**\n\n")
                          .Append(fence).Append("text\n").Append(pre.Text.Replace("\r\n", "\n").TrimEnd('\n')).Append('\n')
                          .Append(fence).Append("\n\n");
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(doc), block.GetType().Name, "unknown report block");
                }
            }
        }
        sb.Append("---\n\n").Append(ReportText.Markdown(footer)).Append('\n');
        return sb.ToString();
    }

    private static string Runs(IReadOnlyList<TextRun> runs)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < runs.Count; i++)
        {
            // Only the first run starts the line; block syntax inside later runs is inert.
            var text = ReportText.Markdown(runs[i].Text, atLineStart: i == 0);
            if (text.Length == 0) continue;
            // Keep the spaces between runs that Markdown() trims.
            var lead = runs[i].Text.Length > 0 && char.IsWhiteSpace(runs[i].Text[0]) && i > 0 ? " " : "";
            var trail = runs[i].Text.Length > 0 && char.IsWhiteSpace(runs[i].Text[^1]) ? " " : "";
            sb.Append(lead).Append(runs[i].Strong ? "**" + text + "**" : text).Append(trail);
        }
        return sb.ToString().TrimEnd();
    }

    private static void Table(StringBuilder sb, ReportTable t, int number)
    {
        sb.Append("**Table ").Append(number).Append(".** ").Append(ReportText.Markdown(t.Caption, atLineStart: false)).Append("\n\n|");
        foreach (var c in t.Columns) sb.Append(' ').Append(ReportText.Markdown(c, atLineStart: false)).Append(" |");
        sb.Append("\n|");
        var numeric = Enumerable.Range(0, t.Columns.Count).Select(i => t.Rows.Count > 0 && t.Rows.All(r => i < r.Count && r[i].Numeric)).ToArray();
        foreach (var isNum in numeric) sb.Append(isNum ? "---:|" : "---|");
        sb.Append('\n');
        foreach (var row in t.Rows)
        {
            sb.Append('|');
            foreach (var cell in row) sb.Append(' ').Append(ReportText.Markdown(cell.Text, atLineStart: false)).Append(" |");
            sb.Append('\n');
        }
        sb.Append('\n');
    }

    internal static string SafeFileName(string id) =>
        new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
