using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dfid.Annotation;
using Dfid.Instrument;
using Dfid.Tests.Reporting;

namespace Dfid.Tests.Annotation;

/// <summary>
/// The acceptance test of <c>dfid annotate</c> in a real browser (Debian's headless Chromium over the DevTools
/// protocol): label 10 turns with the keyboard, undo one, reload, export, validate; wrong token 403; hostile text inert.
/// </summary>
public sealed class AnnotateChromiumTests
{
    private static readonly string[] ActionKeys = ["q", "w", "e", "r", "t", "y"];

    [SkippableChromiumFact]
    public async Task Annotate_InHeadlessChromium_KeyboardLabelsUndoReloadExport()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var ct = cts.Token;

        // A plan whose first 10 tasks include a late turn of shop-07, so its hostile turns are on screen as context.
        var corpus = AnnotationFixture.Corpus();
        var seed = Enumerable.Range(1, 200).First(s => TurnSampler.Stratified(corpus, 14, s).Tasks.Take(10)
            .Any(t => t.ConversationId == "shop-07" && t.TurnIndex >= 4));
        using var session = AnnotationFixture.NewSession(sample: 14, seed: seed, actions: true);
        await using var server = await AnnotationServerTests.StartAsync(session, "ana", ct);
        var origin = $"http://127.0.0.1:{server.Port}/";
        await using var chromium = await HeadlessChromium.StartAsync(ct);
        await chromium.NavigateAsync(server.Url.ToString(), ct);
        await WaitForAsync(chromium, "document.body.dataset.ready === '1'", ct);
        var outputDir = Path.Combine(AppContext.BaseDirectory, "annotate-output");
        Directory.CreateDirectory(outputDir);

        // A stage key before the action key is not an answer: the page asks for the action first.
        await chromium.PressKeyAsync("3", ct);
        Assert.Contains("First choose what the salesperson does", await TextAsync(chromium, "document.getElementById('hint').textContent", ct), StringComparison.Ordinal);
        Assert.Empty(session.Store.ReadHistory());

