using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Dfid.Tests.Reporting;

/// <summary>Opens the fixture report in headless Chromium: no errors, no request, no script, hostile text visible, figures drawn.</summary>
public sealed class ChromiumReportTests
{
    [SkippableChromiumFact]
    public async Task Report_InHeadlessChromium_RendersInertlyWithDrawnFigures()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        var files = await ReportWriterTests.WriteFixtureAsync();
        var url = new Uri(files.Html).AbsoluteUri;
        await using var chromium = await HeadlessChromium.StartAsync(ct);
        await chromium.NavigateAsync(url, ct);

        // No network request other than the document itself (data: figures included are not network).
        var requests = chromium.Events.Where(e => e.Method == "Network.requestWillBeSent")
            .Select(e => e.Params["request"]!["url"]!.GetValue<string>()).ToList();
        Assert.Contains(url, requests);
        Assert.All(requests, r => Assert.True(r == url || r.StartsWith("data:", StringComparison.Ordinal), "unexpected request: " + r));

        // Renders without errors: no exception, no console output, no error/warning log (a blocked inline script
        // or a CSP violation would show here).
        Assert.DoesNotContain(chromium.Events, e => e.Method == "Runtime.exceptionThrown");
        Assert.DoesNotContain(chromium.Events, e => e.Method == "Runtime.consoleAPICalled");
        var logs = chromium.Events.Where(e => e.Method == "Log.entryAdded").Select(e => e.Params["entry"]!).ToList();
        Assert.True(logs.All(l => l["level"]!.GetValue<string>() is not ("error" or "warning")),
            "log entries: " + string.Join("\n", logs.Select(l => l.ToJsonString())));

        // No script ran and no markup was injected.
        Assert.Equal("undefined", (await chromium.EvaluateAsync("typeof window.__pwned", ct))!.GetValue<string>());
        Assert.Equal(0, (await chromium.EvaluateAsync("document.scripts.length", ct))!.GetValue<int>());
        Assert.Equal(0, (await chromium.EvaluateAsync("document.querySelectorAll('img:not(.figure), svg, a[href^=\"javascript\"], #injected, iframe, object, embed').length", ct))!.GetValue<int>());
        Assert.Equal(ReportFixture.Inputs().Title, (await chromium.EvaluateAsync("document.title", ct))!.GetValue<string>());

        // Hostile strings are visible as text.
        var text = Normalize((await chromium.EvaluateAsync("document.body.innerText", ct))!.GetValue<string>());
        foreach (var hostile in ReportFixture.Hostile) Assert.Contains(Normalize(hostile), text);
        Assert.Contains(Normalize(ReportFixture.HostileCondition), text);
        Assert.Contains("window.__pwned=9", text); // the hostile prompt in the appendix

        // Figures: every figure image decoded, and its screenshot region has drawn pixels.
        var figures = (await chromium.EvaluateAsync(
            "Array.from(document.querySelectorAll('img.figure')).map(i => { const r = i.getBoundingClientRect(); " +
            "return { ok: i.complete && i.naturalWidth > 0, x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height }; })", ct))!.AsArray();
        Assert.True(figures.Count >= 5, $"expected at least 5 figures, found {figures.Count}");
        foreach (var f in figures)
        {
            Assert.True(f!["ok"]!.GetValue<bool>(), "a figure did not decode");
            var png = await chromium.ScreenshotAsync(f["x"]!.GetValue<double>(), f["y"]!.GetValue<double>(), f["w"]!.GetValue<double>(), f["h"]!.GetValue<double>(), ct);
            ReportFiguresTests.AssertPngHasInk(png, minShare: 0.02);
        }
    }

    [SkippableChromiumFact]
    public async Task ReportOfRealRun_InHeadlessChromium_LoadsWithoutRequestsOrErrors()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var runDir = await ReportCommandTests.WriteRunFolderAsync();
        var outDir = Path.Combine(runDir, "report");
        var exit = await Dfid.Cli.DfidApp.RunAsync(["report", runDir, "--permutations", "200", "--bootstrap", "100"], new Spectre.Console.Testing.TestConsole());
        Assert.Equal(0, exit);
        var url = new Uri(Path.Combine(outDir, "report.html")).AbsoluteUri;
        await using var chromium = await HeadlessChromium.StartAsync(cts.Token);
        await chromium.NavigateAsync(url, cts.Token);
        var requests = chromium.Events.Where(e => e.Method == "Network.requestWillBeSent").Select(e => e.Params["request"]!["url"]!.GetValue<string>()).ToList();
        Assert.All(requests, r => Assert.True(r == url || r.StartsWith("data:", StringComparison.Ordinal), "unexpected request: " + r));
        Assert.DoesNotContain(chromium.Events, e => e.Method is "Runtime.exceptionThrown" or "Runtime.consoleAPICalled");
        Assert.DoesNotContain(chromium.Events, e => e.Method == "Log.entryAdded" && e.Params["entry"]!["level"]!.GetValue<string>() == "error");
        Assert.Equal("undefined", (await chromium.EvaluateAsync("typeof window.__pwned", cts.Token))!.GetValue<string>());
        var decoded = (await chromium.EvaluateAsync("Array.from(document.querySelectorAll('img.figure')).filter(i => i.complete && i.naturalWidth > 0).length", cts.Token))!.GetValue<int>();
        Assert.True(decoded >= 4, $"{decoded} figures decoded");
    }

    private static string Normalize(string s) => Regex.Replace(s, @"\s+", " ").Trim();
}

/// <summary>A fact that is skipped, with the reason, when Debian's chromium is not installed (CI installs it: scripts/ci-setup.sh).</summary>
public sealed class SkippableChromiumFactAttribute : FactAttribute
{
    public SkippableChromiumFactAttribute()
    {
        if (!HeadlessChromium.IsAvailable)
            Skip = $"{HeadlessChromium.Executable} not found: install Debian's chromium (scripts/ci-setup.sh) to run the headless-browser report checks";
    }
}
