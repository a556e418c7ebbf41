using System.Text.RegularExpressions;
using Markdig;

namespace Dfid.Tests.Reporting;

/// <summary>report.md through a real CommonMark/GFM parser (Markdig with pipe tables and autolinks): hostile text stays text.</summary>
public sealed class MarkdownReportTests
{
    private static readonly MarkdownPipeline Gfm = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    [Fact]
    public async Task ReportMarkdown_ParsedAsGfm_HasNoActiveMarkupAndKeepsTables()
    {
        var files = await ReportWriterTests.WriteFixtureAsync();
        var md = await File.ReadAllTextAsync(files.Markdown);
        var html = Markdown.ToHtml(md, Gfm);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<svg", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:alert(1)\"", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"javascript", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("id=\"injected\"", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<del>", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<em>stars", html, StringComparison.OrdinalIgnoreCase);
        // The only images are the report's own figures.
        var imgs = Regex.Matches(html, "<img [^>]*src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(imgs);
        Assert.All(imgs, src => Assert.StartsWith("figures/", src));
        // Only the title is a level-1 heading; "# heading" in the corpus is not a heading.
        Assert.Single(Regex.Matches(html, "<h1"));
        Assert.DoesNotContain("<h1 id=\"heading\"", html);

        // Hostile texts appear as (HTML-escaped) text.
        Assert.Contains("&lt;script&gt;document.title='pwned';window.__pwned=1&lt;/script&gt;".Replace("'", "&#39;"), html.Replace("'", "&#39;"));
        Assert.Contains("&lt;img src=x onerror=", html);
        Assert.Contains("[x](javascript:alert(1))", html);
        Assert.Contains("| pipes | in | text |", html);

        // Tables keep their shape: every body row has as many cells as its header.
        foreach (Match t in Regex.Matches(html, "<table>.*?</table>", RegexOptions.Singleline))
        {
            var headerCells = Regex.Matches(Regex.Match(t.Value, "<thead>.*?</thead>", RegexOptions.Singleline).Value, "<th[ >]").Count;
            foreach (Match row in Regex.Matches(Regex.Match(t.Value, "<tbody>.*?</tbody>", RegexOptions.Singleline).Value, "<tr>.*?</tr>", RegexOptions.Singleline))
                Assert.Equal(headerCells, Regex.Matches(row.Value, "<td[ >]").Count);
        }
        var tableCount = Regex.Matches(html, "<table>").Count;
        Assert.True(files.Tables.Count == tableCount, $"{files.Tables.Count} tables written, {tableCount} parsed: {string.Join(", ", files.Tables.Select(Path.GetFileName))}");
    }

    [Fact]
    public async Task ReportMarkdown_PromptFenceSurvivesBackticksInPrompt()
    {
        var md = await File.ReadAllTextAsync((await ReportWriterTests.WriteFixtureAsync()).Markdown);
        var html = Markdown.ToHtml(md, Gfm);
        // The prompt contains ``` and ```` lines; the whole prompt must stay inside one code block.
        var code = Regex.Matches(html, "<pre><code[^>]*>(.*?)</code></pre>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(code, c => c.Contains("You ARE the user.") && c.Contains("&lt;script&gt;window.__pwned=9") && c.Contains("| a | b |"));
    }
}