        var expected = new List<(int Task, Stage Stage, AgentAction Action)>();
        var hostileSeen = new HashSet<string>();
        var screenshotTaken = false;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), await TextAsync(chromium, "document.body.dataset.task", ct));
            var text = Normalize(await TextAsync(chromium, "document.body.innerText", ct));
            foreach (var h in AnnotationFixture.Hostile.Where(h => text.Contains(Normalize(h), StringComparison.Ordinal))) hostileSeen.Add(h);
            var stage = (Stage)(i % 5);
            var action = (AgentAction)((i + 2) % 6);
            await chromium.PressKeyAsync(ActionKeys[(int)action], ct);
            if (!screenshotTaken && hostileSeen.Count > 0)
            {
                // The page with hostile text on screen and an action chosen: look at it (test output, not the repo).
                await File.WriteAllBytesAsync(Path.Combine(outputDir, "annotate.png"), await chromium.ScreenshotAsync(0, 0, 1200, 900, ct), ct);
                screenshotTaken = true;
            }
            await chromium.PressKeyAsync(((int)stage + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
            await WaitForAsync(chromium, $"document.body.dataset.done === '{i + 1}'", ct);
            expected.Add((i + 1, stage, action));
        }
        Assert.Equal(10, session.Store.ReadLabels().Count);

        // Undo the last label with U: task 10 is current again.
        await chromium.PressKeyAsync("u", ct);
        await WaitForAsync(chromium, "document.body.dataset.done === '9'", ct);
        Assert.Equal("10", await TextAsync(chromium, "document.body.dataset.task", ct));
        Assert.Equal(9, session.Store.ReadLabels().Count);

        // Reload: the labels are kept and the page resumes at task 10; label it again.
        await chromium.NavigateAsync(server.Url.ToString(), ct);
        await WaitForAsync(chromium, "document.body.dataset.ready === '1'", ct);
        Assert.Equal("9", await TextAsync(chromium, "document.body.dataset.done", ct));
        Assert.Equal("10", await TextAsync(chromium, "document.body.dataset.task", ct));
        Assert.Contains("9 of 14 done", await TextAsync(chromium, "document.getElementById('progress-text').textContent", ct), StringComparison.Ordinal);
        await chromium.PressKeyAsync("y", ct);
        await chromium.PressKeyAsync("5", ct);
        await WaitForAsync(chromium, "document.body.dataset.done === '10'", ct);
        expected[9] = (10, Stage.Deciding, AgentAction.Reassure);
        await File.WriteAllBytesAsync(Path.Combine(outputDir, "annotate-after-reload.png"), await chromium.ScreenshotAsync(0, 0, 1200, 900, ct), ct);

        // The undo is history, not lost: 11 labels and 1 undo.
        var history = session.Store.ReadHistory("ana");
        Assert.Equal(11, history.Count(e => e.Kind == AnnotationEventKind.Label));
        Assert.Single(history, e => e.Kind == AnnotationEventKind.Undo);

        // Export through the CLI, validate against the corpus, read back.
        var labelsPath = Path.Combine(TestData.TempDir(), "labels.jsonl");
        var console = new Spectre.Console.Testing.TestConsole();
        Assert.Equal(0, await Dfid.Cli.DfidApp.RunAsync(["labels", "export", "--store", session.Store.FilePath, "--out", labelsPath], console));
        Assert.Contains("wrote 10 labels by 1 annotator(s)", console.Output, StringComparison.Ordinal);
        var validate = new Spectre.Console.Testing.TestConsole();
        Assert.Equal(0, await Dfid.Cli.DfidApp.RunAsync(["labels", "validate", labelsPath, "--corpus", AnnotationFixture.CorpusPath], validate));
        Assert.Contains("10 labels, no problems", validate.Output, StringComparison.Ordinal);
        var labels = LabelsFile.Read(labelsPath);
        Assert.Equal(
            expected.Select(e => (session.Plan.Tasks[e.Task - 1].ConversationId, session.Plan.Tasks[e.Task - 1].TurnIndex, e.Stage, (AgentAction?)e.Action)),
            labels.Select(l => (l.ConversationId, l.TurnIndex, l.Stage, l.Action)));
        Assert.All(labels, l => Assert.Equal("ana", l.Annotator));

        // A wrong token gets 403 (over the same loopback server).
        using (var http = new HttpClient { BaseAddress = new Uri(origin) })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/state?token=wrong", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync("api/undo?token=wrong", new StringContent("{}"), ct)).StatusCode);
        }
        Assert.Equal(10, session.Store.ReadLabels().Count);

        // Hostile turn text stayed inert: shown as text, no script ran, no element was injected.
        Assert.True(hostileSeen.Count >= 2, "hostile turns seen on the page: " + string.Join(" | ", hostileSeen));
        Assert.Contains(AnnotationFixture.Hostile[0], hostileSeen);
        Assert.Contains(AnnotationFixture.Hostile[1], hostileSeen);
        Assert.Equal("undefined", await TextAsync(chromium, "typeof window.__pwned", ct));
        Assert.Equal(1, (await chromium.EvaluateAsync("document.scripts.length", ct))!.GetValue<int>());
        Assert.Equal(0, (await chromium.EvaluateAsync("document.querySelectorAll('img, b, iframe, object, embed, svg').length", ct))!.GetValue<int>());
        Assert.DoesNotContain(chromium.Events, e => e.Method == "Runtime.exceptionThrown");
        Assert.DoesNotContain(chromium.Events, e => e.Method == "Runtime.consoleAPICalled");
        var logs = chromium.Events.Where(e => e.Method == "Log.entryAdded").Select(e => e.Params["entry"]!).ToList();
        Assert.True(logs.All(l => l["level"]!.GetValue<string>() is not ("error" or "warning")),
            "log entries: " + string.Join("\n", logs.Select(l => l.ToJsonString())));

        // Every request went to the app itself.
        var requests = chromium.Events.Where(e => e.Method == "Network.requestWillBeSent")
            .Select(e => e.Params["request"]!["url"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.StartsWith(origin, r, StringComparison.Ordinal));
        Assert.True(screenshotTaken);
    }

    private static async Task<string> TextAsync(HeadlessChromium chromium, string expression, CancellationToken ct) =>
        (await chromium.EvaluateAsync(expression, ct))?.GetValue<string>() ?? "";

    private static async Task WaitForAsync(HeadlessChromium chromium, string condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if ((await chromium.EvaluateAsync(condition, ct)) is JsonValue v && v.GetValue<bool>()) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the page never satisfied `{condition}`; state: {await TextAsync(chromium, "JSON.stringify(document.body.dataset)", ct)}");
            await Task.Delay(30, ct);
        }
    }

    private static string Normalize(string s) => Regex.Replace(s, @"\s+", " ").Trim();
}
