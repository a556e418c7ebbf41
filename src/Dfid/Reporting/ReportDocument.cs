namespace Dfid.Reporting;

// The report as a neutral tree of blocks. Every piece of text in it is plain text: the HTML and Markdown
// renderers escape all of it, so corpus text can never become markup. Numbers arrive already formatted by
// ReportNumbers, so HTML, Markdown and the verdicts show the same digits.

/// <summary>The whole report: title, subtitle and sections in reading order, plus the figures they show.</summary>
internal sealed record ReportDocument(string Title, string Subtitle, IReadOnlyList<ReportSection> Sections)
{
    public IEnumerable<ReportTable> Tables => Sections.SelectMany(s => s.Blocks).OfType<TableBlock>().Select(t => t.Table);

    public IEnumerable<ReportFigure> Figures => Sections.SelectMany(s => s.Blocks).OfType<FigureBlock>().Select(f => f.Figure);
}

/// <summary>One numbered section (anchor id, heading, blocks).</summary>
internal sealed record ReportSection(string Id, string Title, IReadOnlyList<ReportBlock> Blocks);

/// <summary>A block of a section.</summary>
internal abstract record ReportBlock;

/// <summary>A run of text inside a paragraph; <see cref="Strong"/> renders bold.</summary>
internal sealed record TextRun(string Text, bool Strong = false);

/// <summary>A paragraph of text runs.</summary>
internal sealed record ParagraphBlock(IReadOnlyList<TextRun> Runs) : ReportBlock
{
    public ParagraphBlock(string text) : this([new TextRun(text)]) { }
}

/// <summary>A bullet list; each item is a list of runs. <see cref="Kind"/> tags items for styling (e.g. verdicts).</summary>
internal sealed record ListBlock(IReadOnlyList<IReadOnlyList<TextRun>> Items, string? Kind = null) : ReportBlock;

/// <summary>A table.</summary>
internal sealed record TableBlock(ReportTable Table) : ReportBlock;

/// <summary>A figure.</summary>
internal sealed record FigureBlock(ReportFigure Figure) : ReportBlock;

/// <summary>Verbatim text (prompts): a labelled preformatted block.</summary>
internal sealed record PreformattedBlock(string Label, string Text) : ReportBlock;

/// <summary>A table: <see cref="Id"/> names its CSV file (<c>tables/ID.csv</c>).</summary>
internal sealed record ReportTable(string Id, string Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<ReportCell>> Rows);

/// <summary>A table cell: the text shown in HTML/Markdown and, for numbers, the full-precision value written to CSV.</summary>
internal sealed record ReportCell(string Text, double? Value = null, bool Numeric = false)
{
    public static implicit operator ReportCell(string text) => new(text);
}

/// <summary>A figure rendered twice: SVG (inlined in HTML, saved) and PNG (saved, for slides).</summary>
internal sealed record ReportFigure(string Id, string Title, string Caption, string AltText, string Svg, byte[] Png, int Width, int Height);
