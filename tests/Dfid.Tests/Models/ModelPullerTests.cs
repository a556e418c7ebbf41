using System.Security.Cryptography;
using Dfid.Models;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Models;

public sealed class ModelPullerTests
{
    private static byte[] FileBytes(int n = 300_000)
    {
        var bytes = new byte[n];
        new Random(3).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task ModelPuller_CutDownload_ResumesWithRangeAndRecordsHash()
    {
        var bytes = FileBytes();
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.File(bytes, cutAfterBytes: r.Index == 0 ? 100_000 : null));
        var dir = TestData.TempDir();
        using var http = new HttpClient();
        var puller = new ModelPuller(http, dir);
        var url = new Uri(server.Root, "/files/tiny.gguf").ToString();

        var cut = await Assert.ThrowsAsync<DfidException>(() => puller.PullAsync(url));
        Assert.Contains("run the same command again to resume", cut.Message, StringComparison.Ordinal);
        var partLength = new FileInfo(Path.Combine(dir, "tiny.gguf.part")).Length;
        Assert.InRange(partLength, 1, bytes.Length - 1);
        Assert.False(File.Exists(Path.Combine(dir, "tiny.gguf")));

        var result = await puller.PullAsync(url);

        Assert.Equal($"bytes={partLength}-", server.Requests[1].Header("Range"));
        Assert.Equal(partLength, result.ResumedFrom);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(result.Path));
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(expected, result.Sha256);
        Assert.False(result.HashPinned);
        Assert.StartsWith(expected, await File.ReadAllTextAsync(result.Path + ".sha256"), StringComparison.Ordinal);
        Assert.Equal(result.Path, GgufModels.ResolvePath(result.Path, _ => null));

        // Pulling again verifies the file and sends nothing.
        var again = await puller.PullAsync(url);
        Assert.True(again.AlreadyPresent);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task ModelPuller_HashMismatch_RejectedAndNothingKept()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.File(FileBytes()));
        var dir = TestData.TempDir();
        using var http = new HttpClient();
        var wrong = new string('0', 64);

        var ex = await Assert.ThrowsAsync<DfidException>(() => new ModelPuller(http, dir).PullAsync(new Uri(server.Root, "/m.gguf").ToString(), wrong));

        Assert.Contains(wrong, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task ModelPuller_PinnedHashMatches_Accepted()
    {
        var bytes = FileBytes(5000);
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.File(bytes));
        using var http = new HttpClient();

        var result = await new ModelPuller(http, TestData.TempDir()).PullAsync(new Uri(server.Root, "/m.gguf").ToString(), Convert.ToHexString(SHA256.HashData(bytes)));

        Assert.True(result.HashPinned);
        Assert.Equal(5000, result.Bytes);
    }

    [Fact]
    public async Task GgufModels_FileChangedAfterDownload_RejectedOnUse()
    {
        var bytes = FileBytes(5000);
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.File(bytes));
        using var http = new HttpClient();
        var result = await new ModelPuller(http, TestData.TempDir()).PullAsync(new Uri(server.Root, "/m.gguf").ToString());
        bytes[10] ^= 0xFF;
        await File.WriteAllBytesAsync(result.Path, bytes);

        var ex = Assert.Throws<DfidException>(() => GgufModels.VerifyRecordedHash(result.Path));

        Assert.Contains("does not match its SHA-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GgufModels_NamedButNotPulled_SaysHowToPull()
    {
        var ex = Assert.Throws<DfidException>(() => GgufModels.ResolvePath("qwen2.5-0.5b-instruct", n => n == "DFID_CACHE_DIR" ? TestData.TempDir() : null));

        Assert.Contains("dfid models pull qwen2.5-0.5b-instruct", ex.Message, StringComparison.Ordinal);
    }
}
