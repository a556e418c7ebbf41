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
}
