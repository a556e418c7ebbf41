using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Dfid.Tests.Fakes;

public sealed class LoopbackOpenAiServerTests
{
    private static IChatClient OpenAiClient(LoopbackOpenAiServer server, string model = "m") =>
        new OpenAI.Chat.ChatClient(model, new ApiKeyCredential("test-key"), new OpenAIClientOptions
        {
            Endpoint = server.BaseUrl,
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = TimeSpan.FromSeconds(10),
        }).AsIChatClient();

    [Fact]
    public async Task LoopbackOpenAiServer_TextReply_ReachesOpenAiSdkAndIsRecorded()
    {
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.Text("hi " + r.LastUserText, 7, 2));
        var client = OpenAiClient(server, "gpt-x");

        var response = await client.GetResponseAsync([new(ChatRole.System, "be brief"), new(ChatRole.User, "there")]);

        Assert.Equal("hi there", response.Text);
        Assert.Equal(7, response.Usage?.InputTokenCount);
        Assert.Equal(2, response.Usage?.OutputTokenCount);
        var req = Assert.Single(server.Requests);
        Assert.Equal("POST", req.Method);
        Assert.Equal("/v1/chat/completions", req.Path);
        Assert.Equal("Bearer test-key", req.Header("authorization"));
        Assert.Equal("gpt-x", req.Model);
        Assert.Equal([("system", "be brief"), ("user", "there")], req.Messages);
    }

    [Fact]
    public async Task LoopbackOpenAiServer_Streaming_ConcatenatesDeltas()
    {
        await using var server = LoopbackOpenAiServer.Start("streamed answer");
        var client = OpenAiClient(server);

        var parts = new List<string>();
        await foreach (var u in client.GetStreamingResponseAsync([new(ChatRole.User, "x")])) parts.Add(u.Text);

        Assert.Equal("streamed answer", string.Concat(parts));
        Assert.True(Assert.Single(server.Requests).Stream);
    }

    [Fact]
    public async Task LoopbackOpenAiServer_ErrorStatus_SurfacesAsClientResultException()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Error(429, retryAfter: TimeSpan.FromSeconds(3)));
        var client = OpenAiClient(server);

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync([new(ChatRole.User, "x")]));

        Assert.Equal(429, ex.Status);
        Assert.Equal("3", ex.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var ra) == true ? ra : null);
    }

    [Fact]
    public async Task LoopbackOpenAiServer_FileWithRangeAndCut_ServesPartialContent()
    {
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.File(bytes, cutAfterBytes: r.Index == 0 ? 300 : null));
        using var http = new HttpClient();

        await Assert.ThrowsAnyAsync<Exception>(() => http.GetByteArrayAsync(new Uri(server.Root, "/f.gguf")));
        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Root, "/f.gguf"));
        req.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(300, null);
        using var resp = await http.SendAsync(req);
        var rest = await resp.Content.ReadAsByteArrayAsync();

        Assert.Equal(System.Net.HttpStatusCode.PartialContent, resp.StatusCode);
        Assert.Equal(bytes[300..], rest);
        Assert.Equal("bytes=300-", server.Requests[1].Header("Range"));
    }
}
