using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dfid.Annotation;
using Dfid.Corpus;
using Dfid.Instrument;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dfid.Cli.Annotation;

/// <summary>What one labelling server serves: one annotator's session of a store.</summary>
internal sealed class AnnotationServerOptions
{
    public required AnnotationStore Store { get; init; }

    public required string Annotator { get; init; }

    public required AnnotationGuide Guide { get; init; }

    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>The session token; <c>null</c> draws a random one.</summary>
    public string? Token { get; init; }

    /// <summary>The command that exports the labels, shown when the annotator is done.</summary>
    public string ExportCommand { get; init; } = "dfid labels export --store FILE --out labels.jsonl";
}

/// <summary>
/// The labelling web app: Kestrel on 127.0.0.1 only, one static page (embedded, strict Content-Security-Policy, no
/// external URL) and a small JSON API that shows one blind task at a time and stores every answer at once.
/// </summary>
/// <remarks>
/// Every <c>/api/</c> call needs the session token (query <c>token</c> or header <c>X-Dfid-Token</c>; otherwise 403),
/// so another local user or a web page in the same browser cannot read turns or post labels; requests whose Host is
/// not this loopback address are refused (DNS rebinding). The page never gets a later turn, the outcome or any
/// conversation metadata: tasks are built by <see cref="BlindTurn.For"/> only.
/// </remarks>
internal sealed class AnnotationServer : IAsyncDisposable
{
    public const string TokenHeader = "X-Dfid-Token";

    /// <summary>The page's policy: only this origin's script, style and API; no inline code, no frames, no forms, and
    /// Trusted Types so that no HTML sink can be assigned a string even by mistake.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; " +
        "form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly WebApplication _app;
    private readonly AnnotationServerOptions _options;
    private readonly IReadOnlyDictionary<string, Conversation> _conversations;
    private readonly byte[] _token;
    private string[] _hosts = [];

    private AnnotationServer(WebApplication app, AnnotationServerOptions options, IReadOnlyDictionary<string, Conversation> conversations, string token)
    {
        _app = app;
        _options = options;
        _conversations = conversations;
        Token = token;
        _token = Encoding.UTF8.GetBytes(token);
    }

    public string Token { get; }

    public int Port { get; private set; }

    /// <summary>The page's URL with the token.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/?token={Token}");

