using System.Reflection;
using System.Text;

namespace Dfid.Reporting;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as one self-contained HTML file: inline CSS, figures as SVG data URIs,
/// no script, no external reference. All text is escaped with <see cref="ReportText.Html"/>.
/// </summary>
/// <remarks>
/// Figures are embedded as <c>&lt;img src="data:image/svg+xml;base64,…"&gt;</c> rather than as inline
/// <c>&lt;svg&gt;</c> markup: an SVG loaded as an image runs no script and fetches nothing, so even a label that
/// slipped past escaping inside the plotting library could not become live markup. A Content-Security-Policy
/// that allows only inline styles and data: images backs this up.
/// </remarks>
internal static class HtmlReportRenderer
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    public static string Render(ReportDocument doc, string footer)
    {
        var sb = new StringBuilder(256 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy).Append("\">\n");
        sb.Append("<meta name=\"referrer\" content=\"no-referrer\">\n");
        sb.Append("<link rel=\"icon\" href=\"data:,\">\n"); // no favicon request
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>").Append(ReportText.Html(doc.Title)).Append("</title>\n");
        sb.Append("<style>\n").Append(Css.Value).Append("</style>\n</head>\n<body>\n");
        sb.Append("<header>\n<h1>").Append(ReportText.Html(doc.Title)).Append("</h1>\n");
        sb.Append("<p class=\"subtitle\">").Append(ReportText.Html(doc.Subtitle)).Append("</p>\n</header>\n");
        sb.Append("<nav class=\"toc\" aria-label=\"Contents\"><ol>\n");
        foreach (var s in doc.Sections)
            sb.Append("<li><a href=\"#").Append(ReportText.Html(s.Id)).Append("\">").Append(ReportText.Html(s.Title)).Append("</a></li>\n");
        sb.Append("</ol></nav>\n<main>\n");
        var figureNo = 0;
        var tableNo = 0;
        foreach (var s in doc.Sections)
        {
            sb.Append("<section id=\"").Append(ReportText.Html(s.Id)).Append("\">\n<h2>").Append(ReportText.Html(s.Title)).Append("</h2>\n");
            foreach (var block in s.Blocks) RenderBlock(sb, block, ref figureNo, ref tableNo);
            sb.Append("</section>\n");
        }
        sb.Append("</main>\n<footer>").Append(ReportText.Html(footer)).Append("</footer>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void RenderBlock(StringBuilder sb, ReportBlock block, ref int figureNo, ref int tableNo)
    {
        switch (block)
        {
            case ParagraphBlock p:
                sb.Append("<p>");
                Runs(sb, p.Runs);
                sb.Append("</p>\n");
                break;
            case ListBlock l:
                sb.Append(l.Kind is null ? "<ul>\n" : $"<ul class=\"{ReportText.Html(l.Kind)}\">\n");
                foreach (var item in l.Items)
                {
                    sb.Append("<li>");
                    Runs(sb, item);
                    sb.Append("</li>\n");
                }
                sb.Append("</ul>\n");
                break;
            case TableBlock t:
                Table(sb, t.Table, ++tableNo);
                break;
            case FigureBlock f:
                Figure(sb, f.Figure, ++figureNo);
                break;
            case PreformattedBlock pre:
                sb.Append("<div class=\"pre-label\">").Append(ReportText.Html(pre.Label)).Append("</div>\n<pre>")
                  .Append(ReportText.Html(pre.Text)).Append("</pre>\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(block), block.GetType().Name, "unknown report block");
        }
    }

    private static void Runs(StringBuilder sb, IReadOnlyList<TextRun> runs)
    {
        foreach (var r in runs)
        {
            if (r.Strong) sb.Append("<strong>").Append(ReportText.Html(r.Text)).Append("</strong>");
            else sb.Append(ReportText.Html(r.Text));
        }
    }

    private static void Table(StringBuilder sb, ReportTable t, int number)
    {
        sb.Append("<div class=\"table-wrap\"><table id=\"table-").Append(ReportText.Html(t.Id)).Append("\">\n<caption>Table ")
          .Append(number).Append(". ").Append(ReportText.Html(t.Caption)).Append("</caption>\n<thead><tr>");
        foreach (var c in t.Columns) sb.Append("<th scope=\"col\">").Append(ReportText.Html(c)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in t.Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
                sb.Append(cell.Numeric ? "<td class=\"num\">" : "<td class=\"text\">").Append(ReportText.Html(cell.Text)).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody></table></div>\n");
    }

    private static void Figure(StringBuilder sb, ReportFigure f, int number)
    {
        sb.Append("<figure id=\"figure-").Append(ReportText.Html(f.Id)).Append("\">\n<img class=\"figure\" width=\"")
          .Append(f.Width).Append("\" height=\"").Append(f.Height).Append("\" alt=\"").Append(ReportText.Html(f.AltText))
          .Append("\" src=\"data:image/svg+xml;base64,").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(f.Svg)))
          .Append("\">\n<figcaption><strong>Figure ").Append(number).Append(". ").Append(ReportText.Html(f.Title))
          .Append("</strong> ").Append(ReportText.Html(f.Caption)).Append("</figcaption>\n</figure>\n");
    }

    private static readonly Lazy<string> Css = new(() =>
    {
        var asm = typeof(HtmlReportRenderer).Assembly;
        var name = asm.GetManifestResourceNames().Single(n => n.EndsWith("report.report.css", StringComparison.Ordinal));
        using var stream = asm.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });
}
