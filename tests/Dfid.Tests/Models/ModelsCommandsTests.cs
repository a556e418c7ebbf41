using System.Text.Json;
using Dfid.Cli;
using Dfid.Tests.Fakes;
using Spectre.Console.Testing;

namespace Dfid.Tests.Models;

public sealed class ModelsCommandsTests
{
    [Fact]
    public async Task ModelsCheck_WorkingEndpoint_ReportsBothChecksAsJson()
    {
        await using var server = LoopbackOpenAiServer.Start(r => r.Json!.Value.TryGetProperty("response_format", out _)
            ? ScriptedReply.Text("""{"answer":"yes","confidence":0.9}""", 40, 9)
            : ScriptedReply.Text("ok", 12, 1));
        var console = new TestConsole();

        var exit = await DfidApp.RunAsync(["models", "check", $"openai:m@{server.BaseUrl}", "--json"], console);

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(console.Output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal("ok", root.GetProperty("text").GetProperty("answer").GetString());
        Assert.Equal(12, root.GetProperty("text").GetProperty("prompt_tokens").GetInt32());
        Assert.True(root.GetProperty("json").GetProperty("schema_mode_works").GetBoolean());
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task ModelsCheck_Unauthorized_ExitsOneWithProviderError()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Error(401, "Incorrect API key provided"));
        var console = new TestConsole();
        console.Profile.Width = 400;

        var exit = await DfidApp.RunAsync(["models", "check", $"openai:m@{server.BaseUrl}"], console);

        Assert.Equal(1, exit);
        Assert.Contains("Incorrect API key provided", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsCheck_BadSpec_UsageError()
    {
        var console = new TestConsole();

        var exit = await DfidApp.RunAsync(["models", "check", "openai:m;temp=1"], console);

        Assert.Equal(2, exit);
        Assert.Contains("unknown option 'temp'", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsPull_Url_DownloadsIntoFolder()
    {
        var bytes = new byte[4096];
        new Random(5).NextBytes(bytes);
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.File(bytes));
        var dir = TestData.TempDir();
        var console = new TestConsole();

        var exit = await DfidApp.RunAsync(["models", "pull", new Uri(server.Root, "/x/small.gguf").ToString(), "--dir", dir, "--json"], console);

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(console.Output);
        Assert.Equal(Path.Combine(dir, "small.gguf"), doc.RootElement.GetProperty("path").GetString());
        Assert.Equal("recorded", doc.RootElement.GetProperty("hash").GetString());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir, "small.gguf")));
    }

    [Fact]
    public async Task ModelsList_Json_ListsNamedModels()
    {
        var console = new TestConsole();

        var exit = await DfidApp.RunAsync(["models", "list", "--dir", TestData.TempDir(), "--json"], console);

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(console.Output);
        Assert.Contains(doc.RootElement.EnumerateArray(), e => e.GetProperty("name").GetString() == "qwen2.5-0.5b-instruct" && !e.GetProperty("downloaded").GetBoolean());
    }
}