    public static async Task<AnnotationServer> StartAsync(AnnotationServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "dfid-annotate",
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 16 * 1024;
            k.Listen(IPAddress.Loopback, options.Port);
        });
        var app = builder.Build();
        var token = options.Token ?? Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        var server = new AnnotationServer(app, options, options.Store.ReadConversations(), token);
        server.Map();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new DfidException($"cannot listen on 127.0.0.1:{options.Port}: {ex.Message}; pass another --port (or none for a free one).", 1, ex);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        server._hosts = [$"127.0.0.1:{server.Port}", $"localhost:{server.Port}"];
        return server;
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private void Map()
    {
        _app.Use(async (ctx, next) =>
        {
            var h = ctx.Response.Headers;
            h.ContentSecurityPolicy = ContentSecurityPolicy;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            h["Cross-Origin-Resource-Policy"] = "same-origin";
            h.CacheControl = "no-store";
            if (Array.IndexOf(_hosts, ctx.Request.Host.Value) < 0)
            {
                await Plain(ctx, 403, "forbidden: unexpected Host header; open the URL dfid annotate printed");
                return;
            }
            if (ctx.Request.Path.StartsWithSegments("/api") && !HasToken(ctx.Request))
            {
                await Plain(ctx, 403, "forbidden: missing or wrong token; open the URL dfid annotate printed");
                return;
            }
            await next(ctx);
        });
        _app.MapGet("/", () => Page("annotate.html", "text/html; charset=utf-8"));
        _app.MapGet("/annotate.js", () => Page("annotate.js", "text/javascript; charset=utf-8"));
        _app.MapGet("/annotate.css", () => Page("annotate.css", "text/css; charset=utf-8"));
        _app.MapGet("/favicon.ico", () => Results.NoContent());
        _app.MapGet("/api/setup", Setup);
        _app.MapGet("/api/state", () => Answer(_options.Store.ReadProgress(_options.Annotator), true));
        _app.MapPost("/api/label", (Func<HttpContext, Task<IResult>>)LabelAsync);
        _app.MapPost("/api/skip", (Func<HttpContext, Task<IResult>>)SkipAsync);
        _app.MapPost("/api/undo", (Func<HttpContext, Task<IResult>>)UndoAsync);
    }

    private bool HasToken(HttpRequest request)
    {
        string? given = request.Headers[TokenHeader];
        if (string.IsNullOrEmpty(given)) given = request.Query["token"];
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token);
    }

    private IResult Setup()
    {
        var g = _options.Guide;
        return Results.Json(new SetupPayload(_options.Annotator, g.Stages, g.Actions,
            new WordsPayload(g.Words.Commitment, g.Words.CommitVerb, g.Words.AgentRole, g.Words.UserRole, g.Words.Offer),
            _options.ExportCommand), Json);
    }

    private async Task<IResult> LabelAsync(HttpContext ctx)
    {
        var body = await ReadAsync<LabelBody>(ctx);
        if (body is null || body.Task is not int task) return Bad("send {\"task\": N, \"stage\": NAME, \"action\": NAME or null}");
        if (!StateNames.TryParse(body.Stage, out Stage stage))
            return Bad($"stage must be one of {string.Join(", ", StateNames.All<Stage>())}");
        AgentAction? action = null;
        if (_options.Guide.Actions.Count > 0)
        {
            if (!StateNames.TryParse(body.Action, out AgentAction a))
                return Bad($"this session labels agent actions too: action must be one of {string.Join(", ", StateNames.All<AgentAction>())}");
            action = a;
        }
        else if (body.Action is not null) return Bad("this session has no action task: send action null");
        var ok = _options.Store.TryLabel(_options.Annotator, task, stage, action, out var progress);
        return Answer(progress, ok);
    }

    private async Task<IResult> SkipAsync(HttpContext ctx)
    {
        var body = await ReadAsync<SkipBody>(ctx);
        if (body?.Task is not int task) return Bad("send {\"task\": N}");
        var ok = _options.Store.TrySkip(_options.Annotator, task, out var progress);
        return Answer(progress, ok);
    }

    private async Task<IResult> UndoAsync(HttpContext ctx)
    {
        var body = await ReadAsync<UndoBody>(ctx);
        if (body is null) return Bad("send {\"last\": EVENT_ID}");
        var ok = _options.Store.TryUndo(_options.Annotator, body.Last, out var progress);
        return Answer(progress, ok);
    }

    /// <summary>The annotator's state; 409 when the request did not apply (a stale page or a repeated key press).</summary>
    private IResult Answer(AnnotatorProgress p, bool accepted)
    {
        TaskPayload? task = null;
        if (p.Next is { } next)
        {
            var view = BlindTurn.For(_conversations[next.ConversationId], next);
            task = new TaskPayload(view.Number, view.TurnIndex, view.AgentTurnIndex,
                [.. view.Context.Select(t => new TurnPayload(t.Index, RoleName(t.Role), t.Text))], view.Text);
        }
        LastPayload? last = p.Last is { } l
            ? new LastPayload(l.Id, l.TaskNumber ?? 0, l.Kind == AnnotationEventKind.Skip ? "skip" : "label",
                l.Stage is { } s ? StateNames.Of(s) : null, l.Action is { } a ? StateNames.Of(a) : null)
            : null;
        return Results.Json(new StatePayload(accepted, p.Total, p.Done, p.Labelled, p.Skipped, task, last), Json,
            statusCode: accepted ? 200 : 409);
    }

    private static string RoleName(Role role) => role switch
    {
        Role.Agent => "agent",
        Role.User => "user",
        _ => "system",
    };

    private static async Task<T?> ReadAsync<T>(HttpContext ctx) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(ctx.Request.Body, Json, ctx.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult Bad(string message) => Results.Json(new ErrorPayload(message), Json, statusCode: 400);

    private static Task Plain(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync(message);
    }

    private static IResult Page(string name, string contentType)
    {
        using var stream = typeof(AnnotationServer).Assembly.GetManifestResourceStream("dfid.annotate." + name)
            ?? throw new InvalidOperationException($"embedded resource dfid.annotate.{name} is missing");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return Results.Bytes(ms.ToArray(), contentType);
    }

    private sealed record SetupPayload(string Annotator, IReadOnlyList<GuideEntry> Stages, IReadOnlyList<GuideEntry> Actions, WordsPayload Words, string ExportCommand);

    private sealed record WordsPayload(string Commitment, string CommitVerb, string Agent, string User, string Offer);

    private sealed record StatePayload(bool Accepted, int Total, int Done, int Labelled, int Skipped, TaskPayload? Task, LastPayload? Last);

    private sealed record TaskPayload(int Number, int Turn, int AgentTurn, IReadOnlyList<TurnPayload> Context, string Text);

    private sealed record TurnPayload(int Index, string Role, string Text);

    private sealed record LastPayload(long Id, int Task, string Kind, string? Stage, string? Action);

    private sealed record ErrorPayload(string Error);

    private sealed record LabelBody(int? Task, string? Stage, string? Action);

    private sealed record SkipBody(int? Task);

    private sealed record UndoBody(long? Last);
}
