using Dfid.Reporting;

namespace Dfid.Tests.Reporting;

public sealed class ReportWriterTests
{
    internal static async Task<ReportFiles> WriteFixtureAsync(string? dir = null)
    {
        dir ??= TestData.TempDir();
        return await new ReportWriter().WriteAsync(ReportFixture.Results, ReportFixture.Inputs(), dir, CancellationToken.None);
    }

    [Fact]
    public async Task WriteAsync_WritesAllFiles()
    {
        var files = await WriteFixtureAsync(Environment.GetEnvironmentVariable("DFID_KEEP_REPORT"));
        Assert.True(File.Exists(files.Html));
        Assert.True(File.Exists(files.Markdown));
        Assert.True(File.Exists(files.ResultsJson));
        Assert.Contains(files.Tables, t => t.EndsWith("endpoints.csv", StringComparison.Ordinal));
        Assert.Contains(files.Figures, f => f.EndsWith("stratum-means.svg", StringComparison.Ordinal));
        Assert.Contains(files.Figures, f => f.EndsWith("stratum-means.png", StringComparison.Ordinal));
        Assert.All(files.Tables.Concat(files.Figures), f => Assert.True(new FileInfo(f).Length > 0, f));
    }

    [Fact]
    public async Task Html_IsSelfContained_NoScriptNoExternalReference()
    {
        var files = await WriteFixtureAsync();
        var html = await File.ReadAllTextAsync(files.Html);
        // Every reference is a data: URI or an in-page anchor; no element that could run or fetch anything.
        var refs = System.Text.RegularExpressions.Regex.Matches(html, "\\b(?:src|href|action|srcset|poster|data)\\s*=\\s*\"([^\"]*)\"")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(refs);
        Assert.All(refs, r => Assert.True(r.StartsWith("data:", StringComparison.Ordinal) || r.StartsWith('#'), "external reference: " + r[..Math.Min(80, r.Length)]));
        foreach (var tag in new[] { "<script", "<iframe", "<object", "<embed", "<link rel=\"stylesheet", "<base", "@import", "url(" })
            Assert.DoesNotContain(tag, html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Security-Policy", html);
        Assert.Contains("@media print", html);
        // Corpus text is escaped: the hostile img tag appears only encoded.
        Assert.Contains("&lt;img src=x onerror=&quot;document.title=&#39;pwned-img&#39;", html);
        Assert.DoesNotContain("<img src=x", html);
    }
}
