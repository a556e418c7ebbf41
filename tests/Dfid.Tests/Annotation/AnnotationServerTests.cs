using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dfid.Annotation;
using Dfid.Cli.Annotation;
using Dfid.Instrument;

namespace Dfid.Tests.Annotation;

/// <summary>The labelling server over real HTTP on loopback: token, Host check, headers, blindness, conflicts.</summary>
public sealed class AnnotationServerTests
{
    internal static async Task<AnnotationServer> StartAsync(OpenedAnnotationSession session, string annotator = "ana", CancellationToken ct = default) =>
        await AnnotationServer.StartAsync(new AnnotationServerOptions
        {
            Store = session.Store,
            Annotator = annotator,
            Guide = AnnotationGuide.Create(StageTaxonomy.Default, Domain.Sales, session.Plan.Actions),
            ExportCommand = $"dfid labels export --store {session.Store.FilePath} --out labels.jsonl",
        }, ct);

    [Fact]
    public async Task Api_WithoutTheRightToken_Is403AndStoresNothing()
    {
        using var session = AnnotationFixture.NewSession(sample: 4);
        await using var server = await StartAsync(session);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}") };

        foreach (var path in new[] { "/api/state", "/api/setup", "/api/state?token=wrong", "/api/state?token=" + server.Token[..^1] })
            Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(path)).StatusCode);
        using (var forged = new HttpRequestMessage(HttpMethod.Post, "/api/label") { Content = JsonContent.Create(new { task = 1, stage = "deciding" }) })
        {
            forged.Headers.Add(AnnotationServer.TokenHeader, "not-the-token");
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(forged)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("/api/label?token=nope", new { task = 1, stage = "deciding" })).StatusCode);
        Assert.Empty(session.Store.ReadHistory());

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/state?token=" + server.Token)).StatusCode);
        using var withHeader = new HttpRequestMessage(HttpMethod.Get, "/api/setup");
        withHeader.Headers.Add(AnnotationServer.TokenHeader, server.Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(withHeader)).StatusCode);
    }

    [Fact]
    public async Task Server_ListensOnLoopbackOnly_RefusesForeignHosts_AndSendsAStrictPolicy()
    {
        using var session = AnnotationFixture.NewSession(sample: 4);
        await using var server = await StartAsync(session);
        Assert.Equal($"http://127.0.0.1:{server.Port}/?token={server.Token}", server.Url.ToString());
        Assert.True(server.Token.Length >= 32);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}") };

        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(AnnotationServer.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script"));
        var js = await http.GetStringAsync("/annotate.js");
        foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function" })
            Assert.DoesNotContain(sink, js, StringComparison.Ordinal);

        // DNS rebinding: a page of another site resolving to 127.0.0.1 sends its own Host.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/state?token=" + server.Token);
        rebound.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(rebound)).StatusCode);

        // Not reachable on other interfaces: the only listening address is 127.0.0.1.
        var addresses = System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners()
            .Where(e => e.Port == server.Port).ToList();
        Assert.All(addresses, a => Assert.Equal(IPAddress.Loopback, a.Address));
    }

    [Fact]
    public async Task Api_NeverSendsLaterTurnsTheOutcomeOrMetadata()
    {
        using var session = AnnotationFixture.NewSession(sample: 1000, actions: true);
        await using var server = await StartAsync(session);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}") };
        http.DefaultRequestHeaders.Add(AnnotationServer.TokenHeader, server.Token);
        var corpus = AnnotationFixture.CorpusById();
        HashSet<string> allowedKeys = ["accepted", "total", "done", "labelled", "skipped", "task", "last", "number", "turn", "agent_turn",
            "context", "text", "index", "role", "id", "kind", "stage", "action"];

        var raw = await http.GetStringAsync("/api/state");
        var seen = 0;
        while (true)
        {
            var state = JsonNode.Parse(raw)!;
            AssertKeys(state, allowedKeys);
            foreach (var id in corpus.Keys) Assert.DoesNotContain(id, raw, StringComparison.Ordinal);
            if (state["task"] is not JsonObject task) break;
            var number = task["number"]!.GetValue<int>();
            var t = session.Plan.Tasks[number - 1];
            var c = corpus[t.ConversationId];
            var shown = JsonNode.Parse(raw)!["task"]!;
            Assert.Equal(c.Turns.Take(t.TurnIndex).Select(x => x.Text), shown["context"]!.AsArray().Select(x => x!["text"]!.GetValue<string>()));
            Assert.Equal(c.Turns[t.TurnIndex].Text, shown["text"]!.GetValue<string>());
            // No later turn, in any encoding the serializer might choose: compare decoded strings of every value.
            var values = Strings(state).ToList();
            foreach (var later in c.Turns.Skip(t.TurnIndex + 1))
                Assert.DoesNotContain(values, v => v.Contains(later.Text, StringComparison.Ordinal));
            seen++;
            var r = await http.PostAsJsonAsync("/api/label", new { task = number, stage = "engaging", action = "pitch" });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            raw = await r.Content.ReadAsStringAsync();
        }
        Assert.Equal(session.Plan.Tasks.Count, seen);

        var setup = await http.GetStringAsync("/api/setup");
        foreach (var id in corpus.Keys) Assert.DoesNotContain(id, setup, StringComparison.Ordinal);
        Assert.DoesNotContain("outcome", setup, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("converted", setup, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Api_StaleOrBadAnswers_AreRefusedWithTheCurrentState()
    {
        using var session = AnnotationFixture.NewSession(sample: 4);
        await using var server = await StartAsync(session);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}") };
        http.DefaultRequestHeaders.Add(AnnotationServer.TokenHeader, server.Token);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/label", new { task = 1, stage = "considering" })).StatusCode);
        var stale = await http.PostAsJsonAsync("/api/label", new { task = 1, stage = "resisting" });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var state = JsonNode.Parse(await stale.Content.ReadAsStringAsync())!;
        Assert.False(state["accepted"]!.GetValue<bool>());
        Assert.Equal(2, state["task"]!["number"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/label", new { task = 2, stage = "sure" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/label", new { task = 2, stage = "deciding", action = "pitch" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/label", new StringContent("{oops"))).StatusCode);

        var last = state["last"]!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/undo", new { last })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync("/api/undo", new { last })).StatusCode);
        Assert.Empty(session.Store.ReadLabels());
        Assert.Equal(2, session.Store.ReadHistory().Count);
    }

    private static void AssertKeys(JsonNode? node, HashSet<string> allowed)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    Assert.Contains(k, allowed);
                    AssertKeys(v, allowed);
                }
                break;
            case JsonArray a:
                foreach (var v in a) AssertKeys(v, allowed);
                break;
        }
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(kv => Strings(kv.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
