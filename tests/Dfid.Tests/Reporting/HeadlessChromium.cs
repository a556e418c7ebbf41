using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dfid.Tests.Reporting;

/// <summary>
/// Debian's headless Chromium driven over the DevTools protocol (one page, flat session), recording every
/// network request, console message, log entry and uncaught exception of the page.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profileDir;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;
    private int _nextId;
    private string? _sessionId;
    private TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every DevTools event of the page: method and params.</summary>
    public ConcurrentQueue<(string Method, JsonNode Params)> Events { get; } = new();

    public static bool IsAvailable => File.Exists(Executable);

    private HeadlessChromium(Process process, string profileDir, Uri endpoint)
    {
        _process = process;
        _profileDir = profileDir;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        _socket.ConnectAsync(endpoint, CancellationToken.None).GetAwaiter().GetResult();
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public static async Task<HeadlessChromium> StartAsync(CancellationToken ct)
    {
        var profile = Path.Combine(Path.GetTempPath(), "dfid-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
            "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=1200,900", "about:blank",
        }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start");
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, ct).ContinueWith(_ => { }, TaskScheduler.Default).Ignore();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var stderr = new StringBuilder();
        while (true)
        {
            var line = await process.StandardError.ReadLineAsync(timeout.Token);
            if (line is null) throw new InvalidOperationException("chromium exited before DevTools was ready:\n" + stderr);
            stderr.AppendLine(line);
            const string marker = "DevTools listening on ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                // Keep draining stderr so chromium never blocks on a full pipe.
                _ = Task.Run(async () => { while (await process.StandardError.ReadLineAsync() is not null) { } });
                var browser = new HeadlessChromium(process, profile, new Uri(line[(at + marker.Length)..].Trim()));
                await browser.AttachPageAsync(ct);
                return browser;
            }
        }
    }

    private async Task AttachPageAsync(CancellationToken ct)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, ct, browserLevel: true);
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true }, ct, browserLevel: true);
        _sessionId = attached["sessionId"]!.GetValue<string>();
        foreach (var domain in new[] { "Page.enable", "Network.enable", "Runtime.enable", "Log.enable" })
            await SendAsync(domain, new JsonObject(), ct);
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = 1200, ["height"] = 900, ["deviceScaleFactor"] = 1, ["mobile"] = false }, ct);
    }

    /// <summary>Navigates and waits for the load event (plus a short settle for late events).</summary>
    public async Task NavigateAsync(string url, CancellationToken ct)
    {
        _loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nav = await SendAsync("Page.navigate", new JsonObject { ["url"] = url }, ct);
        if (nav["errorText"] is { } err) throw new InvalidOperationException("navigation failed: " + err);
        await _loaded.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        await Task.Delay(500, ct);
    }

    /// <summary>Evaluates an expression in the page and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken ct)
    {
        var r = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, ct);
        if (r["exceptionDetails"] is { } ex) throw new InvalidOperationException("evaluation failed: " + ex.ToJsonString());
        return r["result"]?["value"];
    }

    /// <summary>Types one printable key (e.g. <c>"3"</c>, <c>"q"</c>) as a real key press: keyDown with its text, then keyUp.</summary>
    public async Task PressKeyAsync(string key, CancellationToken ct)
    {
        await SendAsync("Input.dispatchKeyEvent", new JsonObject { ["type"] = "keyDown", ["key"] = key, ["text"] = key, ["unmodifiedText"] = key }, ct);
        await SendAsync("Input.dispatchKeyEvent", new JsonObject { ["type"] = "keyUp", ["key"] = key }, ct);
    }

    /// <summary>PNG screenshot of a page region in CSS pixels (beyond the viewport allowed).</summary>
    public async Task<byte[]> ScreenshotAsync(double x, double y, double width, double height, CancellationToken ct)
    {
        var r = await SendAsync("Page.captureScreenshot", new JsonObject
        {
            ["format"] = "png",
            ["captureBeyondViewport"] = true,
            ["clip"] = new JsonObject { ["x"] = x, ["y"] = y, ["width"] = width, ["height"] = height, ["scale"] = 1 },
        }, ct);
        return Convert.FromBase64String(r["data"]!.GetValue<string>());
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters, CancellationToken ct, bool browserLevel = false)
    {
        var id = Interlocked.Increment(ref _nextId);
        var msg = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (!browserLevel && _sessionId is not null) msg["sessionId"] = _sessionId;
        var tcs = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(msg.ToJsonString()), WebSocketMessageType.Text, true, ct);
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                if (node["id"] is { } idNode && _pending.TryRemove(idNode.GetValue<int>(), out var tcs))
                {
                    if (node["error"] is { } error) tcs.TrySetException(new InvalidOperationException(error.ToJsonString()));
                    else tcs.TrySetResult(node["result"] ?? new JsonObject());
                }
                else if (node["method"]?.GetValue<string>() is { } method)
                {
                    Events.Enqueue((method, node["params"] ?? new JsonObject()));
                    if (method == "Page.loadEventFired") _loaded.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { _socket.Abort(); } catch (WebSocketException) { }
        try { await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException) { }
        catch (TimeoutException) { }
        _process.Dispose();
        _socket.Dispose();
        _stop.Dispose();
        try { Directory.Delete(_profileDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class TaskExtensions
{
    public static void Ignore(this Task task) => _ = task;
}
